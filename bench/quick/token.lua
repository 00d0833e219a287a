-- POST /connect/token client_credentials with Basic auth; optionally saves returned tokens (SAVE=path).
wrk.method = "POST"
wrk.path = "/connect/token"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("AUTH")
local counter = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
local out
function init() local s = os.getenv("SAVE"); if s and s ~= "" then out = io.open(s .. "." .. id, "w") end end
function response(status, headers, body)
  if out and status == 200 then
    local t = body:match('"access_token":"([^"]+)"'); if t then out:write(t, "\n") end
  end
end
function done() end
