"""Verification benchmark: all verdicts and protocol checks for the Russian 2018 election.

Loads the table from its file (the import is not timed), then times `verify` (verdicts for
every station and option, and every protocol rule) and the JSON report. Prints failures per
rule for each Russian file found.

    python benchmarks/bench_verify.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from honestcount.checks.verify import report, verify
from honestcount.sources import read_source

RUSSIA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "russia"


def best_of(repeat: int, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for year in ("2018", "2021", "2024"):
        data = read_source("ru-cec", RUSSIA / f"{year}.csv.zip", f"ru-{year}")
        seconds, v = best_of(args.repeat, lambda data=data: verify(data))
        report_seconds, doc = best_of(args.repeat, lambda v=v: report(v))
        print(
            f"ru-{year}: {len(data):,} stations x {len(v.options)} options, "
            f"{len(v.checks)} rules: verify {seconds:.3f} s, report {report_seconds:.3f} s "
            f"(best of {args.repeat})"
        )
        print(f"  verdicts: {doc['verdicts']}")
        print(f"  check failures: {doc['check_failures']}")


if __name__ == "__main__":
    main()
