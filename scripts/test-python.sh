#!/usr/bin/env bash
# Python acceptance tests of the tiles: the exported PMTiles archive read back with Python's
# `pmtiles`, compared byte for byte with what `medatlas serve` answers, and tiles decoded with
# `mapbox-vector-tile`. Uses the debug binary (what `cargo test` builds anyway: the default
# export takes ~8 s with it, less than a release build); set MEDATLAS_BIN to use another.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(scripts/setup-python.sh)
# wrk loads the server from a second process in test_reload_under_load.py.
scripts/setup-wrk.sh
target_dir=${CARGO_TARGET_DIR:-target}
if [[ -z ${MEDATLAS_BIN:-} ]]; then
  echo "== cargo build --locked"
  cargo build --locked
  export MEDATLAS_BIN=$target_dir/debug/medatlas
fi
echo "== pytest tests/python (MEDATLAS_BIN=$MEDATLAS_BIN)"
# No .pytest_cache in the work tree.
"$python" -m pytest -p no:cacheprovider tests/python "$@"
