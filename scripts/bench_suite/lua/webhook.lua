-- POST /ivr/voice: each request one call, signed as Twilio signs it, matching one open phone check.
-- Each connection is one phone line: a call, its answer, then a pause of PAUSE_MS on average
-- (0.5x to 1.5x) before the next call, so the calls arrive as from that many lines at once.
-- A thread stops when its calls are used up (a call is answered once; the same CallSid again is a retry).
-- args: CALLS_DIRECTORY (calls-N.txt for thread N: "signature<TAB>form body" a line) PAUSE_MS
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local calls
local next_call = 1

local pause_ms

function init(args)
   calls = lines_of(args[1] .. "/calls-" .. id .. ".txt")
   pause_ms = tonumber(args[2])
   math.randomseed(id)
   expected_text = "<Reject"
end

function delay()
   return math.random(math.floor(pause_ms / 2), math.floor(pause_ms * 3 / 2))
end

function request()
   if next_call > #calls then
      wrk.thread:stop()
      next_call = #calls
   end
   local signature, body = string.match(calls[next_call], "([^\t]+)\t(.*)")
   next_call = next_call + 1
   return wrk.format("POST", "/ivr/voice", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = signature,
   }, body)
end
