#!/usr/bin/env bash
# Measures what metric recording costs per request: two Halyard servers of
# the same build and settings, measured in alternating rounds of one
# halyard-bench invocation:
#   off — `--metrics off` (nothing recorded, no /metrics)
#   on  — the default: every request, write batch and capacity charge
#         recorded; /metrics scraped every second during the run, as a
#         Prometheus with a short interval would
#
#   benchmarks/metrics-session.sh OUTDIR
set -eu
OUT=${1:?usage: $0 OUTDIR}
mkdir -p "$OUT"
HALYARD=${HALYARD_BIN:-target/release/halyard}
BENCH=${BENCH:-target/release/halyard-bench}
DURATION=${DURATION:-16}
ROUNDS=${ROUNDS:-4}
WORKLOADS=${WORKLOADS:-get put query mixed}
CONCURRENCIES=${CONCURRENCIES:-1 32}
DATA=$(mktemp -d /tmp/halyard-metrics-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$DATA"' EXIT

serve() { # NAME PORT ARGS...
  local name=$1 port=$2; shift 2
  HALYARD_ROOT_ACCESS_KEY_ID=benchaccess HALYARD_ROOT_SECRET_ACCESS_KEY=benchsecret HALYARD_METRICS_TOKEN=benchtoken \
    "$HALYARD" serve --listen "127.0.0.1:$port" --data-dir "$DATA/$name" --durability relaxed "$@" \
    >"$OUT/server-$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return
    sleep 0.1
  done
  echo "server $name did not start" >&2; exit 2
}

serve off 8110 --metrics off
serve on 8111
# The scraper: one scrape a second of the recording server.
( while sleep 1; do curl -s -o /dev/null -H "Authorization: Bearer benchtoken" http://127.0.0.1:8111/metrics; done ) &
PIDS+=($!)

for c in $CONCURRENCIES; do
  for w in $WORKLOADS; do
    echo "=== $w, concurrency $c; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/$w-c$c.txt" >&2
    "$BENCH" --endpoint on=http://127.0.0.1:8111 --compare-endpoint off=http://127.0.0.1:8110 \
      --workload "$w" --concurrency "$c" --duration "$DURATION" --rounds "$ROUNDS" \
      --json "$OUT/$w-c$c.json" --allow-errors 2>&1 | tee -a "$OUT/$w-c$c.txt"
  done
done
curl -s -H "Authorization: Bearer benchtoken" http://127.0.0.1:8111/metrics >"$OUT/metrics-after.txt"
