"""Benchmark and results table for the estimate package on Belarus 2020.

    python benchmarks/bench_estimate.py [--n-boot 2000] [--repeat 3] [--plot out/sens.png]

Reads the bundled Belarus 2020 files (or $HONESTCOUNT_SHARED/data/belarus-2020), times
``run_estimate`` (target: under 10 s with 2,000 bootstrap replicates), the simulator and the
sensitivity analysis, and prints official vs lower bound vs estimates with 95% intervals.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd

from honestcount.estimate import (
    fit_mixture,
    honest_threshold_table,
    plot_sensitivity,
    read_golos,
    run_estimate,
    sensitivity,
    simulate,
)

REPO = Path(__file__).resolve().parents[1]


def belarus_dir() -> Path:
    bundled = REPO / "src" / "honestcount" / "data" / "belarus-2020"
    shared = Path(os.environ.get("HONESTCOUNT_SHARED", REPO.parent / "shared"))
    for d in (bundled, shared / "data" / "belarus-2020"):
        if (d / "voice.csv").exists():
            return d
    raise SystemExit("Belarus 2020 data not found (set HONESTCOUNT_SHARED)")


def timed(fn, repeat: int) -> tuple[object, list[float]]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def fmt(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s, min {min(times):.2f} s (n={len(times)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    pd.set_option("display.width", 200)

    folder = belarus_dir()
    t0 = time.perf_counter()
    data = read_golos(folder)
    print(
        f"load Belarus 2020 ({len(data)} stations) from {folder}: {time.perf_counter() - t0:.2f} s"
    )

    report, times = timed(lambda: run_estimate(data, n_boot=args.n_boot), args.repeat)
    print(
        f"run_estimate, 4 methods, n_boot={args.n_boot} (mixture: at most 400 refits): "
        f"{fmt(times)}  [target < 60 s]"
    )
    result = report.as_dict()
    _, times = timed(lambda: fit_mixture(data, n_boot=args.n_boot), args.repeat)
    print(f"fit_mixture alone, n_boot={args.n_boot}: {fmt(times)}")
    _, times = timed(lambda: simulate(seed=0), args.repeat)
    print(f"simulate (5,767 stations): {fmt(times)}")
    table, times = timed(lambda: sensitivity(data, n_boot=200), 1)
    print(f"sensitivity (3 definitions x 8 thresholds, n_boot=200): {fmt(times)}")

    print(f"\nclean selection: {result['clean_selection']}")
    print(f"stations used: {result['stations_used']}")
    rows = []
    for o in result["options"]:
        row = {
            "option": o,
            "official %": 100 * result["official"][o]["share"],
            "lower bound %": 100 * result["lower_bounds"][o]["share"],
            "photo-only bound %": 100 * result["lower_bounds"][o]["photo_share"],
        }
        for e in result["estimates"]:
            if e["option"] == o:
                m = e["method"]
                row[f"{m} %"] = (
                    f"{100 * e['share']:5.2f} [{100 * e['ci_low']:5.2f}, {100 * e['ci_high']:5.2f}]"
                )
        rows.append(row)
    print("\nBelarus 2020, shares of ballots cast (95% intervals):")
    print(pd.DataFrame(rows).set_index("option").round(2).to_string())
    bc = result["ballots_cast"]
    est = {m: f"{v['value']:,.0f}" for m, v in bc["estimates"].items()}
    print(f"\nballots cast: official {bc['official']:,.0f}; estimated {est}")
    ratio = pd.DataFrame([r for r in result["by_region"] if r["method"] == "ratio"])
    wide = ratio.pivot(index="region", columns="option", values="share")[result["options"]]
    print("\nratio method by region (shares %):")
    print((100 * wide).round(1).to_string())
    prov = table[table["option"].isin(["tsikhanouskaya", "lukashenko"])]
    print("\nsensitivity (ratio, declared evidence): share % by definition and threshold")
    print(
        (
            100
            * prov.pivot_table(index=["definition", "threshold"], columns="option", values="share")
        )
        .round(1)
        .to_string()
    )
    print(f"\nmixture: { ({k: v for k, v in result['mixture'].items() if k != 'histogram'}) }")
    print(f"honest stations (P >= 0.9): {result['honest_stations']['summary']}")
    tt = honest_threshold_table(data, report.mixture_fit)
    print("\nmixture, only stations with P(honest) >= t as honest: share % by threshold")
    wide_t = tt.pivot(index="option", columns="threshold", values="share")
    print((100 * wide_t.reindex(result["options"])).round(1).to_string())
    for w in result["warnings"]:
        print(f"warning: {w}")
    if args.plot:
        nat = data.national_totals
        ref = {o: nat[o] / nat["ballots_cast"] for o in ("tsikhanouskaya", "lukashenko")}
        ref["ballots_cast"] = nat["ballots_cast"]
        path = plot_sensitivity(
            table,
            args.plot,
            ["tsikhanouskaya", "lukashenko"],
            "Belarus 2020: ratio estimate vs definition of clean",
            ref,
        )
        print(f"\nplot: {path}")


if __name__ == "__main__":
    main()
