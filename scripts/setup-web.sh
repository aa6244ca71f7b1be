#!/usr/bin/env bash
# Installs what the browser viewer, the /docs page, the static page (`tiles static`) and their
# tests need: MapLibre GL JS, swagger-ui-dist, the `pmtiles` protocol and playwright-core from
# the npm registry into web/node_modules (npm ci, pinned by web/package-lock.json; never
# committed), and Debian's chromium for the headless test (apt-get, needs root; skipped with
# --no-browser). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f web/node_modules/.package-lock.json || web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
  echo "setup-web: npm ci in web/" >&2
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ "${1:-}" != "--no-browser" && ! -x /usr/bin/chromium ]]; then
  echo "setup-web: installing chromium (apt-get)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
