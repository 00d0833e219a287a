namespace AuthServer.Tests.Infrastructure;

/// <summary>A clock the test moves by hand. Starts at the real time so that dates look sane.</summary>
public sealed class TestTime : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    private readonly Lock _lock = new();

    /// <summary>When set, every reading moves the clock on by this much after it is taken: time
    /// passes as the code under test looks at it (a run's time budget), without sleeping.</summary>
    public TimeSpan TickPerReading { get; set; }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            var now = _now;
            _now += TickPerReading;
            return now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _now += by;
        }
    }

    public void Set(DateTimeOffset to)
    {
        lock (_lock)
        {
            _now = to;
        }
    }
}
