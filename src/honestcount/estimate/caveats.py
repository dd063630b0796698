"""Thin evidence is said, not hidden: the warnings that go with an estimate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from honestcount.estimate.clean import CleanSelection
from honestcount.estimate.mixture import MAX_HONEST_SD, MixtureEstimate
from honestcount.estimate.report import OptionEstimate

MIN_STATIONS = 30  # fewer honest or clean stations than this: the result rests on little
MIN_PROTOCOL_SHARE = 0.05  # protocols known at fewer stations than this
STRONG_PLATFORM = 1.25  # declarations per station at protocol stations / elsewhere


def _few_stations(used: Mapping[str, int], mixture: MixtureEstimate | None) -> list[str]:
    out = []
    for method, n in used.items():
        if method in ("ratio", "ratio_photo") and n < MIN_STATIONS:
            out.append(
                f"Only {n} clean stations (fewer than {MIN_STATIONS}) carry the '{method}' "
                "estimate: it rests on little evidence."
            )
    if mixture is not None and mixture.n_honest < MIN_STATIONS:
        out.append(
            f"Only {mixture.n_honest} stations are more likely honest than not under the "
            f"mixture model (fewer than {MIN_STATIONS}): its estimate rests on little evidence."
        )
    return out


def _single_station_strata(
    levels: Sequence[np.ndarray], clean: Mapping[str, np.ndarray], mixture: MixtureEstimate | None
) -> list[str]:
    out = []
    fine = pd.Series(np.asarray(levels[0], dtype=object))
    for method, sel in clean.items():
        counts = fine[sel].value_counts()
        single = sorted(str(s) for s in counts.index[counts == 1])
        if single:
            out.append(
                f"{len(single)} strata have a single clean station for '{method}' "
                f"({', '.join(single[:5])}{', ...' if len(single) > 5 else ''}): they are "
                "pooled with the other thin strata of their settlement type."
            )
    if mixture is not None and mixture.pooled_strata:
        pooled = list(mixture.pooled_strata)
        out.append(
            f"{len(pooled)} strata have fewer than two honest stations under the mixture model "
            f"({', '.join(pooled[:5])}{', ...' if len(pooled) > 5 else ''}): they are pooled "
            "with the other thin strata of their settlement type."
        )
    return out


def _protocol_bias(
    official: pd.DataFrame, declared: pd.DataFrame, levels: Sequence[np.ndarray]
) -> list[str]:
    has = official.notna().any(axis=1).to_numpy()
    n = len(has)
    out = []
    if n and has.mean() < MIN_PROTOCOL_SHARE:
        out.append(
            f"Protocols are known at only {has.sum():,} of {n:,} stations ({has.mean():.1%}): "
            "every estimate extrapolates from very few counts."
        )
    per_station = declared.sum(axis=1).to_numpy(dtype=float)
    frame = pd.DataFrame({"s": np.asarray(levels[0], dtype=object), "p": has, "d": per_station})
    means = frame.groupby(["s", "p"])["d"].mean().unstack()
    if True not in means.columns or False not in means.columns:
        return out
    both = means.dropna()
    both = both[(both[False] > 0) & (both[True] > 0)]
    if both.empty:
        return out
    weight = frame[frame["p"]].groupby("s").size().reindex(both.index).fillna(0)
    ratio = float(np.exp(np.average(np.log(both[True] / both[False]), weights=weight + 1e-9)))
    if ratio > STRONG_PLATFORM:
        out.append(
            "Protocols were obtained mostly where the platform is strong: stations with a known "
            f"protocol have {ratio:.1f} times as many declarations as the other stations of "
            "their region and settlement type. Where the share of voters who declared differs "
            "between the two, every estimate that extrapolates from the protocols is biased."
        )
    return out


def _disagreements(estimates: Sequence[OptionEstimate]) -> list[str]:
    out = []
    by_option: dict[str, list[OptionEstimate]] = {}
    for e in estimates:
        by_option.setdefault(e.option, []).append(e)
    for option, rows in by_option.items():
        worst: tuple[float, OptionEstimate, OptionEstimate] | None = None
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                gap = max(a.interval.low - b.interval.high, b.interval.low - a.interval.high)
                if np.isfinite(gap) and gap > 0 and (worst is None or gap > worst[0]):
                    worst = (gap, a, b)
        if worst is not None:
            _, a, b = worst
            out.append(
                f"The methods disagree beyond their intervals for {option}: {a.method} "
                f"{100 * a.share:.1f}% [{100 * a.interval.low:.1f}, {100 * a.interval.high:.1f}] "
                f"against {b.method} {100 * b.share:.1f}% [{100 * b.interval.low:.1f}, "
                f"{100 * b.interval.high:.1f}]: at least one's assumptions do not hold."
            )
    return out


def _spread_at_cap(mixture: MixtureEstimate | None) -> list[str]:
    if mixture is None or mixture.honest_sd < MAX_HONEST_SD - 1e-9:
        return []
    return [
        "The spread of honest counts around the declarations reached the model's cap "
        f"(standard deviation {MAX_HONEST_SD} of log official/declared): the mixture estimate "
        "then depends on that constant, beyond its interval. See how it moves with the cap "
        "in docs/estimation.md before quoting it alone."
    ]


def thin_evidence_warnings(
    official: pd.DataFrame,
    declared: pd.DataFrame,
    levels: Sequence[np.ndarray],
    selection: CleanSelection,
    clean: Mapping[str, np.ndarray],
    stations_used: Mapping[str, int],
    estimates: Sequence[OptionEstimate],
    mixture: MixtureEstimate | None,
) -> tuple[str, ...]:
    """Plain sentences on what the estimates rest on; empty only when nothing is thin.

    ``clean``: the clean stations of each ratio method; ``stations_used``: per method."""
    out = _few_stations(stations_used, mixture)
    if selection.n_clean == 0:
        out.append("No station is clean: the ratio methods could not run.")
    out += _single_station_strata(levels, clean, mixture)
    out += _protocol_bias(official, declared, levels)
    out += _disagreements(estimates)
    out += _spread_at_cap(mixture)
    return tuple(out)
