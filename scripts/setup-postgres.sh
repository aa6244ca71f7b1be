#!/usr/bin/env bash
# A PostgreSQL server for the shared scenario store's tests (tests/pg_store.rs) and for trying
# `medatlas serve --scenarios-db`: installs Debian's `postgresql` if no server is there, creates
# a cluster of the project's own (build/pg, or as root in the postgres user's home; trust
# authentication, 127.0.0.1 only, port $MEDATLAS_PG_PORT or 55432) and starts it unless it
# already runs. Idempotent. Prints the administration URL last (database `postgres`; tests
# create and drop databases of their own).
#   scripts/setup-postgres.sh            start (installing first if needed)
#   scripts/setup-postgres.sh --status   exit status 0 when the project's server runs
#   scripts/setup-postgres.sh --stop     stop the project's server
set -euo pipefail
cd "$(dirname "$0")/.."

port="${MEDATLAS_PG_PORT:-55432}"
# As root the cluster belongs to the `postgres` user, who may not reach the checkout (under
# /root, say): it then lives in that user's home, one per checkout.
if [[ "$(id -u)" == 0 ]]; then
  root="/var/lib/postgresql/medatlas-$(printf %s "$PWD" | sha256sum | cut -c1-12)"
else
  root="$PWD/build/pg"
fi
data="$root/data"
run="$root/run"

bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

if [[ -z "$(bindir)" ]]; then
  echo "setup-postgres: installing Debian's postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin="$(bindir)"
if [[ -z "$bin" ]]; then
  echo "setup-postgres: no PostgreSQL server found after installing" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user the
# Debian package creates.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [[ "${1:-}" == "--status" ]]; then
  [[ -f "$data/postmaster.pid" ]] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
  exit
fi
if [[ "${1:-}" == "--stop" ]]; then
  if [[ -f "$data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2
  fi
  exit 0
fi

mkdir -p "$root" "$run"
if [[ "$(id -u)" == 0 ]]; then
  chown postgres: "$root" "$run"
fi
if [[ ! -f "$data/PG_VERSION" ]]; then
  echo "setup-postgres: creating a cluster in $data" >&2
  as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
fi
if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  echo "setup-postgres: starting PostgreSQL on 127.0.0.1:$port" >&2
  as_owner "$bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 60 \
    -o "-p $port -k $run -c listen_addresses=127.0.0.1" start >&2
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
