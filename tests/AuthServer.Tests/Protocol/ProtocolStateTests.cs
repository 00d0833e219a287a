using AuthServer.Lifecycle;
using AuthServer.Protocol;
using AuthServer.Storage.Entities;
using OpenIddict.Server;

namespace AuthServer.Tests.Protocol;

/// <summary>The state our handlers share within one OpenIddict transaction: each slot is decided once,
/// by one handler; a second write throws instead of silently replacing the decision.</summary>
public sealed class ProtocolStateTests
{
    private static readonly string[] SlotNames = ["Client", "Issue", "Issued", "ReferenceHandle", "Presented", "StatusCode", "RetryAfter"];

    public static TheoryData<string> Slots() => [.. SlotNames];

    private static readonly Client SomeClient = new() { ClientId = "c1", OrganisationId = "o1" };
    private static readonly Token SomeToken = new() { ClientId = "c1", OrganisationId = "o1", RequestingOrganisationId = "o1", Scopes = "s" };

    private static void Write(ProtocolState state, string slot)
    {
        switch (slot)
        {
            case "Client": state.Client = new Client { ClientId = "c2", OrganisationId = "o1" }; break;
            case "Issue": state.Issue = new AuthServer.Tokens.IssueRequest(SomeClient, "o1", "o1", "c1", ["s"], 60, new AuthServer.Audit.Actor("o1", "test")); break;
            case "Issued": state.Issued = new Token { ClientId = "c1", OrganisationId = "o1", RequestingOrganisationId = "o1", Scopes = "s" }; break;
            case "ReferenceHandle": state.ReferenceHandle = Guid.NewGuid().ToString(); break;
            case "Presented": state.Presented = new StoredToken(SomeToken, 0, null); break;
            case "StatusCode": state.StatusCode = 403; break;
            case "RetryAfter": state.RetryAfter = TimeSpan.FromSeconds(1); break;
            default: throw new ArgumentOutOfRangeException(nameof(slot));
        }
    }

    [Theory]
    [MemberData(nameof(Slots))]
    public void Each_slot_is_written_once_and_a_second_write_throws(string slot)
    {
        var transaction = new OpenIddictServerTransaction();
        var state = ProtocolState.Of(transaction);
        Assert.Same(state, ProtocolState.Of(transaction));

        Write(state, slot);
        var first = typeof(ProtocolState).GetProperty(slot)!.GetValue(state);
        Assert.NotNull(first);

        var error = Assert.Throws<InvalidOperationException>(() => Write(state, slot));
        Assert.Contains(slot, error.Message, StringComparison.Ordinal);
        Assert.Equal(first, typeof(ProtocolState).GetProperty(slot)!.GetValue(state)); // the first decision stands
    }

    [Fact]
    public void Every_slot_is_covered() =>
        Assert.Equal(SlotNames.Order(StringComparer.Ordinal),
            typeof(ProtocolState).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Order(StringComparer.Ordinal));

    [Fact]
    public void Each_transaction_has_its_own_state()
    {
        var one = ProtocolState.Of(new OpenIddictServerTransaction());
        var other = ProtocolState.Of(new OpenIddictServerTransaction());
        one.StatusCode = 403;
        Assert.Null(other.StatusCode);
        other.StatusCode = 429;
        Assert.Equal(403, one.StatusCode);
    }
}
