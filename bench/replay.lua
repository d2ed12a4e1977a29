-- Replay pre-signed Twilio webhooks with wrk, each exactly once (or `loops` times), then stop.
--
--   wrk -t1 -c32 -d300s -s bench/replay.lua http://127.0.0.1:PORT -- FILE [LOOPS]
--
-- FILE holds one request a line: "path<TAB>X-Twilio-Signature<TAB>urlencoded body" (bench.bench_webhooks
-- writes it). Every request is built once in init(). delay() hands out "tickets" so that no more requests
-- are sent than the file holds: a connection whose ticket would be past the end waits (an hour, but the
-- thread is stopped as soon as the last answer arrives), so no duplicate ever reaches the server and
-- every latency measured is one of a real, first-time webhook. The -d duration is only an upper bound.
--
-- wrk itself always runs for its whole -d duration, so each thread notes (monotonic clock, through
-- LuaJIT's FFI) when it sent its first request and got its last answer, and then creates the file
-- $WRK_REPORT.done<thread>: bench.bench_webhooks waits for these files and interrupts wrk (SIGINT, which
-- wrk handles by printing its results). The throughput is requests ÷ (last answer − first request).
--
-- The done() hook writes a JSON report to $WRK_REPORT: that span, counts, errors, answers that were the
-- application's fallback (a webhook that failed inside answers 200 with the technical-problem TwiML), and
-- the whole latency histogram (microseconds, value and count), so runs can be merged exactly.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } replay_timespec;
int clock_gettime(int clk_id, replay_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("replay_timespec")

local function monotonic()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  thread:set("thread_count", 0) -- set for real below, once every thread is known
  table.insert(threads, thread)
  for _, t in ipairs(threads) do
    t:set("thread_count", #threads)
  end
end

local prepared = {}
local total, reserved, sent, received = 0, 0, 0, 0
fallbacks, non_ok, first_sent, last_received = 0, 0, 0, 0

local function finished()
  local marker = assert(io.open(os.getenv("WRK_REPORT") .. ".done" .. thread_index, "w"))
  marker:close()
  wrk.thread:stop()
end

function init(args)
  local path, loops = args[1], tonumber(args[2] or "1")
  local index = 0
  for line in io.lines(path) do
    -- Lines are dealt to threads in turn, so that each request is replayed by exactly one thread.
    if index % thread_count == thread_index then
      local target, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      -- One connection a request, as gunicorn gets them from the nginx of deploy/: nginx proxies with HTTP/1.0
      -- unless told otherwise (proxy_http_version's default) and keeps no upstream connection without an
      -- upstream `keepalive` (nginx's ngx_http_proxy_module and ngx_http_upstream_module documentation).
      prepared[#prepared + 1] = wrk.format("POST", target, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
        ["Connection"] = "close",
      }, body)
    end
    index = index + 1
  end
  total = #prepared * loops
  if total == 0 then
    finished()
  end
end

function delay()
  if reserved >= total then
    return 3600000
  end
  reserved = reserved + 1
  return 0
end

function request()
  if sent == 0 then
    first_sent = monotonic()
  end
  sent = sent + 1
  return prepared[(sent - 1) % #prepared + 1]
end

function response(status, headers, body)
  received = received + 1
  if status ~= 200 then
    non_ok = non_ok + 1
  elseif body and body:find("/twilio/fallback/", 1, true) then
    fallbacks = fallbacks + 1
  end
  if received == total then
    last_received = monotonic()
    finished()
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("WRK_REPORT"), "w"))
  local fallback_total, non_ok_total, start, stop = 0, 0, nil, 0
  for _, t in ipairs(threads) do
    fallback_total = fallback_total + (t:get("fallbacks") or 0)
    non_ok_total = non_ok_total + (t:get("non_ok") or 0)
    local first, last = t:get("first_sent") or 0, t:get("last_received") or 0
    if first > 0 and (start == nil or first < start) then
      start = first
    end
    if last > stop then
      stop = last
    end
  end
  local span = (start ~= nil and stop > start) and (stop - start) or 0
  local errors = summary.errors
  out:write(string.format(
    '{"span_s": %.6f, "duration_us": %d, "requests": %d, "non_ok": %d, "fallbacks": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "latency": [',
    span, summary.duration, summary.requests, non_ok_total, fallback_total,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(string.format("%s[%d, %d]", i > 1 and ", " or "", value, count))
  end
  out:write("]}\n")
  out:close()
end
