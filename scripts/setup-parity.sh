#!/usr/bin/env bash
# Creates build/parity-venv with PySAL's `access` and `spopt` packages and their dependencies, pinned in
# scripts/parity/requirements.txt, for the parity check of the Rust 2SFCA/E2SFCA against
# PySAL and of the MCLP siting against spopt (scripts/parity/access_fixtures.py,
# scripts/parity/bench_pysal_e2sfca.py, scripts/parity/mclp_fixtures.py).
# Idempotent: does nothing when the venv already holds exactly those pins. Prints the venv's
# python path last.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=build/parity-venv
requirements=scripts/parity/requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -x $venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup-parity: $venv up to date" >&2
else
  if [[ ! -x $venv/bin/python ]]; then
    echo "setup-parity: creating $venv" >&2
    python3 -m venv "$venv" || {
      echo "setup-parity: 'python3 -m venv' failed; on Debian install it with: apt-get install python3-venv" >&2
      exit 1
    }
  fi
  echo "setup-parity: installing $requirements" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
    -r "$requirements"
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
