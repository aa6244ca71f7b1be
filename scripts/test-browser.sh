#!/usr/bin/env bash
# The viewer in headless Chromium: starts `medatlas serve` (debug build, embedded default) on a
# free local port, runs tests/browser/viewer.mjs (playwright-core) and tests/browser/docs.mjs
# (the API's documentation page, /docs), stops the server.
# Screenshots go to build/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-web.sh
cargo build --locked --quiet
# A free port unless one is asked for: two runs on one machine must not meet.
port=${MEDATLAS_BROWSER_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
dir=$(mktemp -d)
RUST_LOG=error "${CARGO_TARGET_DIR:-target}/debug/medatlas" serve --addr "127.0.0.1:$port" --scenarios-dir "$dir" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
mkdir -p build/screenshots
SCREENSHOT_DIR=build/screenshots node tests/browser/viewer.mjs "http://127.0.0.1:$port"
SCREENSHOT_DIR=build/screenshots node tests/browser/docs.mjs "http://127.0.0.1:$port"
