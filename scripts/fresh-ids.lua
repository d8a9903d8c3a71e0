-- wrk script: authorize-and-debit with a fresh runId, userId and agentId on every call, as
-- real agents send them (a new run id per run), to show that memory does not grow with
-- the ids callers send. Each thread stops after COUNT/threads requests; ROUND makes ids
-- unique across rounds. Key in TRIBUTE_KEY, workspace in WORKSPACE (default "load").
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TRIBUTE_KEY")

local workspace = os.getenv("WORKSPACE") or "load"
local round = os.getenv("ROUND") or "0"
local total = tonumber(os.getenv("COUNT") or "60000")
-- Ids padded to the 200-byte limit, as the finding that made ~57 KB per call did.
local pad = string.rep("p", tonumber(os.getenv("PAD") or "0"))

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- wrk gives init no thread count; THREADS says it (memory.sh passes the same -t).
local per_thread = math.floor(total / tonumber(os.getenv("THREADS") or "2"))
local sent, thread_id = 0, 0
function init(args)
  thread_id = wrk.thread:get("id")
end

function request()
  sent = sent + 1
  local id = round .. "-" .. thread_id .. "-" .. sent .. pad
  local body = '{"workspaceId":"' .. workspace .. '","actionType":"SIMPLE_LLM","runId":"run-' .. id ..
    '","userId":"user-' .. id .. '","agentId":"agent-' .. id .. '"}'
  return wrk.format(nil, nil, nil, body)
end

failures = 0
answered = 0
function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then failures = failures + 1 end
  if answered >= per_thread then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local total_failures, total_answered = 0, 0
  for _, thread in ipairs(threads) do
    total_failures = total_failures + thread:get("failures")
    total_answered = total_answered + thread:get("answered")
  end
  io.write(string.format("answered: %d, non-200 answers: %d\n", total_answered, total_failures))
end
