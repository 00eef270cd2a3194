#!/usr/bin/env bash
# Measures what the audit trail costs per request: two Halyard servers of
# the same build and settings, measured in alternating rounds of one
# halyard-bench invocation:
#   on  — the default: every call recorded, data events included
#   off — `--audit-data-events off`: management events only, so item reads
#         and writes are not recorded
#
#   benchmarks/audit-session.sh OUTDIR
set -eu
OUT=${1:?usage: $0 OUTDIR}
mkdir -p "$OUT"
HALYARD=${HALYARD_BIN:-target/release/halyard}
BENCH=${BENCH:-target/release/halyard-bench}
DURATION=${DURATION:-24}
ROUNDS=${ROUNDS:-4}
WORKLOADS=${WORKLOADS:-put get}
CONCURRENCIES=${CONCURRENCIES:-32}
DURABILITY=${DURABILITY:-relaxed}
DATA=$(mktemp -d /tmp/halyard-audit-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$DATA"' EXIT

serve() { # NAME PORT ARGS...
  local name=$1 port=$2; shift 2
  HALYARD_ROOT_ACCESS_KEY_ID=benchaccess HALYARD_ROOT_SECRET_ACCESS_KEY=benchsecret \
    "$HALYARD" serve --listen "127.0.0.1:$port" --data-dir "$DATA/$name" --durability "$DURABILITY" "$@" \
    >"$OUT/server-$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return
    sleep 0.1
  done
  echo "server $name did not start" >&2; exit 2
}

serve on 8110
serve off 8111 --audit-data-events off

for c in $CONCURRENCIES; do
  for w in $WORKLOADS; do
    echo "=== $w, concurrency $c; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/$w-c$c.txt" >&2
    "$BENCH" --endpoint on=http://127.0.0.1:8110 --compare-endpoint off=http://127.0.0.1:8111 \
      --workload "$w" --concurrency "$c" --duration "$DURATION" --rounds "$ROUNDS" \
      --json "$OUT/$w-c$c.json" --allow-errors 2>&1 | tee -a "$OUT/$w-c$c.txt"
  done
done
# CPU seconds each server used (user + system, warm-up included): divided
# by the requests it served, a measure that the machine's load moves less
# than throughput.
for i in 0 1; do
  name=$([ $i = 0 ] && echo on || echo off)
  echo "$name: $(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/${PIDS[$i]}/stat") CPU s" | tee -a "$OUT/trail.txt"
done
# What the trail holds afterwards: records moved into files, and left to move.
for name in on off; do
  echo "$name: $(find "$DATA/$name/audit/logs" -name '*.json.gz' 2>/dev/null | wc -l) log files," \
    "$(du -sh "$DATA/$name/audit" 2>/dev/null | cut -f1) in audit/" | tee -a "$OUT/trail.txt"
done
