-- GET /staff/api/accounts/{b}-{t}-{n}/lock with a signed-in clerk's session cookie.
-- args: PATH COOKIE
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
   wrk.method = "GET"
   wrk.path = args[1]
   wrk.headers["Cookie"] = args[2]
   expected_text = '"identity"'
end
