#!/usr/bin/env bash
# Creates build/venv with the Python packages of the acceptance tests (tests/python), pinned in
# tests/python/requirements.txt. Idempotent: does nothing when the venv already holds exactly
# those pins. Prints the venv's python path last.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=build/venv
requirements=tests/python/requirements.txt
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
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
