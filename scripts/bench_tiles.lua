-- wrk script of scripts/bench_tiles.sh: every request takes the next path of a list
-- (environment: BENCH_URLS = file of "z/x/y" lines, BENCH_PREFIX, BENCH_SUFFIX), round robin.
-- Each thread starts at its own offset so that threads do not ask for the same tile together.
-- done() prints one machine-readable RESULT line (latencies in microseconds).

local paths = {}
local next_index = 1
local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local prefix = os.getenv("BENCH_PREFIX") or ""
  local suffix = os.getenv("BENCH_SUFFIX") or ""
  for line in io.lines(os.getenv("BENCH_URLS")) do
    if #line > 0 then
      paths[#paths + 1] = prefix .. "/" .. line .. suffix
    end
  end
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  next_index = math.floor((thread_id or 0) * #paths / threads) % #paths + 1
end

function request()
  local p = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", p)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx3xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
