#!/usr/bin/env python3
"""Turns halyard-bench --json files into the Markdown tables of README.md.

    python3 benchmarks/summarize.py RESULTS/*.json
"""
import json
import sys

ORDER = ["put", "get", "mixed", "query", "update", "batch-write", "ycsb-a", "ycsb-b", "ycsb-c", "ycsb-f"]

runs = [json.load(open(path)) for path in sys.argv[1:]]
runs.sort(key=lambda r: (r["concurrency"], ORDER.index(r["workload"]) if r["workload"] in ORDER else 99))

print("| workload | conc. | server | ops/s | p50 ms | p95 ms | p99 ms | p99.9 ms | errors | Halyard ÷ this (ops/s) |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for run in runs:
    base = run["results"][0]["ops_per_sec"]
    name = run["workload"] + ("" if run["distribution"] == "uniform" else f" ({run['distribution']})")
    for r in run["results"]:
        lat = r["latency"]
        ratio = "" if r is run["results"][0] else (f"{base / r['ops_per_sec']:.2f}×" if r["ops_per_sec"] else "∞")
        errors = f"**{r['errors']}**" if r["errors"] else "0"
        print(f"| {name} | {run['concurrency']} | {r['label']} | {r['ops_per_sec']:,.0f} | {lat['p50_ms']:.3f} | "
              f"{lat['p95_ms']:.3f} | {lat['p99_ms']:.3f} | {lat['p99_9_ms']:.3f} | {errors} | {ratio} |")
