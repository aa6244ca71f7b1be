#!/usr/bin/env bash
# Planner speed: criterion (`cargo bench --bench planner`: nearest MSP, one-site scenario impact
# in Auvergne and nationally, suggestions k=5 in Allier) and HTTP queries/s of the nearest-MSP
# and scenario-impact endpoints with wrk on 127.0.0.1 (embedded default, release build).
#
#   scripts/bench_planner.sh          (figures in BENCHMARKS.md, "Planner")
#
# Bounded: each wrk run lasts BENCH_DURATION (default 10s) with BENCH_CONNECTIONS (32).
# Installs wrk when missing (scripts/setup-wrk.sh, apt-get: needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-32}
port=${MEDATLAS_PORT:-18083}
out=build/bench
mkdir -p "$out"
scripts/setup-wrk.sh
scripts/setup.sh >/dev/null

echo "== criterion"
cargo bench --bench planner 2>&1 | grep -E '^[a-z0-9_/]+ +time:|^[a-z0-9_/]+$|time:' | tee "$out/criterion-planner.txt"

cargo build --release --quiet
dir=$(mktemp -d)
RUST_LOG=error ./target/release/medatlas serve --addr "127.0.0.1:$port" --scenarios-dir "$dir" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

cosne=$(curl -sf "http://127.0.0.1:$port/api/indicators?level=commune&dep=03&format=csv" | awk -F, '$2 == "Cosne-d'"'"'Allier" {print $1}')
id=$(curl -sf -X POST -H 'content-type: application/json' \
  -d "{\"changes\": [{\"type\": \"add_site\", \"commune\": \"$cosne\", \"gps\": 3}]}" \
  "http://127.0.0.1:$port/api/scenarios" | sed -E 's/.*"id":"([0-9a-f]+)".*/\1/')
curl -sf "http://127.0.0.1:$port/api/scenarios/$id/impact" >/dev/null   # builds the baseline once

for url in "/api/communes/03185/nearest-msp?k=3" "/api/nearest-msp?lon=2.9&lat=46.2&k=3" "/api/scenarios/$id/impact"; do
  echo "== wrk -t2 -c$connections -d$duration http://127.0.0.1:$port$url"
  wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port$url" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
done
