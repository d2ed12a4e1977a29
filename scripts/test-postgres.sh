#!/usr/bin/env bash
# Start (installing it if needed) a throw-away PostgreSQL server for the test suite, on a port of its own.
# Prints the database URL on its last line. PostgreSQL refuses to run as root, so as root it runs as `postgres`.
set -euo pipefail

PORT="${ORIENTATION_TEST_PG_PORT:-54329}"
DATA="${ORIENTATION_TEST_PG_DATA:-/tmp/orientation-test-pg-$PORT}"
DB="orientation_test"

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

PGBIN="$(find_bin || true)"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL server not found: installing it with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  PGBIN="$(find_bin)"
fi

as_pg() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}

if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$DATA"; fi
  as_pg "'$PGBIN/initdb' -D '$DATA' -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8" >/dev/null
fi

if ! as_pg "'$PGBIN/pg_ctl' -D '$DATA' status" >/dev/null 2>&1; then
  # Durability is not what tests measure: fsync off makes the suite several times faster.
  as_pg "'$PGBIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w -t 60 \
    -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" >/dev/null
fi

if ! as_pg "psql -h 127.0.0.1 -p $PORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='$DB'\"" | grep -q 1; then
  as_pg "psql -h 127.0.0.1 -p $PORT -U postgres -c 'CREATE DATABASE $DB'" >/dev/null
fi

echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
