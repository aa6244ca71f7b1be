#!/usr/bin/env bash
# Installs the OSRM routing engine for `medatlas travel-times`, idempotently, from the PyPI
# package `osrm-bindings` (pinned below): its manylinux wheel ships the OSRM executables and
# Lua profiles (they link only glibc and libstdc++; Python is not needed to run them), its
# source distribution holds a real OpenStreetMap extract of Monaco that the tests route on.
#
#   build/osrm/bin/osrm-{extract,contract,routed,...}   the executables (run bit set)
#   build/osrm/profiles/car.lua (+ lib/)                the Lua profiles
#   build/osrm/test-data/monaco.osm.pbf                 Monaco's OSM extract
#
# Every download is checked against the sha256 pinned here. A second run does nothing.
# Usage: scripts/setup-osrm.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version=26.10.0
wheel=osrm_bindings-${version}-cp312-abi3-manylinux_2_28_x86_64.whl
wheel_sha256=840d6f82812eb9f9e17c71eb9083dfa15f3be2bfec4965c32aefa48b00d3a951
sdist=osrm_bindings-${version}.tar.gz
sdist_sha256=2ca271af60e0628394f070e9a0f371bf18ff6c6e23769acc620d4aa7c07ed32c
monaco_member=osrm_bindings-${version}/test/data/monaco.osm.pbf
monaco_sha256=36c0f0029ed838897322382611b67e8e5e7bcb07d5b17a25f3574dec54f1c23c

dest=build/osrm
downloads=build/osrm-download
# Written last: its content says which version was installed, so a half-finished run (or an
# older version) is redone rather than taken as ready.
stamp=$dest/.installed
want_stamp="osrm-bindings $version wheel $wheel_sha256 monaco $monaco_sha256"

where() {
    echo "setup-osrm: OSRM $("$dest/bin/osrm-routed" --version 2>/dev/null || echo '?') executables in $dest/bin"
    echo "setup-osrm: profiles in $dest/profiles (car.lua), Monaco extract $dest/test-data/monaco.osm.pbf"
}

if [[ -f $stamp && "$(cat "$stamp")" == "$want_stamp" && -x $dest/bin/osrm-routed && -f $dest/test-data/monaco.osm.pbf ]]; then
    echo "setup-osrm: osrm-bindings $version already installed; nothing to do."
    where
    exit 0
fi

check_sha256() { # file expected
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [[ $got != "$2" ]]; then
        echo "setup-osrm: $1 has sha256 $got, expected $2 (refusing to use it; delete it to download again)" >&2
        exit 1
    fi
}

mkdir -p "$downloads"
pip_download() {
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$downloads" "$@"
}
if [[ ! -f $downloads/$wheel ]]; then
    echo "setup-osrm: downloading the osrm-bindings $version wheel with pip (about 21 MB)"
    pip_download --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 "osrm-bindings==$version"
fi
check_sha256 "$downloads/$wheel" "$wheel_sha256"
if [[ ! -f $downloads/$sdist ]]; then
    # `--no-binary osrm-bindings`, not `--no-binary=:all:`: the latter makes pip build the
    # sdist's build dependencies (cmake, ...) from source, which takes many minutes.
    echo "setup-osrm: downloading the osrm-bindings $version source distribution with pip (about 38 MB, for Monaco's extract)"
    pip_download --no-binary osrm-bindings "osrm-bindings==$version"
fi
check_sha256 "$downloads/$sdist" "$sdist_sha256"

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/bin" "$dest.tmp/profiles" "$dest.tmp/test-data"
# Only the executables and the profiles: the Python module is not needed.
python3 - "$downloads/$wheel" "$dest.tmp" <<'EOF'
import os, shutil, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        for prefix, sub in (("osrm/bin/", "bin"), ("osrm/share/profiles/", "profiles")):
            if name.startswith(prefix) and not name.endswith("/"):
                target = os.path.join(dest, sub, name[len(prefix):])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
EOF
# Zip members lose their run bit.
chmod +x "$dest.tmp"/bin/*
tar -xzf "$downloads/$sdist" -O "$monaco_member" > "$dest.tmp/test-data/monaco.osm.pbf"
check_sha256 "$dest.tmp/test-data/monaco.osm.pbf" "$monaco_sha256"

# The executables need only glibc and libstdc++ on Debian 12; say so clearly if a library is
# missing on another system rather than failing later inside a test.
missing=$(ldd "$dest.tmp"/bin/osrm-* 2>/dev/null | grep 'not found' | sort -u || true)
if [[ -n $missing ]]; then
    echo "setup-osrm: the OSRM executables need shared libraries that are missing:" >&2
    echo "$missing" >&2
    if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]]; then
        echo "setup-osrm: installing libstdc++6 with apt-get" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libstdc++6 >&2
    fi
fi
"$dest.tmp/bin/osrm-routed" --version >/dev/null

rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$want_stamp" > "$stamp"
echo "setup-osrm: installed osrm-bindings $version"
where
