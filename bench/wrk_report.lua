-- Drives many logged-in learners: each request picks a (method, path, cookie, body) line from the
-- file named by the REQUESTS environment variable. Prints one JSON line with latency percentiles.
local requests = {}
local counter = 0

local function load()
  local f = assert(io.open(os.getenv("REQUESTS"), "r"))
  for line in f:lines() do
    local method, path, cookie, body, ctype, token = line:match("^(%S+)\t(%S+)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    if method then
      table.insert(requests, {method = method, path = path, cookie = cookie, body = body, ctype = ctype, token = token})
    end
  end
  f:close()
end

function setup(thread)
  thread:set("thread_seed", math.random(1, 1000000))
end

function init(args)
  load()
  math.randomseed(thread_seed or os.time())
end

function request()
  counter = counter + 1
  local r = requests[math.random(#requests)]
  local headers = {}
  if r.cookie ~= "" then headers["Cookie"] = r.cookie end
  if r.ctype ~= "" then headers["Content-Type"] = r.ctype end
  if r.token ~= "" then headers["X-CSRFToken"] = r.token end
  headers["Accept"] = "text/html,application/json"
  headers["User-Agent"] = "sparetime-bench"  -- bench/run.py USER_AGENT: the session cookie is made for it
  local body = nil
  if r.body ~= "" then body = r.body end
  return wrk.format(r.method, r.path, headers, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "bad_status": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
