-- wrk script for tests/python/test_reload_under_load.py: alternates a tile and a commune's
-- JSON on each connection and records, per thread, the order in which data versions were
-- seen: a tile's ETag, and the commune's GP count read from its JSON (an answer is told by its
-- content type, not by counting requests). The test runs one connection per thread, so a
-- thread's responses arrive in the order its requests left: once a thread has seen the new
-- version, seeing the old one again is a stale answer.
local tile_path = os.getenv("WATCH_TILE")
local commune_path = os.getenv("WATCH_COMMUNE")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  tiles = ""         -- distinct ETags in the order seen ("a,b"), repeats collapsed
  communes = ""      -- distinct GP counts in the order seen
  last_tile, last_commune = nil, nil
  unparsed = 0       -- commune answers whose GP count could not be read
  not_ok = 0         -- answers other than 200 (wrk itself counts only statuses above 399)
  turn = 0
end

function request()
  turn = turn + 1
  return wrk.format("GET", (turn % 2 == 0) and tile_path or commune_path)
end

local function append(list, value)
  if list == "" then return value end
  return list .. "," .. value
end

function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1; return end
  local content_type = headers["content-type"] or headers["Content-Type"] or ""
  if content_type:find("vnd.mapbox-vector-tile", 1, true) then
    local etag = (headers["etag"] or headers["ETag"] or "none"):gsub('"', "")
    if etag ~= last_tile then tiles = append(tiles, etag); last_tile = etag end
  else
    local gp = body:match('"gp"%s*:%s*{[^{}]-"gp"%s*:%s*(%d+)')
    if gp == nil then unparsed = unparsed + 1; return end
    if gp ~= last_commune then communes = append(communes, gp); last_commune = gp end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"threads":[',
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
  for i, t in ipairs(threads) do
    io.write(string.format('%s{"tiles":"%s","communes":"%s","unparsed":%d,"not_ok":%d}',
      i > 1 and "," or "", t:get("tiles"), t:get("communes"), t:get("unparsed"), t:get("not_ok")))
  end
  io.write("]}\n")
end
