-- One wrk script for every cell of bench/run.sh: POSTs a form to BENCH_PATH with
-- "Authorization: BENCH_AUTH" (client_secret_basic). The body is BENCH_BODY, or, when
-- BENCH_HANDLES names a file of token handles, "token=<handle>" with each thread taking its own
-- lines (line i goes to thread i mod BENCH_THREADS). With BENCH_ONCE=1 (revocation: a revoked
-- token is no work), a handle is never sent twice; running out is counted as "wrapped" and the
-- cell is reported invalid. done() prints one BENCHRESULT line that bench/run.sh parses.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local path = os.getenv("BENCH_PATH")
local headers = {
  ["Authorization"] = os.getenv("BENCH_AUTH"),
  ["Content-Type"] = "application/x-www-form-urlencoded",
}
local body = os.getenv("BENCH_BODY")
local handles = nil
local index = 0
local once = os.getenv("BENCH_ONCE") == "1"
wrapped = 0

function init(args)
  local file = os.getenv("BENCH_HANDLES")
  if file == nil or file == "" then
    return
  end
  local n = tonumber(os.getenv("BENCH_THREADS"))
  handles = {}
  local line_number = 0
  for line in io.lines(file) do
    if line_number % n == id then
      handles[#handles + 1] = "token=" .. line
    end
    line_number = line_number + 1
  end
  if #handles == 0 then
    error("no handles for thread " .. id .. " in " .. file)
  end
end

function request()
  if handles == nil then
    return wrk.format("POST", path, headers, body)
  end
  index = index + 1
  if index > #handles then
    index = 1
    if once then
      wrapped = wrapped + 1
    end
  end
  return wrk.format("POST", path, headers, handles[index])
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCHRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d wrapped=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, wraps))
end
