#!/usr/bin/env bash
# The travel-time estimate (analysis::road_estimate) against routed OSRM car times between the
# 512 communes of Isère (../shared/data/osrm_isere_matrix_2021, see its PROVENANCE.md): errors
# per great-circle distance band for the former linear estimate (× 1.3 at 60 km/h) and the
# calibrated power law, on all pairs and held out (fitted on half the communes, judged on the
# other half). Prints the markdown tables of BENCHMARKS.md, "Travel-time estimate vs routed
# times (Isère)"; raw output in build/bench/road_estimate.txt. Accuracy, not speed: a debug
# build is enough.
#
#   scripts/bench_road_estimate.sh
set -euo pipefail
cd "$(dirname "$0")/.."

data=../shared/data/osrm_isere_matrix_2021
[[ -f $data/TimeDistCarIsere.csv && -f $data/isere.geojson ]] || { echo "bench_road_estimate: $data not found" >&2; exit 1; }
mkdir -p build/bench
cargo test --quiet --test road_estimate_isere report -- --exact --nocapture 2>&1 \
  | grep -v -E '^(running [0-9]+ tests?|test result:.*|\.+)$' | cat -s | tee build/bench/road_estimate.txt
