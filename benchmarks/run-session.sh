#!/usr/bin/env bash
# Runs the measurement session recorded in benchmarks/README.md: every
# workload at concurrency 1 and 32, Halyard against dynalite and moto (and
# nginx for put and get) in the same invocation, alternating rounds.
#
#   benchmarks/run-session.sh OUTDIR
#
# The servers must already be running (see README.md). Set an endpoint
# variable to the empty string to leave that server out.
set -u
OUT=${1:?usage: $0 OUTDIR}
mkdir -p "$OUT"
BENCH=${BENCH:-target/release/halyard-bench}
HALYARD=${HALYARD-http://127.0.0.1:8000}
DYNALITE=${DYNALITE-http://127.0.0.1:4567}
MOTO=${MOTO-http://127.0.0.1:5000}
NGINX=${NGINX-http://127.0.0.1:8080}
DURATION=${DURATION:-10}
KEYS=${KEYS:-10000}
WORKLOADS=${WORKLOADS:-put get mixed query update batch-write ycsb-a ycsb-b ycsb-c ycsb-f}
CONCURRENCIES=${CONCURRENCIES:-1 32}

for c in $CONCURRENCIES; do
  for w in $WORKLOADS; do
    args=(--endpoint "halyard=$HALYARD")
    [[ -n $DYNALITE ]] && args+=(--compare-endpoint "dynalite=$DYNALITE")
    [[ -n $MOTO ]] && args+=(--compare-endpoint "moto=$MOTO")
    if [[ -n $NGINX && ( $w == put || $w == get ) ]]; then
      args+=(--compare-endpoint "nginx=$NGINX")
    fi
    dist=uniform
    [[ $w == ycsb-* ]] && dist=zipfian
    echo "=== $w, concurrency $c, $dist; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/$w-c$c.txt" >&2
    "$BENCH" "${args[@]}" --workload "$w" --concurrency "$c" --duration "$DURATION" \
      --distribution "$dist" --keys "$KEYS" --json "$OUT/$w-c$c.json" --allow-errors \
      2>&1 | tee -a "$OUT/$w-c$c.txt"
  done
done
python3 "$(dirname "$0")/summarize.py" "$OUT"/*.json | tee "$OUT/summary.md"
