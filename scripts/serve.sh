#!/usr/bin/env bash
# Builds medatlas (release) and serves the embedded default data set on 127.0.0.1:8080.
# Extra arguments go to `medatlas serve` (e.g. --addr 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --locked -- serve "$@"
