#!/usr/bin/env python3
"""The ratio of this build to the previous one with the order of measurement balanced out.

Usage: python3 bench/balance.py REPORT_PREVIOUS_FIRST.md REPORT_CURRENT_FIRST.md

Each argument is a report of `bash bench/run.sh` (docs/benchmarks.md's format): one run with the
default order (BENCH_ORDER=previous-first) and one with BENCH_ORDER=current-first, of the same two
commits on the same machine. On PostgreSQL the build measured second measured slower than when it
was measured first (bench/method.md, "Order"), so each single run's "this / previous" carries that
penalty one way. The geometric mean of the two runs' ratios cancels it: if the second position
costs a factor p, the runs give r*p and r/p, and sqrt(r*p * r/p) = r. Prints one row per cell that
both reports measured, then the geometric mean over the throughput cells (issuance, introspection,
revocation: higher is better; in the memory, bulk revocation and pruning rows lower is better).
"""
import math
import re
import sys


def ratios(path):
    rows = {}
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or not cells[5].startswith("**"):
            continue
        match = re.match(r"\*\*([0-9.]+)×\*\*", cells[5])
        if match:
            rows[(cells[0], cells[1])] = float(match.group(1))
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    first, second = ratios(sys.argv[1]), ratios(sys.argv[2])
    both = [key for key in first if key in second]
    if not both:
        sys.exit("the two reports have no cell with a 'this / previous' ratio in common")
    print("| measurement | database | previous first | this build first | balanced |")
    print("|---|---|---|---|---|")
    logs = []
    for key in both:
        balanced = math.sqrt(first[key] * second[key])
        if key[0].startswith(("client_credentials", "introspection", "revocation")):
            logs.append(math.log(balanced))
        print(f"| {key[0]} | {key[1]} | {first[key]:.2f}× | {second[key]:.2f}× | **{balanced:.2f}×** |")
    if logs:
        print(f"\nGeometric mean over the {len(logs)} throughput cells: {math.exp(sum(logs) / len(logs)):.2f}×")


if __name__ == "__main__":
    main()
