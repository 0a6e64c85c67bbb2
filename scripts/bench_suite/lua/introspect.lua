-- POST /introspect of one live access token, as a resource server (HTTP Basic).
-- args: ACCESS_TOKEN BASIC_CREDENTIALS
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   wrk.method = "POST"
   wrk.body = "token=" .. args[1]
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Authorization"] = "Basic " .. args[2]
   expected_text = '"active":true'
end
