#!/usr/bin/env bash
# Measures what the audit trail costs per request: two Halyard servers of
# the same build and settings, measured in alternating rounds of one
# halyard-bench invocation:
#   on  — the default: every call recorded, data events included
#   off — `--audit-data-events off`: management events only, so item reads
#         and writes are not recorded
# With BASE_BIN set, two more servers of that build (base-on, base-off) join
# the same alternating rounds, so a change is compared with what it replaces
# under the same load. DURABILITY defaults to full (fsync per commit).
#
#   benchmarks/audit-session.sh OUTDIR
#   BASE_BIN=/tmp/halyard-main benchmarks/audit-session.sh OUTDIR
set -eu
OUT=${1:?usage: $0 OUTDIR}
mkdir -p "$OUT"
HALYARD=${HALYARD_BIN:-target/release/halyard}
BENCH=${BENCH:-target/release/halyard-bench}
DURATION=${DURATION:-24}
ROUNDS=${ROUNDS:-4}
WORKLOADS=${WORKLOADS:-put get}
CONCURRENCIES=${CONCURRENCIES:-32}
DURABILITY=${DURABILITY:-full}
BASE_BIN=${BASE_BIN:-}
DATA=$(mktemp -d /tmp/halyard-audit-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$DATA"' EXIT

serve() { # BINARY NAME PORT ARGS...
  local binary=$1 name=$2 port=$3; shift 3
  HALYARD_ROOT_ACCESS_KEY_ID=benchaccess HALYARD_ROOT_SECRET_ACCESS_KEY=benchsecret \
    "$binary" serve --listen "127.0.0.1:$port" --data-dir "$DATA/$name" --durability "$DURABILITY" "$@" \
    >"$OUT/server-$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return
    sleep 0.1
  done
  echo "server $name did not start" >&2; exit 2
}

serve "$HALYARD" on 8110
serve "$HALYARD" off 8111 --audit-data-events off
NAMES="on off"
ENDPOINTS=(--endpoint on=http://127.0.0.1:8110 --endpoint off=http://127.0.0.1:8111)
if [ -n "$BASE_BIN" ]; then
  serve "$BASE_BIN" base-on 8112
  serve "$BASE_BIN" base-off 8113 --audit-data-events off
  NAMES="on off base-on base-off"
  ENDPOINTS+=(--endpoint base-on=http://127.0.0.1:8112 --endpoint base-off=http://127.0.0.1:8113)
fi

for c in $CONCURRENCIES; do
  for w in $WORKLOADS; do
    echo "=== $w, concurrency $c; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/$w-c$c.txt" >&2
    "$BENCH" "${ENDPOINTS[@]}" --workload "$w" --concurrency "$c" --duration "$DURATION" --rounds "$ROUNDS" \
      --json "$OUT/$w-c$c.json" --allow-errors 2>&1 | tee -a "$OUT/$w-c$c.txt"
  done
done
# CPU seconds each server used (user + system, warm-up included): divided
# by the requests it served, a measure that the machine's load moves less
# than throughput.
i=0
for name in $NAMES; do
  echo "$name: $(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/${PIDS[$i]}/stat") CPU s" | tee -a "$OUT/trail.txt"
  i=$((i + 1))
done
# What the trail holds afterwards: records moved into files, and left to move.
for name in $NAMES; do
  echo "$name: $(find "$DATA/$name/audit/logs" -name '*.json.gz' 2>/dev/null | wc -l) log files," \
    "$(du -sh "$DATA/$name/audit" 2>/dev/null | cut -f1) in audit/" | tee -a "$OUT/trail.txt"
done
