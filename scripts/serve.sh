#!/usr/bin/env bash
# Builds medatlas (release), installs the viewer's MapLibre GL JS from npm (scripts/setup-web.sh,
# no browser needed for serving) and serves the embedded default data set and the map on
# http://127.0.0.1:8080. Extra arguments go to `medatlas serve` (e.g. --addr 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-web.sh --no-browser
exec cargo run --release --locked -- serve "$@"
