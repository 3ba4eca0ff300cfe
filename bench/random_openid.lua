-- wrk script: each request asks user/info for a random follower.
-- Needs OPENIDS (a file with one openid per line) and TOKEN in the environment.
local ids = {}
for line in io.lines(os.getenv("OPENIDS")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/cgi-bin/user/info?access_token=" .. token .. "&openid=" .. id .. "&lang=zh_CN")
end
