#!/usr/bin/env bash
# Installs what `cargo build --features gdal` needs on Debian 12 (GDAL 3.6 headers and
# library, the GDAL command-line tools, pkg-config). Idempotent: does nothing when
# pkg-config already finds GDAL and ogr2ogr is on the PATH.
#
# Usage: scripts/setup-gdal.sh   (as root, or as a user with sudo)
set -euo pipefail

packages=(libgdal-dev gdal-bin pkg-config)

if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists gdal \
    && command -v ogr2ogr >/dev/null 2>&1; then
    echo "setup-gdal: GDAL $(pkg-config --modversion gdal) already found by pkg-config and ogr2ogr is installed; nothing to do."
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
    echo "setup-gdal: not root, using sudo."
else
    echo "setup-gdal: must run as root (or with sudo available) to install: ${packages[*]}" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-gdal: apt-get not found; this script targets Debian 12. Install ${packages[*]} by hand." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup-gdal: apt-get update"
"${as_root[@]}" apt-get update
echo "setup-gdal: apt-get install -y --no-install-recommends ${packages[*]}"
"${as_root[@]}" apt-get install -y --no-install-recommends "${packages[@]}"

if ! pkg-config --exists gdal; then
    echo "setup-gdal: installed, but pkg-config still does not find gdal" >&2
    exit 1
fi
echo "setup-gdal: done: GDAL $(pkg-config --modversion gdal), $(command -v ogr2ogr)"
