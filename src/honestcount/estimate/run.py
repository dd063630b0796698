"""One call that runs every estimate for an election: :func:`run_estimate`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from honestcount.defaults import ANALYSIS
from honestcount.estimate.bounds import LowerBounds, lower_bounds
from honestcount.estimate.caveats import thin_evidence_warnings
from honestcount.estimate.clean import CleanSelection, Definition, select_clean, stratum_labels
from honestcount.estimate.honest import HONEST_THRESHOLD, honest_stations, mixture_summary
from honestcount.estimate.mixture import (
    MixtureEstimate,
    mixture_estimate,
    pooled_levels,
    threshold_sensitivity,
)
from honestcount.estimate.pvt import collapse_strata, pvt_estimate
from honestcount.estimate.ratio import RatioEstimate, ratio_estimate
from honestcount.estimate.report import (
    BallotsEstimate,
    Count,
    EstimateParameters,
    EstimateReport,
    LowerBound,
    OptionEstimate,
    RegionEstimate,
)
from honestcount.model import ElectionData
from honestcount.results import Interval, Skipped

STRATA = ["region", "settlement_type"]
DEFAULT_THRESHOLD = ANALYSIS.estimate_threshold  # see docs/estimation.md
POOL_STRENGTH: float | None = None  # None: estimated from the data (empirical Bayes)

ASSUMPTIONS: dict[str, str] = {
    "lower_bound": (
        "Assumes only that photographed ballots are real and, where a protocol is known, that "
        "the commission did not report more votes for an option than it got (not safe for "
        "the beneficiary of stuffing: see photo_votes); the share is of the announced ballots "
        "cast, so it is a lower bound if the announced turnout is not below the true one."
    ),
    "ratio": (
        "Assumes that, within a region and settlement type, the same fraction of each "
        "option's voters declared their choice to the platform at clean stations as at all "
        "others (whether their count was falsified or not), and that the clean stations "
        "(protocol known, checks passed, no photo-proven falsification, photo coverage at "
        "least the threshold) were counted honestly. Where a stratum has little evidence of "
        "an option, its voters are assumed to take part relative to the stratum's other "
        "voters as they do nationally. Undetected falsification at clean stations biases the "
        "estimate towards the official result; a high coverage threshold favours the option "
        "whose voters dominate the evidence: see the sensitivity analysis."
    ),
    "ratio_photo": (
        "As 'ratio', but with photo-confirmed ballots as the evidence: assumes each option's "
        "voters photographed their ballots at the same rate at clean stations as elsewhere "
        "within a region and settlement type. Needs no trust in declarations, but has less "
        "evidence (wider intervals, especially for options with few photos)."
    ),
    "pvt": (
        "Treats the clean protocols (checks passed, no photo-proven falsification, any "
        "coverage) as a stratified random sample of stations whose counts are honest; "
        "ignores voters' evidence. Valid for a real PVT sample drawn with draw_sample and "
        "observed at the count; for photographed protocols it is biased wherever the "
        "protocols that were published differ from the rest."
    ),
    "mixture": (
        "Finds the honestly counted protocols from the evidence: at an honest station the "
        "official count of the challenger (the option most voters declared) is her "
        "declarations divided by the share of her voters who declared (which varies by region, "
        "settlement type and station), at a falsified one a reduced fraction of that; a "
        "two-part mixture fitted to every protocol gives each station P(honest). Then, as "
        "'ratio', the same fraction of each option's voters declared at honest and at all "
        "other stations within a region and settlement type, and every vote not counted "
        "honestly is predicted from declarations. Assumes falsification lowers her count "
        "(moved votes; ballot stuffing that leaves her count alone is not seen) and takes at "
        "least a quarter to a third of her votes where it happens: smaller thefts look like "
        "the ordinary variation of coverage, are counted as honest and pull the estimate "
        "towards the official result."
    ),
}
METHODS: tuple[str, ...] = ("ratio", "ratio_photo", "pvt", "mixture")
RECOMMENDED = "mixture"  # it validates better under widespread falsification: docs/estimation.md


@dataclass(frozen=True)
class _Inputs:
    options: list[str]
    official: pd.DataFrame
    declared: pd.DataFrame
    photo: pd.DataFrame
    levels: list[np.ndarray]
    regions: np.ndarray


def _inputs(data: ElectionData) -> _Inputs:
    opts = list(data.ballot_option_ids)
    st = data.stations
    cols = [c for c in STRATA if c in st.columns and st[c].notna().any()]
    levels = stratum_labels(st, cols) if cols else [np.full(len(st), "all", dtype=object)]
    if "region" in cols:
        regions = stratum_labels(st, ["region"])[0]
    else:
        regions = np.full(len(st), "all", dtype=object)
    return _Inputs(
        opts,
        data.official.reindex(columns=opts).astype(float),
        data.declared.reindex(columns=opts).astype(float),
        data.photo.reindex(columns=opts).astype(float),
        levels,
        regions,
    )


def fit_ratio(
    data: ElectionData,
    evidence: str = "declared",
    threshold: float = DEFAULT_THRESHOLD,
    definition: Definition = "proof",
    checks_ok: pd.Series | None = None,
    n_boot: int = ANALYSIS.n_boot,
    seed: int = ANALYSIS.seed,
    pool_strength: float | None = POOL_STRENGTH,
    by_region: bool = True,
    level: float = ANALYSIS.confidence_level,
) -> RatioEstimate:
    """The clean-station ratio estimate for an election (``evidence``: declared or photo)."""
    inp = _inputs(data)
    sel = select_clean(inp.official, inp.photo, inp.declared, checks_ok, threshold, definition)
    ev = {"declared": inp.declared, "photo": inp.photo}[evidence]
    clean = sel.clean.to_numpy()
    return ratio_estimate(
        inp.official,
        ev,
        clean,
        pooled_levels(inp.levels, clean)[0],
        groups=inp.regions if by_region else None,
        n_boot=n_boot,
        seed=seed,
        pool_strength=pool_strength,
        confidence=level,
    )


def fit_mixture(
    data: ElectionData,
    n_boot: int = ANALYSIS.n_boot,
    seed: int = ANALYSIS.seed,
    level: float = ANALYSIS.confidence_level,
) -> MixtureEstimate:
    """The honest-count mixture estimate for an election (see :mod:`.mixture`)."""
    inp = _inputs(data)
    return mixture_estimate(
        inp.official,
        inp.declared,
        inp.photo,
        inp.levels,
        groups=inp.regions,
        n_boot=n_boot,
        seed=seed,
        level=level,
        pool_strength=POOL_STRENGTH,
    )


def honest_threshold_table(
    data: ElectionData,
    fit: MixtureEstimate,
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
) -> pd.DataFrame:
    """The estimate when only the stations with P(honest) >= each threshold count as honest
    (see :func:`.mixture.threshold_sensitivity`)."""
    inp = _inputs(data)
    return threshold_sensitivity(fit, inp.official, inp.declared, inp.photo, inp.levels, thresholds)


@dataclass
class _Collected:
    """What the methods produced, gathered while they run."""

    estimates: list[OptionEstimate]
    by_region: list[RegionEstimate]
    stations_used: dict[str, int]
    ballots: dict[str, BallotsEstimate]
    skipped: dict[str, Skipped]
    clean_sets: dict[str, np.ndarray]
    mixture: MixtureEstimate | None = None


def _bootstrap_rows(
    c: _Collected,
    method: str,
    res: RatioEstimate | MixtureEstimate,
    n_used: int,
    level: float,
) -> None:
    c.stations_used[method] = n_used
    c.ballots[method] = BallotsEstimate(res.ballots, Interval(*res.ballots_ci, level))
    for j, o in enumerate(res.options):
        c.estimates.append(
            OptionEstimate(
                method,
                o,
                float(res.shares[j]),
                Interval(float(res.share_ci[j, 0]), float(res.share_ci[j, 1]), level),
                float(res.votes[j]),
                Interval(float(res.votes_ci[j, 0]), float(res.votes_ci[j, 1]), level),
            )
        )
    for row in res.by_group.to_dict("records"):
        c.by_region.append(
            RegionEstimate(
                method,
                str(row["group"]),
                str(row["option"]),
                float(row["votes"]),
                float(row["share"]),
                Interval(float(row["ci_low"]), float(row["ci_high"]), level),
                Interval(float(row["votes_ci_low"]), float(row["votes_ci_high"]), level),
            )
        )


def _run_ratio(
    c: _Collected, method: str, inp: _Inputs, sel: CleanSelection, n_boot: int, seed: int,
    level: float,
) -> None:  # fmt: skip
    ev = inp.declared if method == "ratio" else inp.photo
    if sel.n_clean == 0 or not (ev.fillna(0).to_numpy() > 0).any():
        c.skipped[method] = Skipped("no clean station or no voters' evidence")
        return
    clean = sel.clean.to_numpy()
    levels, _ = pooled_levels(inp.levels, clean)  # a stratum of one station has no variance
    res = ratio_estimate(
        inp.official,
        ev,
        clean,
        levels,
        groups=inp.regions,
        n_boot=n_boot,
        seed=seed,
        pool_strength=POOL_STRENGTH,
        confidence=level,
    )
    c.clean_sets[method] = clean
    _bootstrap_rows(c, method, res, res.n_clean, level)


def _run_pvt(
    c: _Collected, inp: _Inputs, sel: CleanSelection, definition: Definition, level: float
) -> None:
    sample = (sel.has_protocol & sel.checks_ok).to_numpy(copy=True)
    if definition != "none":
        sample &= ~(sel.proven | sel.flagged).to_numpy()
    if sample.sum() < 2:
        c.skipped["pvt"] = Skipped("fewer than two usable protocols")
        return
    labels = collapse_strata(inp.levels, sample)
    pop = pd.Series(labels).value_counts()
    res = pvt_estimate(inp.official[sample], labels[sample], pop, confidence=level)
    c.stations_used["pvt"] = res.n
    c.ballots["pvt"] = BallotsEstimate(res.ballots)
    for j, o in enumerate(inp.options):
        c.estimates.append(
            OptionEstimate(
                "pvt",
                o,
                float(res.shares[j]),
                Interval(float(res.ci[j, 0]), float(res.ci[j, 1]), level),
                float(res.votes[j]),
                moe=float(res.moe[j]),
            )
        )


def _run_mixture(c: _Collected, inp: _Inputs, n_boot: int, seed: int, level: float) -> None:
    if not (inp.declared.fillna(0).to_numpy() > 0).any():
        c.skipped["mixture"] = Skipped("no voters' evidence")
        return
    try:
        res = mixture_estimate(
            inp.official,
            inp.declared,
            inp.photo,
            inp.levels,
            groups=inp.regions,
            n_boot=n_boot,
            seed=seed,
            level=level,
            pool_strength=POOL_STRENGTH,
        )
    except ValueError as exc:
        c.skipped["mixture"] = Skipped(str(exc))
        return
    c.mixture = res
    _bootstrap_rows(c, "mixture", res, res.n_honest, level)


def _recommended(methods: Sequence[str], skipped: Mapping[str, Skipped]) -> str | None:
    ran = [m for m in METHODS if m in methods and m not in skipped]
    return RECOMMENDED if RECOMMENDED in ran else (ran[0] if ran else None)


def _national(data: ElectionData, opts: list[str]) -> tuple[dict[str, float], float | None]:
    """The announced national votes per option and ballots cast (what is known of them)."""
    nat = data.national_totals
    named = [o for o in opts if o in nat]
    official_nat = {o: float(nat[o]) for o in named}
    if "ballots_cast" in nat and len(named) == len(opts) - 1:
        rest = [o for o in opts if o not in nat]
        official_nat[rest[0]] = float(nat["ballots_cast"]) - sum(official_nat.values())
    ballots = nat.get("ballots_cast")
    if ballots is None and data.lines["ballots_cast"].notna().all():
        ballots = float(data.lines["ballots_cast"].sum())
    return official_nat, None if ballots is None else float(ballots)


def _lower(lb: LowerBounds, opts: list[str]) -> dict[str, LowerBound]:
    return {
        o: LowerBound(
            float(lb.votes[o]),
            float(lb.share[o]),
            float(lb.photo_votes[o]),
            float(lb.photo_share[o]),
        )
        for o in opts
    }


def run_estimate(
    data: ElectionData,
    methods: Sequence[str] | None = None,
    n_boot: int = ANALYSIS.n_boot,
    seed: int = ANALYSIS.seed,
    checks_ok: pd.Series | None = None,
    threshold: float = ANALYSIS.estimate_threshold,
    definition: Definition = "proof",
    level: float = ANALYSIS.confidence_level,
) -> EstimateReport:
    """Lower bounds and the estimates of every requested method, with warnings.

    ``methods``: any of ``ratio``, ``ratio_photo``, ``pvt``, ``mixture``; default all.
    Shares are fractions of ballots cast; intervals are at confidence ``level``; the report's
    ``estimates`` list, option by option, the recommended method first. ``checks_ok``: the
    protocol checks' verdict per station. ``report.as_dict()`` is the JSON document.
    """
    methods = list(METHODS) if methods is None else list(methods)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    inp = _inputs(data)
    opts = inp.options
    official_nat, ballots_nat = _national(data, opts)
    lb = lower_bounds(inp.official, inp.photo, ballots_nat)
    sel = select_clean(inp.official, inp.photo, inp.declared, checks_ok, threshold, definition)

    c = _Collected([], [], {}, {}, {}, {})
    for method in methods:
        if method in ("ratio", "ratio_photo"):
            _run_ratio(c, method, inp, sel, n_boot, seed, level)
        elif method == "pvt":
            _run_pvt(c, inp, sel, definition, level)
        else:
            _run_mixture(c, inp, n_boot, seed, level)

    best = _recommended(methods, c.skipped)
    rank = {m: (0 if m == best else 1 + METHODS.index(m)) for m in METHODS}
    c.estimates.sort(key=lambda r: (opts.index(r.option), rank[r.method]))
    e = data.election
    denom = ballots_nat if ballots_nat else float("nan")
    return EstimateReport(
        election=e.id,
        election_name=e.name,
        election_date=e.date.isoformat() if e.date else None,
        options=tuple(opts),
        official={
            o: Count(official_nat.get(o), official_nat.get(o, float("nan")) / denom) for o in opts
        },
        ballots_cast=ballots_nat,
        ballots_estimates=c.ballots,
        lower_bounds=_lower(lb, opts),
        estimates=tuple(c.estimates),
        by_region=tuple(c.by_region),
        recommended={o: best for o in opts},
        assumptions={m: ASSUMPTIONS[m] for m in ["lower_bound", *methods]},
        stations_used=c.stations_used,
        skipped=c.skipped,
        clean_selection=sel.counts(),
        parameters=EstimateParameters(
            threshold,
            definition,
            tuple(STRATA),
            POOL_STRENGTH,
            n_boot,
            seed,
            level,
            HONEST_THRESHOLD,
        ),  # fmt: skip
        warnings=thin_evidence_warnings(
            inp.official,
            inp.declared,
            inp.levels,
            sel,
            c.clean_sets,
            c.stations_used,
            c.estimates,
            c.mixture,
        ),  # fmt: skip
        mixture=None if c.mixture is None else mixture_summary(c.mixture),
        honest_stations=(
            c.skipped.get("mixture", Skipped("the mixture method was not requested"))
            if c.mixture is None
            else honest_stations(c.mixture, inp.official, data.stations)
        ),
        mixture_fit=c.mixture,
    )


def estimates_table(
    result: EstimateReport | Mapping[str, Any], methods: Sequence[str] | None = None
) -> pd.DataFrame:
    """A wide table from :func:`run_estimate`'s result (the report or its JSON document):
    official, lower bound and each method's share with its interval, one row per option
    (shares in percent)."""
    doc = result.as_dict() if isinstance(result, EstimateReport) else result
    rows = []
    for o in doc["options"]:
        row: dict[str, Any] = {
            "option": o,
            "official": 100 * (doc["official"][o]["share"] or float("nan")),
            "lower_bound": 100 * (doc["lower_bounds"][o]["share"] or float("nan")),
        }
        for est in doc["estimates"]:
            if est["option"] == o and (methods is None or est["method"] in methods):
                m = est["method"]
                row[m] = 100 * est["share"]
                row[f"{m}_ci"] = f"[{100 * est['ci_low']:.2f}, {100 * est['ci_high']:.2f}]"
        rows.append(row)
    return pd.DataFrame(rows).set_index("option")
