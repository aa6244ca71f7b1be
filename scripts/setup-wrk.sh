#!/usr/bin/env bash
# Installs the HTTP load generator wrk (Debian package `wrk`) when it is missing; needs root for
# apt-get. Used by the benchmark scripts and by the reload-under-load test
# (tests/python/test_reload_under_load.py). Idempotent.
set -euo pipefail
if ! command -v wrk >/dev/null; then
  echo "setup-wrk: installing wrk (apt-get)" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
