-- POSTs token=<next saved token> to PATHNAME (introspect or revoke) with Basic auth; each thread
-- walks its own file of tokens (TOKENS.N), so revocations hit distinct tokens.
wrk.method = "POST"
wrk.path = os.getenv("PATHNAME")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("AUTH")
local counter = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
local tokens, i = {}, 0
function init()
  for line in io.lines(os.getenv("TOKENS") .. "." .. id) do tokens[#tokens + 1] = line end
end
function request()
  i = i % #tokens + 1
  return wrk.format(nil, nil, nil, "token=" .. tokens[i])
end
