-- Quiz attempts: each line starts an attempt (POST /quizzes/{id}/attempts); when the
-- attempt sheet comes back, the next request submits it, answering every question (the
-- first option shown for multiple choice, "true" for true/false). Starts and submits
-- are counted together.
package.path = os.getenv("LUA_DIR") .. "/?.lua;" .. package.path
require("common")

local starts = {}
local tokens = {}
local pending = {}
local position = 0

function init(args)
   for _, item in ipairs(load_requests(args)) do
      table.insert(starts, wrk.format(item.method, item.path, item.headers, item.body))
      tokens[item.student] = item.token
   end
end

function request()
   local queued = table.remove(pending)
   if queued then
      return queued
   end
   position = position + 1
   if position > #starts then
      position = 1
   end
   return starts[position]
end

local QUESTION = '"id":"([%x%-]+)","quiz_id":"[%x%-]+","question_text":"[^"]*",' ..
   '"question_type":"([%a_]+)","options":(.-),"points"'

function response(status, headers, body)
   count_status(status)
   if status ~= 201 and status ~= 200 then
      return
   end
   local questions_at = body:find('"questions":[', 1, true)
   if not questions_at then
      return -- a submit's answer
   end
   local attempt_id = body:match('^{"id":"([%x%-]+)"')
   local quiz_id = body:match('"quiz_id":"([%x%-]+)"')
   local student_id = body:match('"student_id":"([%x%-]+)"')
   local answers = {}
   for question_id, kind, options in body:sub(questions_at):gmatch(QUESTION) do
      local answer = '"true"'
      if kind == "multiple_choice" then
         answer = '"' .. options:match('^%["([^"]*)"') .. '"'
      end
      table.insert(answers, '{"question_id":"' .. question_id .. '","answer":' .. answer .. '}')
   end
   local submit = '{"answers":[' .. table.concat(answers, ",") .. ']}'
   table.insert(pending, wrk.format("POST",
      "/api/v1/quizzes/" .. quiz_id .. "/attempts/" .. attempt_id .. "/submit",
      {["Authorization"] = "Bearer " .. tokens[student_id],
       ["Content-Type"] = "application/json"},
      submit))
end
