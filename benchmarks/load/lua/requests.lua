-- Replays the request file in order, round robin (reads repeat; write files are long
-- enough that a run does not wrap around).
package.path = os.getenv("LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local formatted = {}
local position = 0

function init(args)
   for _, item in ipairs(load_requests(args)) do
      table.insert(formatted, wrk.format(item.method, item.path, item.headers, item.body))
   end
end

function request()
   position = position + 1
   if position > #formatted then
      position = 1
   end
   return formatted[position]
end

function response(status, headers, body)
   count_status(status)
end
