#!/usr/bin/env python3
"""Per-round ratios of an audit-session.sh run: for each build, `on` ÷ `off`,
and this build's `on` ÷ the baseline's, in each round (the servers ran next
to each other, under the same load), with their median, quartiles and range.

    benchmarks/audit-rounds.py OUTDIR/put-c32.txt [...]
"""
import re, statistics, sys

PAIRS = [("on", "off"), ("base-on", "base-off"), ("on", "base-on")]
for path in sys.argv[1:]:
    rounds = {}
    for line in open(path):
        m = re.search(r"round (\d+)/\d+ (\S+)\s+(\d+) ops/s", line)
        if m:
            rounds.setdefault(int(m[1]), {})[m[2]] = int(m[3])
    for on, off in PAIRS:
        both = [r for r in rounds.values() if on in r and off in r]
        if not both:
            continue
        ratios = sorted(r[on] / r[off] for r in both)
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        total = sum(r[on] for r in both) / sum(r[off] for r in both)
        print(f"{path}: {on}/{off}: {len(ratios)} rounds, median {statistics.median(ratios):.2f}, "
              f"quartiles {q[0]:.2f}-{q[2]:.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f}; all rounds {total:.2f}")
