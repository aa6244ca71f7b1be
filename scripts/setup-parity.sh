#!/usr/bin/env bash
# Creates build/parity-venv with PySAL's `access`, `spopt` and `mapclassify` packages and their
# dependencies, pinned in scripts/parity/requirements.txt (wheels only), for the parity checks
# against PySAL (scripts/parity/access_fixtures.py, bench_pysal_e2sfca.py, mclp_fixtures.py,
# classify_fixtures.py). Idempotent; prints the venv's python path last.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/setup-python.sh build/parity-venv scripts/parity/requirements.txt --only-binary=:all:
