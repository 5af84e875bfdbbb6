-- Shared by every scenario script: loads this thread's share of the request file,
-- counts non-2xx answers per thread and writes the run's figures as JSON when done.
-- Arguments (after `--`): the request file, the number of wrk threads, "forward" or
-- "reverse" (the warm-up walks the file from its end, so that the measured runs still
-- find every write target untouched), and where to start, as a fraction of the file
-- (each measured round starts in its own part of the file).
--
-- A request file has one request per line: METHOD <tab> PATH <tab> TOKEN|- <tab> BODY|-
-- [<tab> STUDENT_ID]

local counter = 0
local threads = {}

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

function load_requests(args)
   local file, nthreads, direction = args[1], tonumber(args[2]), args[3]
   local start = tonumber(args[4] or "0")
   local lines = {}
   local index = 0
   for line in io.lines(file) do
      if index % nthreads == id then
         table.insert(lines, line)
      end
      index = index + 1
   end
   if direction == "reverse" then
      local reversed = {}
      for i = #lines, 1, -1 do
         table.insert(reversed, lines[i])
      end
      lines = reversed
   end
   local shift = math.floor(start * #lines)
   if shift > 0 then
      local rotated = {}
      for i = 1, #lines do
         rotated[i] = lines[(i + shift - 1) % #lines + 1]
      end
      lines = rotated
   end
   local parsed = {}
   for _, line in ipairs(lines) do
      local method, path, token, body, student = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t?(.*)$")
      local headers = {}
      if token ~= "-" then
         headers["Authorization"] = "Bearer " .. token
      end
      if body == "-" then
         body = nil
      else
         headers["Content-Type"] = "application/json"
      end
      table.insert(parsed, {method = method, path = path, token = token, body = body,
                            student = student, headers = headers})
   end
   return parsed
end

non2xx = 0

function count_status(status)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
   end
   local out = io.open(os.getenv("WRK_RESULT"), "w")
   out:write(string.format(
      '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "non2xx": %d, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, bad, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.timeout))
   out:close()
end
