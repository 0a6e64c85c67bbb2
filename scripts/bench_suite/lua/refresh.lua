-- POST /token grant_type=refresh_token. One connection per thread, so each thread is one
-- app holding its own refresh token: the token each answer returns is the next one used.
-- args: TOKENS_FILE (one refresh token a line; thread N takes line N) BASIC_CREDENTIALS
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local token
local credentials

function init(args)
   token = lines_of(args[1])[id]
   credentials = args[2]
   expected_text = '"refresh_token"'
end

function request()
   return wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. credentials,
   }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
   check(status, body)
   local next_token = string.match(body, '"refresh_token":"([^"]+)"')
   if next_token then
      token = next_token
   end
end
