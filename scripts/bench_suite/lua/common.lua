-- Shared by the benchmark's wrk scripts: numbered threads, every answer checked,
-- and one JSON line of results (wrk's own errors plus wrong answers).
local threads = {}
local numbered = 0

function setup(thread)
   numbered = numbered + 1
   thread:set("id", numbered)
   table.insert(threads, thread)
end

wrong = 0
expected_status = 200
expected_text = nil

function check(status, body)
   if status ~= expected_status or (expected_text and not string.find(body, expected_text, 1, true)) then
      wrong = wrong + 1
      if wrong == 1 then
         io.stderr:write("unexpected answer " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
      end
   end
end

function response(status, headers, body)
   check(status, body)
end

function lines_of(path)
   local lines = {}
   for line in io.lines(path) do
      table.insert(lines, line)
   end
   return lines
end

function done(summary, latency, requests)
   local wrong_answers = 0
   for _, thread in ipairs(threads) do
      wrong_answers = wrong_answers + (thread:get("wrong") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"socket_errors":%d,"timeouts":%d,"http_errors":%d,"wrong_answers":%d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, e.connect + e.read + e.write, e.timeout, e.status, wrong_answers))
end
