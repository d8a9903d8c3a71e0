-- wrk script: POST authorize-and-debit with the key in TRIBUTE_KEY; with DELAY_MS set,
-- each connection waits that long between requests (a paced load).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TRIBUTE_KEY")
wrk.body = '{"workspaceId":"load","actionType":"SIMPLE_LLM","userId":"wrk"}'

local pause = tonumber(os.getenv("DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", failures))
end
