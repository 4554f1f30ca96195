-- wrk script for bench/run.py: POST one recorded request body, keep-alive, and print the totals as JSON.
-- BENCH_BODY_FILE: the request body. The last line wrk prints is the JSON that bench/load.py parses.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
-- BENCH_HEADERS (optional): more request headers, one "name: value" a line.
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

-- A body containing __N__ gets a per-request counter there: every request is a new prompt, so nothing
-- the server memoises (generated answers, token counts of repeated texts) can help it.
if string.find(wrk.body, "__N__", 1, true) then
  local counter = 0
  local template = wrk.body
  function request()
    counter = counter + 1
    return wrk.format(nil, nil, nil, (string.gsub(template, "__N__", tostring(counter))))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
