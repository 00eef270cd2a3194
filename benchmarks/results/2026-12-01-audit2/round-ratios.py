import re, sys, statistics
for path in sys.argv[1:]:
    rounds = {}
    for line in open(path):
        m = re.search(r"round (\d+)/\d+ (on|off)\s+(\d+) ops/s", line)
        if m:
            rounds.setdefault(int(m[1]), {})[m[2]] = int(m[3])
    ratios = sorted(r["on"] / r["off"] for r in rounds.values() if len(r) == 2)
    q = statistics.quantiles(ratios, n=4)
    print(f"{path}: {len(ratios)} rounds, median {statistics.median(ratios):.2f}, "
          f"quartiles {q[0]:.2f}-{q[2]:.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f}; "
          f"sum on/off {sum(r['on'] for r in rounds.values())/sum(r['off'] for r in rounds.values()):.2f}")
