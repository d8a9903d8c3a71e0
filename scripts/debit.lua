-- wrk script: POST authorize-and-debit with the key in TRIBUTE_KEY.
-- WORKSPACE names the workspace (default "load"); with WORKSPACES=N set, each request
-- goes to a random one of WORKSPACE-0 .. WORKSPACE-(N-1). With DELAY_MS set, each
-- connection waits that long between requests (a paced load).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TRIBUTE_KEY")

local workspace = os.getenv("WORKSPACE") or "load"
local spread = tonumber(os.getenv("WORKSPACES") or "0")
local function body(id)
  return '{"workspaceId":"' .. id .. '","actionType":"SIMPLE_LLM","userId":"wrk"}'
end
wrk.body = body(workspace)

if spread > 0 then
  function init(args)
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  end
  function request()
    return wrk.format(nil, nil, nil, body(workspace .. "-" .. math.random(0, spread - 1)))
  end
end

local pause = tonumber(os.getenv("DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

-- Each thread counts in its own Lua state; done() runs in another and sums them.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("failures") end
  io.write(string.format("non-200 answers: %d\n", total))
end
