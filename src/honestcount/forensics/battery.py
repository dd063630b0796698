"""The forensics battery: a registry of tests over an :class:`ElectionData` and a runner.

``TESTS`` maps a test name to ``f(data, leader) -> result``: a typed entry with ``as_dict()``
(see :mod:`~honestcount.forensics.entries`) or a JSON-ready dict. A test that cannot run raises
:class:`~honestcount.forensics.common.CannotRun`; the runner records it as a
:class:`~honestcount.results.Skipped` result. ``PLOTS`` maps a test name to
``g(data, leader, plots_dir) -> list of PNG paths``.

The heavy modules (scipy.stats, scipy.signal, matplotlib, the fitted models) are imported by
the tests that use them, so importing the battery stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from honestcount.defaults import ANALYSIS
from honestcount.forensics import digits as dg
from honestcount.forensics.common import NOTE, CannotRun, StationArrays, station_arrays
from honestcount.forensics.entries import (
    BootstrapEntry,
    DigitsEntry,
    DipScreen,
    FingerprintEntry,
    IntegerPeaksEntry,
    Moments,
    RegionDip,
    RegionPeaks,
    ShpilkinEntry,
    SpatialEntry,
    SpatialIndicator,
)
from honestcount.forensics.fingerprint import fingerprint
from honestcount.forensics.integer_peaks import (
    integer_peak_stations,
    integer_peaks,
    integer_peaks_by_region,
)
from honestcount.forensics.shpilkin import shpilkin
from honestcount.forensics.spatial import spatial_screen
from honestcount.results import Skipped, jsonable

if TYPE_CHECKING:
    from honestcount.forensics.klimek import KlimekEntry
    from honestcount.forensics.mixture import MixtureEntry
    from honestcount.model import ElectionData

log = logging.getLogger(__name__)

TestFn = Callable[..., Any]
PlotFn = Callable[["ElectionData", str, Path], list[str]]

NO_REGISTERED = "registered voters unknown: turnout undefined"
BOOTSTRAP_REPLICATES = ANALYSIS.forensics_bootstrap


def _registered(a: StationArrays) -> np.ndarray | None:
    return a.registered if a.has_registered else None


def run_integer_peaks(data: ElectionData, leader: str) -> IntegerPeaksEntry:
    """Integer-percentage peaks (exact binomial null) with a per-region screen."""
    a = station_arrays(data, leader)
    reg = _registered(a)
    st = integer_peak_stations(reg, a.ballots, a.leader)
    if st.result_flag.size == 0:
        raise CannotRun("no station passes the filter (registered >= 100, ballots > 0, ...)")
    res = integer_peaks(reg, a.ballots, a.leader, stations=st)
    screen = integer_peaks_by_region(reg, a.ballots, a.leader, a.region, stations=st)
    order = np.lexsort((-screen.excess, screen.p_value))
    regions = tuple(
        RegionPeaks(
            region=str(screen.regions[i]),
            stations=int(screen.stations[i]),
            observed=int(screen.observed[i]),
            expected=float(screen.expected[i]),
            excess=float(screen.excess[i]),
            p_value=float(screen.p_value[i]),
            q_value=float(screen.q_value[i]),
        )
        for i in order
    )
    return IntegerPeaksEntry(
        top=res.either or res.result,
        basis="either" if res.either else "result",
        turnout=res.turnout if res.turnout else Skipped(NO_REGISTERED),
        result=res.result,
        halfwidth=res.halfwidth,
        p_value_method=res.p_value_method,
        regions_basis=screen.basis,
        regions=regions,
    )


def run_shpilkin(data: ElectionData, leader: str) -> ShpilkinEntry:
    """Shpilkin's anomalous-vote estimate with its sensitivity table."""
    a = station_arrays(data, leader)
    return ShpilkinEntry(shpilkin(_registered(a), a.ballots, a.leader, a.others))


def run_fingerprint(data: ElectionData, leader: str) -> FingerprintEntry:
    """Turnout x leader's share histogram (2-point cells in JSON)."""
    a = station_arrays(data, leader)
    return FingerprintEntry(fingerprint(_registered(a), a.ballots, a.leader), cell_points=2)


def _dip(x: np.ndarray, groups: np.ndarray) -> DipScreen | Skipped:
    try:
        nat = dg.dip_test(x)
    except ImportError as exc:
        return Skipped(str(exc))
    names, code = np.unique(groups, return_inverse=True)
    regs = []
    for g in range(names.size):
        d = dg.dip_test(x[code == g])
        regs.append(RegionDip(str(names[g]), d.dip, d.p_value, d.n))
    return DipScreen(nat.dip, nat.p_value, nat.n, tuple(regs))


def _moments(x: np.ndarray) -> Moments:
    return Moments(*dg.skew_kurtosis(x))


def run_digits(
    data: ElectionData, leader: str, *, level: float = ANALYSIS.confidence_level
) -> DigitsEntry:
    """Digit tests, moments, dip tests, Sobyanin–Sukhovolsky, bootstrap intervals by level."""
    a = station_arrays(data, leader)
    reg = _registered(a)
    share = a.share()
    no_reg = Skipped(NO_REGISTERED)
    nat, regs = dg.bootstrap_levels(
        reg, a.ballots, a.leader, a.region, n_boot=BOOTSTRAP_REPLICATES, level=level
    )
    return DigitsEntry(
        leader_votes={
            "second_digit": dg.second_digit_test(a.leader),
            "last_digit": dg.last_digit_test(a.leader),
            "count_0_5": dg.zero_five_test(a.leader),
        },
        all_choices_second_digit=dg.second_digit_test(a.choices),
        share_percent_0_5=dg.percent_zero_five_test(a.leader, a.ballots, "share_percent_0_5"),
        share_moments=_moments(share),
        share_dip=_dip(share, a.region),
        turnout_percent_0_5=(
            dg.percent_zero_five_test(a.ballots, reg, "turnout_percent_0_5")
            if reg is not None
            else no_reg
        ),
        turnout_moments=_moments(a.turnout()) if reg is not None else no_reg,
        turnout_dip=_dip(a.turnout(), a.region) if reg is not None else no_reg,
        sobyanin_sukhovolsky=(
            dg.sobyanin_sukhovolsky(reg, a.ballots, a.leader) if reg is not None else no_reg
        ),
        bootstrap=BootstrapEntry(
            replicates=BOOTSTRAP_REPLICATES,
            level=level,
            method="percentile intervals; stations resampled within regions",
            national=nat,
            regions=regs,
        ),
    )


def run_spatial(data: ElectionData, leader: str) -> SpatialEntry:
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
    coords = (a.latitude, a.longitude) if a.has_coordinates else (None, None)
    out: dict[str, SpatialIndicator | Skipped] = {}
    for name, x in indicators.items():
        r = spatial_screen(
            x, district=a.district, indicator=name, latitude=coords[0], longitude=coords[1]
        )
        out[name] = SpatialIndicator(
            neighbours=r.neighbours,
            n=r.n,
            moran=r.moran,
            hot_spots=r.hot,
            cold_spots=r.cold,
            hot_districts=r.hot_units,
            cold_districts=r.cold_units,
            fdr=r.gi.alpha,
        )
    if reg is None:
        out["turnout"] = Skipped(NO_REGISTERED)
    return SpatialEntry(out)


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


def run_klimek(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    level: float = ANALYSIS.confidence_level,
) -> KlimekEntry:
    from honestcount.forensics import klimek  # scipy's optimisers: only when the model runs

    return klimek.klimek_entry(data, leader, plots_dir=plots_dir, level=level)


def run_mixture(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    level: float = ANALYSIS.confidence_level,
) -> MixtureEntry:
    from honestcount.forensics import mixture

    # the default level reads the fit cached per election (shared with the station table)
    chosen = None if level == ANALYSIS.confidence_level else level
    return mixture.mixture_entry(data, leader, plots_dir=plots_dir, level=chosen)


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
# Tests with confidence intervals: they take ``level=``.
WITH_INTERVALS = frozenset({"digits", "klimek", "mixture"})

PLOTS: dict[str, PlotFn] = {
    "integer_peaks": plot_integer_peaks,
    "shpilkin": plot_shpilkin_fig,
    "fingerprint": plot_fingerprint_fig,
}


def _run_one(
    name: str, data: ElectionData, leader: str, plots_dir: Path | None, level: float
) -> dict[str, Any]:
    """One test's JSON entry: its result, a skip, or the error that stopped it."""
    kwargs: dict[str, Any] = {}
    if name in PLOTS_WHILE_FITTING:
        kwargs["plots_dir"] = plots_dir
    if name in WITH_INTERVALS:
        kwargs["level"] = level
    res: Any
    try:
        res = TESTS[name](data, leader, **kwargs)
    except CannotRun as exc:
        res = exc.skipped
    except Exception as exc:  # one failing test must not sink the battery
        log.exception("forensics test %s failed", name)
        res = {"error": f"{type(exc).__name__}: {exc}"}
    doc: dict[str, Any] = jsonable(res)
    if plots_dir is not None and name in PLOTS and "skipped" not in doc and "error" not in doc:
        try:
            doc["plots"] = PLOTS[name](data, leader, Path(plots_dir))
        except Exception as exc:
            log.exception("forensics plot %s failed", name)
            doc["plots_error"] = f"{type(exc).__name__}: {exc}"
    return doc


def run_battery(
    data: ElectionData,
    tests: list[str] | None = None,
    leader: str | None = None,
    plots_dir: Path | None = None,
    *,
    level: float = ANALYSIS.confidence_level,
) -> dict[str, Any]:
    """Run the named tests (``DEFAULT_TESTS`` by default) for ``leader`` (default: the choice
    with most official votes), intervals at confidence ``level``; returns a strict-JSON-ready
    dict. A skipped test has ``{"skipped": true, "reason": ...}``; a failing one
    ``{"error": ...}``."""
    names = list(DEFAULT_TESTS) if tests is None else list(tests)
    unknown = [t for t in names if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown forensics tests {unknown}; available: {sorted(TESTS)}")
    lead = leader or data.leader()
    if lead not in data.choice_option_ids:
        raise ValueError(f"{lead!r} is not a choice option; choices: {data.choice_option_ids}")
    return {
        "election": data.election.id,
        "leader": lead,
        "stations": len(data),
        "note": NOTE,
        "tests": {name: _run_one(name, data, lead, plots_dir, level) for name in names},
    }
