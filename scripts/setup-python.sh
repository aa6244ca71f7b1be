#!/usr/bin/env bash
# Creates a venv holding exactly the pins of a requirements file. Idempotent: does nothing when
# the venv already holds those pins (sha256 stamp). Prints the venv's python path last.
#
#   scripts/setup-python.sh                       build/venv, tests/python/requirements.txt
#   scripts/setup-python.sh VENV REQUIREMENTS [PIP ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-build/venv}
requirements=${2:-tests/python/requirements.txt}
shift $(( $# < 2 ? $# : 2 ))
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -x $venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup-python: $venv up to date" >&2
else
  if [[ ! -x $venv/bin/python ]]; then
    echo "setup-python: creating $venv" >&2
    python3 -m venv "$venv" || {
      echo "setup-python: 'python3 -m venv' failed; on Debian install it with: apt-get install python3-venv" >&2
      exit 1
    }
  fi
  echo "setup-python: installing $requirements" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" -r "$requirements"
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
