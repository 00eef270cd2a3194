#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for the tests: `start DIR` initialises
# one in DIR (as a normal user: initdb refuses root), starts it on a free
# loopback port and prints its connection URL; `stop DIR` stops it and
# removes DIR. Installs Debian's postgresql when it is missing.
#
# Tuned for tests, not for data: fsync is off (a test cluster never
# survives a power loss; the storage tests do not test one).
set -euo pipefail

BIN=${HALYARD_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=halyardpg

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

# Runs a command as the cluster's owner (this user unless we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

install_postgres() {
  if [ ! -x "$BIN/initdb" ]; then
    echo "installing postgresql (Debian's) ..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1
  install_postgres
  if [ "$(id -u)" -eq 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$PG_USER" "$dir"
  fi
  as_owner "$BIN/initdb" --pgdata="$dir/data" --username=halyard --auth=trust \
    --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  local port
  port=$(free_port)
  # pg_ctl runs the options through a shell: they stay on one line.
  as_owner "$BIN/pg_ctl" --pgdata="$dir/data" -l "$dir/postgres.log" --wait --silent start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c full_page_writes=off -c max_connections=400" >&2 \
    || { cat "$dir/postgres.log" >&2; exit 1; }
  echo "postgres://halyard@127.0.0.1:$port/postgres"
}

stop() {
  local dir=$1
  if [ -d "$dir/data" ]; then
    as_owner "$BIN/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait --silent stop >&2 || true
  fi
  rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
