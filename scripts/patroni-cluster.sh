#!/usr/bin/env bash
# A throw-away highly available PostgreSQL 15 for the failover tests and the
# recipe in docs/failover.md: a 3-member etcd and two PostgreSQL servers
# managed by Patroni (a primary and a synchronous standby), all on loopback
# with ports of their own, in DIR.
#
#   start DIR   installs Debian's patroni, etcd-server, etcd-client and
#               postgresql when missing, starts everything as a normal user
#               (initdb refuses root: as root, as user halyardpg), waits for
#               a primary and a synchronous standby, writes DIR/cluster.json
#               (the members, their ports and data directories) and prints
#               the multi-host connection URL Halyard uses. The servers
#               also accept TLS, with the self-signed certificate
#               DIR/tls/server.crt (for 127.0.0.1): add
#               `&sslmode=require&sslrootcert=DIR/tls/server.crt`.
#   stop DIR    stops Patroni (which stops its PostgreSQL) and etcd, and
#               removes DIR.
#
# Tuned for tests, not for data: fsync is off (a test never survives a
# power loss) and failure detection is fast (ttl 10 s, loop 1 s).
set -euo pipefail

BIN=${HALYARD_PG_BIN:-/usr/lib/postgresql/15/bin}
OWNER=halyardpg
SCOPE=halyard
MEMBERS=(pg1 pg2)
ETCD_MEMBERS=(etcd1 etcd2 etcd3)

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

# Runs a command as the cluster's owner (this user unless we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

install_packages() {
  local missing=()
  [ -x "$BIN/initdb" ] || missing+=(postgresql-15)
  command -v patroni >/dev/null || missing+=(patroni)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v etcdctl >/dev/null || missing+=(etcd-client)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian's) ..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

# N free loopback ports, all distinct (bound together, then released).
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# Waits up to $2 seconds until the URL $1 answers 200.
wait_http() {
  local url=$1 timeout=$2 start=$SECONDS
  until /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url" 2>/dev/null; do
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      return 1
    fi
    sleep 0.2
  done
}

# Starts a command as the owner in the background, in a session of its own
# (its pid, which is its process group's, in $1.pid; its output in $1.log).
spawn() {
  local name=$1
  shift
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's.
  as_owner setsid sh -c 'echo $$ >"$0"; exec "$@"' "$name.pid" "$@" >"$name.log" 2>&1 </dev/null &
}

start() {
  local dir=$1
  install_packages
  if [ "$(id -u)" -eq 0 ] && ! id "$OWNER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER"
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local ports
  read -r -a ports <<<"$(free_ports 10)"
  # etcd: client and peer port per member.
  local initial_cluster="" endpoints="" i
  for i in 0 1 2; do
    initial_cluster+="${initial_cluster:+,}${ETCD_MEMBERS[$i]}=http://127.0.0.1:${ports[$((2 * i + 1))]}"
    endpoints+="${endpoints:+,}127.0.0.1:${ports[$((2 * i))]}"
  done
  for i in 0 1 2; do
    mkdir -p "$dir/${ETCD_MEMBERS[$i]}"
  done
  mkdir -p "$dir/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -addext basicConstraints=critical,CA:FALSE -addext extendedKeyUsage=serverAuth -keyout "$dir/tls/server.key" -out "$dir/tls/server.crt" 2>"$dir/tls/openssl.log" \
    || { cat "$dir/tls/openssl.log" >&2; exit 1; }
  chmod 600 "$dir/tls/server.key"
  # PostgreSQL and Patroni's REST API: one port each per member.
  local pg_ports=("${ports[6]}" "${ports[7]}") api_ports=("${ports[8]}" "${ports[9]}")
  for i in 0 1; do
    local member=${MEMBERS[$i]}
    mkdir -p "$dir/$member"
    cat >"$dir/$member/patroni.yml" <<EOF
scope: $SCOPE
name: $member
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:${api_ports[$i]}
  connect_address: 127.0.0.1:${api_ports[$i]}
etcd3:
  hosts: $endpoints
bootstrap:
  dcs:
    # A dead primary's leader key expires after ttl; a crashed PostgreSQL
    # under a live Patroni fails over at once (primary_start_timeout 0).
    ttl: 10
    loop_wait: 1
    retry_timeout: 3
    primary_start_timeout: 0
    maximum_lag_on_failover: 1048576
    # Only the synchronous standby may be promoted, and a commit returns
    # once that standby has the WAL: nothing acknowledged is lost.
    synchronous_mode: true
    # Off: with one standby, strict mode stops every write while either
    # server is down; without it the primary writes alone until a standby
    # is back (docs/failover.md).
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        synchronous_commit: "on"
        wal_log_hints: "on"
        max_connections: 200
        fsync: "off"
        full_page_writes: "on"
  initdb:
    - encoding: UTF8
    - locale: C
    - auth: trust
postgresql:
  listen: 127.0.0.1:${pg_ports[$i]}
  connect_address: 127.0.0.1:${pg_ports[$i]}
  data_dir: $dir/$member/data
  bin_dir: $BIN
  pgpass: $dir/$member/pgpass
  authentication:
    superuser:
      username: halyard
      password: halyard
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: $dir/$member
    ssl: "on"
    ssl_cert_file: $dir/tls/server.crt
    ssl_key_file: $dir/tls/server.key
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
EOF
  done
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$OWNER" "$dir"
  fi
  for i in 0 1 2; do
    local name=${ETCD_MEMBERS[$i]} client=${ports[$((2 * i))]} peer=${ports[$((2 * i + 1))]}
    spawn "$dir/$name" etcd --name "$name" --data-dir "$dir/$name/data" \
      --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "$initial_cluster" --initial-cluster-state new --initial-cluster-token "$SCOPE-$$"
  done
  wait_http "http://127.0.0.1:${ports[0]}/health" 30 || { tail -n 20 "$dir"/etcd*.log >&2; exit 1; }
  # The first member bootstraps (initdb) and becomes the primary; the
  # second then copies it (pg_basebackup) and becomes its sync standby.
  spawn "$dir/pg1/patroni" patroni "$dir/pg1/patroni.yml"
  wait_http "http://127.0.0.1:${api_ports[0]}/primary" 60 || { tail -n 30 "$dir/pg1/patroni.log" >&2; exit 1; }
  spawn "$dir/pg2/patroni" patroni "$dir/pg2/patroni.yml"
  wait_http "http://127.0.0.1:${api_ports[1]}/sync" 90 || { tail -n 30 "$dir/pg2/patroni.log" >&2; exit 1; }
  cat >"$dir/cluster.json" <<EOF
{"etcd": "$endpoints",
 "members": [
  {"name": "pg1", "port": ${pg_ports[0]}, "api": ${api_ports[0]}, "data": "$dir/pg1/data"},
  {"name": "pg2", "port": ${pg_ports[1]}, "api": ${api_ports[1]}, "data": "$dir/pg2/data"}]}
EOF
  echo "postgres://halyard@127.0.0.1:${pg_ports[0]},127.0.0.1:${pg_ports[1]}/postgres?target_session_attrs=read-write"
}

# Sends signal $1 to the process groups whose pids are in the files given.
signal_all() {
  local sig=$1 file
  shift
  for file in "$@"; do
    [ -f "$file" ] && kill "-$sig" -- "-$(cat "$file")" 2>/dev/null || true
  done
}

# Stops the processes whose pids are in the files given: SIGTERM, and
# SIGKILL to those still running after $1 seconds.
stop_all() {
  local timeout=$1 file start=$SECONDS
  shift
  signal_all TERM "$@"
  for file in "$@"; do
    [ -f "$file" ] || continue
    while kill -0 "$(cat "$file")" 2>/dev/null; do
      if [ $((SECONDS - start)) -ge "$timeout" ]; then
        signal_all KILL "$file"
        break
      fi
      sleep 0.2
    done
  done
}

stop() {
  local dir=$1 member
  [ -d "$dir" ] || return 0
  stop_all 30 "$dir"/pg*/patroni.pid
  # A PostgreSQL that Patroni did not stop (a test killed its Patroni).
  for member in "${MEMBERS[@]}"; do
    local data=$dir/$member/data pid
    [ -f "$data/postmaster.pid" ] || continue
    pid=$(head -n 1 "$data/postmaster.pid")
    # Only if it is still that postmaster (a killed one leaves its file).
    if ps -o args= -p "$pid" 2>/dev/null | grep -qF -- "-D $data"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  stop_all 10 "$dir"/etcd*.pid
  rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
