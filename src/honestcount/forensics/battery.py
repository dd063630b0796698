"""The forensics battery: a registry of tests over an :class:`ElectionData` and a runner.

``TESTS`` maps a test name to ``f(data, leader) -> dict`` (JSON-ready). A test that cannot run
raises :class:`~honestcount.forensics._common.Skipped`; the runner records the reason. ``PLOTS``
maps a test name to ``g(data, leader, plots_dir) -> list of PNG paths``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from honestcount.forensics import digits as dg
from honestcount.forensics._common import (
    NOTE,
    Skipped,
    StationArrays,
    jsonable,
    skipped,
    station_arrays,
)
from honestcount.forensics.fingerprint import coarsen, fingerprint
from honestcount.forensics.integer_peaks import (
    PeakCount,
    integer_peak_stations,
    integer_peaks,
    integer_peaks_by_region,
)
from honestcount.forensics.shpilkin import shpilkin
from honestcount.forensics.spatial import spatial_screen
from honestcount.model import ElectionData

log = logging.getLogger(__name__)

TestFn = Callable[[ElectionData, str], dict]
PlotFn = Callable[[ElectionData, str, Path], list[str]]

NO_REGISTERED = "registered voters unknown: turnout undefined"
BOOTSTRAP_REPLICATES = 1000


def _registered(a: StationArrays) -> np.ndarray | None:
    return a.registered if a.has_registered else None


def _count_json(c: PeakCount) -> dict[str, Any]:
    return {
        "observed": c.observed,
        "expected": c.expected,
        "excess": c.excess,
        "sd": c.sd,
        "z": c.z,
        "p_value": c.p_value,
        "stations": c.stations,
    }


def run_integer_peaks(data: ElectionData, leader: str) -> dict:
    """Integer-percentage peaks (exact binomial null) with a per-region screen."""
    a = station_arrays(data, leader)
    reg = _registered(a)
    st = integer_peak_stations(reg, a.ballots, a.leader)
    if st.result_flag.size == 0:
        raise Skipped("no station passes the filter (registered >= 100, ballots > 0, ...)")
    res = integer_peaks(reg, a.ballots, a.leader, stations=st)
    screen = integer_peaks_by_region(reg, a.ballots, a.leader, a.region, stations=st)
    top = res.either or res.result
    order = np.lexsort((-screen.excess, screen.p_value))
    regions = [
        {
            "region": str(screen.regions[i]),
            "stations": int(screen.stations[i]),
            "observed": int(screen.observed[i]),
            "expected": float(screen.expected[i]),
            "excess": float(screen.excess[i]),
            "p_value": float(screen.p_value[i]),
            "q_value": float(screen.q_value[i]),
        }
        for i in order
    ]
    return {
        **_count_json(top),
        "basis": "either" if res.either else "result",
        "turnout": _count_json(res.turnout) if res.turnout else skipped(NO_REGISTERED),
        "result": _count_json(res.result),
        "window": f"whole percent j, value in [j - {res.halfwidth}, j + {res.halfwidth}) points",
        "definitions": "turnout = ballots in the boxes / registered; result = leader votes / "
        "ballots in the boxes (valid + invalid)",
        "criteria": "registered >= 100, ballots > 0, turnout <= 99 %, result <= 99 %",
        "null": "ballots ~ Bin(registered, turnout), leader ~ Bin(observed ballots, result), "
        "independent; exact window probabilities",
        "p_value_method": res.p_value_method,
        "regions_basis": screen.basis,
        "regions": regions,
        "note": NOTE,
    }


def run_shpilkin(data: ElectionData, leader: str) -> dict:
    """Shpilkin's anomalous-vote estimate with its sensitivity table."""
    a = station_arrays(data, leader)
    r = shpilkin(_registered(a), a.ballots, a.leader, a.others)
    coarse = max(1, int(round(0.01 / r.bin_width)))
    k = (r.weight_hist.size // coarse) * coarse

    def per_point(h: np.ndarray) -> list[float]:
        return h[:k].reshape(-1, coarse).sum(axis=1).tolist()

    return {
        "anomalous_votes": r.anomalous_votes,
        "anomalous_fraction_of_leader": r.anomalous_fraction_of_leader,
        "core_warning": r.core_warning,
        "left_tail_share": r.left_tail_share,
        "core_turnout": r.core_turnout,
        "core_low": r.core_low,
        "core_high": r.core_high,
        "core_ratio": r.core_ratio,
        "corrected_share": r.corrected_share,
        "corrected_turnout": r.corrected_turnout,
        "official_share": r.official_share,
        "official_turnout": r.official_turnout,
        "bin_width": r.bin_width,
        "core": r.core,
        "weight": r.weight,
        "stations": r.stations,
        "sensitivity": [jsonable(s) for s in r.sensitivity],
        "histogram_1pt": {
            "turnout_from": np.arange(0, 100, 1).tolist(),
            r.weight: per_point(r.weight_hist),
            "leader": per_point(r.leader_hist),
            "others": per_point(r.others_hist),
        },
        "note": r.note,
    }


def run_fingerprint(data: ElectionData, leader: str) -> dict:
    """Turnout x leader's share histogram (2-point cells in JSON)."""
    a = station_arrays(data, leader)
    r = fingerprint(_registered(a), a.ballots, a.leader)
    return {
        "weight": r.weight,
        "cell_points": 2,
        "counts": coarsen(r.counts, 2).tolist(),
        "total_weight": r.total_weight,
        "corner": r.corner,
        "corner_share": r.corner_share,
        "stations": r.stations,
        "note": r.note,
    }


def _dip(x: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    try:
        nat = dg.dip_test(x)
    except ImportError as exc:
        return skipped(str(exc))
    names, code = np.unique(groups, return_inverse=True)
    regs = []
    for g in range(names.size):
        d = dg.dip_test(x[code == g])
        regs.append({"region": str(names[g]), "dip": d.dip, "p_value": d.p_value, "n": d.n})
    return {"dip": nat.dip, "p_value": nat.p_value, "n": nat.n, "regions": regs}


def run_digits(data: ElectionData, leader: str) -> dict:
    """Digit tests, moments, dip tests, Sobyanin–Sukhovolsky, bootstrap intervals by level."""
    a = station_arrays(data, leader)
    reg = _registered(a)
    share = a.share()
    out: dict[str, Any] = {
        "leader_votes": {
            "second_digit": jsonable(dg.second_digit_test(a.leader)),
            "last_digit": jsonable(dg.last_digit_test(a.leader)),
            "count_0_5": jsonable(dg.zero_five_test(a.leader)),
        },
        "all_choices_second_digit": jsonable(dg.second_digit_test(a.choices)),
        "share_percent_0_5": jsonable(
            dg.percent_zero_five_test(a.leader, a.ballots, "share_percent_0_5")
        ),
        "share_moments": dict(zip(("skewness", "kurtosis"), dg.skew_kurtosis(share), strict=True)),
        "share_dip": _dip(share, a.region),
    }
    if reg is not None:
        turnout = a.turnout()
        out["turnout_percent_0_5"] = jsonable(
            dg.percent_zero_five_test(a.ballots, reg, "turnout_percent_0_5")
        )
        out["turnout_moments"] = dict(
            zip(("skewness", "kurtosis"), dg.skew_kurtosis(turnout), strict=True)
        )
        out["turnout_dip"] = _dip(turnout, a.region)
        out["sobyanin_sukhovolsky"] = jsonable(dg.sobyanin_sukhovolsky(reg, a.ballots, a.leader))
    else:
        for key in (
            "turnout_percent_0_5",
            "turnout_moments",
            "turnout_dip",
            "sobyanin_sukhovolsky",
        ):
            out[key] = skipped(NO_REGISTERED)
    nat, regs = dg.bootstrap_levels(reg, a.ballots, a.leader, a.region, n_boot=BOOTSTRAP_REPLICATES)
    out["bootstrap"] = {
        "replicates": BOOTSTRAP_REPLICATES,
        "level": 0.95,
        "method": "percentile intervals; stations resampled within regions",
        "national": jsonable(nat),
        "regions": [jsonable(r) for r in regs],
    }
    out["note"] = NOTE
    return out


def run_spatial(data: ElectionData, leader: str) -> dict:
    """Moran's I and Getis–Ord Gi* of turnout, leader's share and the integer-percent flag."""
    a = station_arrays(data, leader)
    reg = _registered(a)
    indicators: dict[str, np.ndarray] = {"leader_share": a.share()}
    if reg is not None:
        indicators = {"turnout": a.turnout(), **indicators}
    st = integer_peak_stations(reg, a.ballots, a.leader)
    flag = np.full(a.ballots.size, np.nan)
    flag[st.selected] = st.either_flag
    indicators["integer_percent"] = flag
    coords = {"latitude": a.latitude, "longitude": a.longitude} if a.has_coordinates else {}
    out: dict[str, Any] = {}
    for name, x in indicators.items():
        r = spatial_screen(x, district=a.district, indicator=name, **coords)
        out[name] = {
            "neighbours": r.neighbours,
            "n": r.n,
            "moran": jsonable(r.moran),
            "hot_spots": r.hot,
            "cold_spots": r.cold,
            "hot_districts": list(r.hot_units),
            "cold_districts": list(r.cold_units),
            "fdr": r.gi.alpha,
        }
    if reg is None:
        out["turnout"] = skipped(NO_REGISTERED)
    out["note"] = NOTE
    return out


def plot_integer_peaks(data: ElectionData, leader: str, plots_dir: Path) -> list[str]:
    from honestcount.forensics.integer_peaks import integer_peaks_selection
    from honestcount.forensics.plots import plot_integer_histograms

    a = station_arrays(data, leader)
    reg = _registered(a)
    sel = integer_peaks_selection(reg, a.ballots, a.leader)
    turnout = 100 * a.turnout()[sel] if reg is not None else None
    path = plot_integer_histograms(
        turnout,
        100 * a.share()[sel],
        plots_dir / "integer_peaks.png",
        f"{data.election.name}: integer-percentage peaks, leader {leader} "
        "(0.1-point bins; red lines: multiples of 5 %)",
    )
    return [str(path)]


def plot_shpilkin_fig(data: ElectionData, leader: str, plots_dir: Path) -> list[str]:
    from honestcount.forensics.plots import plot_shpilkin

    a = station_arrays(data, leader)
    r = shpilkin(_registered(a), a.ballots, a.leader, a.others)
    return [str(plot_shpilkin(r, plots_dir / "shpilkin.png"))]


def plot_fingerprint_fig(data: ElectionData, leader: str, plots_dir: Path) -> list[str]:
    from honestcount.forensics.plots import plot_fingerprint

    a = station_arrays(data, leader)
    r = fingerprint(_registered(a), a.ballots, a.leader)
    return [str(plot_fingerprint(r, plots_dir / "fingerprint.png"))]


def run_klimek(data: ElectionData, leader: str, plots_dir: Path | None = None) -> dict:
    from honestcount.forensics import klimek

    return klimek.battery_entry(data, leader, plots_dir=plots_dir)


def run_mixture(data: ElectionData, leader: str, plots_dir: Path | None = None) -> dict:
    from honestcount.forensics import mixture

    return mixture.battery_entry(data, leader, plots_dir=plots_dir)


TESTS: dict[str, TestFn] = {
    "integer_peaks": run_integer_peaks,
    "shpilkin": run_shpilkin,
    "fingerprint": run_fingerprint,
    "digits": run_digits,
    "spatial": run_spatial,
    "klimek": run_klimek,
    "mixture": run_mixture,
}
# The fitted models take a minute on a national election: they run when named in ``tests``.
DEFAULT_TESTS = ("integer_peaks", "shpilkin", "fingerprint", "digits", "spatial")
# Tests that draw their own plots while fitting (so the fit is not repeated for the plot).
PLOTS_WHILE_FITTING = frozenset({"klimek", "mixture"})

PLOTS: dict[str, PlotFn] = {
    "integer_peaks": plot_integer_peaks,
    "shpilkin": plot_shpilkin_fig,
    "fingerprint": plot_fingerprint_fig,
}


def run_battery(
    data: ElectionData,
    tests: list[str] | None = None,
    leader: str | None = None,
    plots_dir: Path | None = None,
) -> dict:
    """Run the named tests (``DEFAULT_TESTS`` by default) for ``leader`` (default: the choice
    with most official votes); returns a strict-JSON-ready dict. A skipped test has
    ``{"skipped": true, "reason": ...}``; a failing one ``{"error": ...}``."""
    names = list(DEFAULT_TESTS) if tests is None else list(tests)
    unknown = [t for t in names if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown forensics tests {unknown}; available: {sorted(TESTS)}")
    lead = leader or data.leader()
    if lead not in data.choice_option_ids:
        raise ValueError(f"{lead!r} is not a choice option; choices: {data.choice_option_ids}")
    results: dict[str, Any] = {}
    for name in names:
        try:
            if name in PLOTS_WHILE_FITTING:
                res = TESTS[name](data, lead, plots_dir=plots_dir)
            else:
                res = TESTS[name](data, lead)
        except Skipped as exc:
            res = skipped(exc.reason)
        except Exception as exc:  # one failing test must not sink the battery
            log.exception("forensics test %s failed", name)
            res = {"error": f"{type(exc).__name__}: {exc}"}
        if plots_dir is not None and name in PLOTS and "skipped" not in res and "error" not in res:
            try:
                res["plots"] = PLOTS[name](data, lead, Path(plots_dir))
            except Exception as exc:
                log.exception("forensics plot %s failed", name)
                res["plots_error"] = f"{type(exc).__name__}: {exc}"
        results[name] = jsonable(res)
    return {
        "election": data.election.id,
        "leader": lead,
        "stations": len(data),
        "note": NOTE,
        "tests": results,
    }
