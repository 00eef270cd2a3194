#!/usr/bin/env bash
# Measures what authentication and authorisation cost per request: three
# Halyard servers of the same build and settings, measured in alternating
# rounds of one halyard-bench invocation:
#   off  — `--auth off` (anything is accepted)
#   root — `--auth sigv4`, signed with the root key (no policy evaluation)
#   user — `--auth sigv4`, signed with an IAM user's key whose ten-statement
#          inline policy (benchmarks/auth_setup.py) is evaluated per request
# halyard-bench signs every request with one key pair, so the root server's
# root key is set to the IAM user's key pair (made on the user server).
#
#   benchmarks/auth-session.sh OUTDIR
set -eu
OUT=${1:?usage: $0 OUTDIR}
mkdir -p "$OUT"
HALYARD=${HALYARD_BIN:-target/release/halyard}
BENCH=${BENCH:-target/release/halyard-bench}
PYTHON=${PYTHON:-python3}
DURATION=${DURATION:-9}
ROUNDS=${ROUNDS:-3}
WORKLOADS=${WORKLOADS:-get put query}
CONCURRENCIES=${CONCURRENCIES:-1 32}
DATA=$(mktemp -d /tmp/halyard-auth-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$DATA"' EXIT

serve() { # NAME PORT ARGS...
  local name=$1 port=$2; shift 2
  "$HALYARD" serve --listen "127.0.0.1:$port" --data-dir "$DATA/$name" --durability relaxed "$@" \
    >"$OUT/server-$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return
    sleep 0.1
  done
  echo "server $name did not start" >&2; exit 2
}

HALYARD_ROOT_ACCESS_KEY_ID=benchaccess HALYARD_ROOT_SECRET_ACCESS_KEY=benchsecret \
  serve user 8102 --auth sigv4
read -r KEY SECRET < <("$PYTHON" "$(dirname "$0")/auth_setup.py" http://127.0.0.1:8102 benchaccess benchsecret)
HALYARD_ROOT_ACCESS_KEY_ID=$KEY HALYARD_ROOT_SECRET_ACCESS_KEY=$SECRET serve root 8101 --auth sigv4
serve off 8100 --auth off

for c in $CONCURRENCIES; do
  for w in $WORKLOADS; do
    echo "=== $w, concurrency $c; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/$w-c$c.txt" >&2
    "$BENCH" --endpoint off=http://127.0.0.1:8100 --compare-endpoint root=http://127.0.0.1:8101 \
      --compare-endpoint user=http://127.0.0.1:8102 --access-key "$KEY" --secret-key "$SECRET" \
      --workload "$w" --concurrency "$c" --duration "$DURATION" --rounds "$ROUNDS" \
      --json "$OUT/$w-c$c.json" --allow-errors 2>&1 | tee -a "$OUT/$w-c$c.txt"
  done
done
