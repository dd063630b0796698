"""One call that runs every estimate for an election and returns a JSON-ready dict."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from honestcount.estimate.bounds import lower_bounds
from honestcount.estimate.clean import Definition, select_clean, stratum_labels
from honestcount.estimate.pvt import collapse_strata, pvt_estimate
from honestcount.estimate.ratio import RatioEstimate, ratio_estimate
from honestcount.model import ElectionData

STRATA = ["region", "settlement_type"]
DEFAULT_THRESHOLD = 0.02  # see docs/estimation.md, "The coverage threshold"
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
}
METHODS: tuple[str, ...] = ("ratio", "ratio_photo", "pvt")
RECOMMENDED = "ratio"


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
    n_boot: int = 2000,
    seed: int = 0,
    pool_strength: float | None = POOL_STRENGTH,
    by_region: bool = True,
) -> RatioEstimate:
    """The clean-station ratio estimate for an election (``evidence``: declared or photo)."""
    inp = _inputs(data)
    sel = select_clean(inp.official, inp.photo, inp.declared, checks_ok, threshold, definition)
    ev = {"declared": inp.declared, "photo": inp.photo}[evidence]
    return ratio_estimate(
        inp.official,
        ev,
        sel.clean.to_numpy(),
        inp.levels,
        groups=inp.regions if by_region else None,
        n_boot=n_boot,
        seed=seed,
        pool_strength=pool_strength,
    )


def _recommended(methods: list[str], skipped: dict[str, str]) -> str | None:
    ran = [m for m in METHODS if m in methods and m not in skipped]
    return RECOMMENDED if RECOMMENDED in ran else (ran[0] if ran else None)


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def run_estimate(
    data: ElectionData,
    methods: list[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    checks_ok: pd.Series | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    definition: Definition = "proof",
    level: float = 0.95,
) -> dict[str, Any]:
    """Lower bounds and the estimates of every requested method, as a JSON-ready dict.

    ``methods``: any of ``ratio`` (recommended), ``ratio_photo``, ``pvt``; default all.
    Shares are fractions of ballots cast; ``estimates`` lists, option by option, the
    recommended method first. ``checks_ok``: the protocol checks' verdict per station.
    """
    methods = list(METHODS) if methods is None else list(methods)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    inp = _inputs(data)
    opts = inp.options
    nat = data.national_totals
    named = [o for o in opts if o in nat]
    official_nat = {o: float(nat[o]) for o in named}
    if "ballots_cast" in nat and len(named) == len(opts) - 1:
        rest = [o for o in opts if o not in nat]
        official_nat[rest[0]] = float(nat["ballots_cast"]) - sum(official_nat.values())
    ballots_nat = nat.get("ballots_cast")
    if ballots_nat is None and data.lines["ballots_cast"].notna().all():
        ballots_nat = float(data.lines["ballots_cast"].sum())

    lb = lower_bounds(inp.official, inp.photo, ballots_nat)
    sel = select_clean(inp.official, inp.photo, inp.declared, checks_ok, threshold, definition)

    estimates: list[dict[str, Any]] = []
    by_region: list[dict[str, Any]] = []
    stations_used: dict[str, int] = {}
    ballots_est: dict[str, dict[str, float | None]] = {}

    skipped: dict[str, str] = {}
    for method in methods:
        if method in ("ratio", "ratio_photo"):
            ev = inp.declared if method == "ratio" else inp.photo
            if sel.n_clean == 0 or not (ev.fillna(0).to_numpy() > 0).any():
                skipped[method] = "no clean station or no voters' evidence"
                continue
            res = ratio_estimate(
                inp.official,
                ev,
                sel.clean.to_numpy(),
                inp.levels,
                groups=inp.regions,
                n_boot=n_boot,
                seed=seed,
                pool_strength=POOL_STRENGTH,
            )
            stations_used[method] = res.n_clean
            ballots_est[method] = {
                "value": res.ballots,
                "ci_low": res.ballots_ci[0],
                "ci_high": res.ballots_ci[1],
            }
            for j, o in enumerate(opts):
                estimates.append(
                    {
                        "method": method,
                        "option": o,
                        "share": _num(res.shares[j]),
                        "ci_low": _num(res.share_ci[j, 0]),
                        "ci_high": _num(res.share_ci[j, 1]),
                        "votes": _num(res.votes[j]),
                        "votes_ci_low": _num(res.votes_ci[j, 0]),
                        "votes_ci_high": _num(res.votes_ci[j, 1]),
                    }
                )
            for row in res.by_group.to_dict("records"):
                by_region.append(
                    {"method": method, "region": row.pop("group")}
                    | {k: (_num(v) if k != "option" else v) for k, v in row.items()}
                )
        else:  # pvt
            sample = (sel.has_protocol & sel.checks_ok).to_numpy(copy=True)
            if definition != "none":
                sample &= ~(sel.proven | sel.flagged).to_numpy()
            if sample.sum() < 2:
                skipped[method] = "fewer than two usable protocols"
                continue
            labels = collapse_strata(inp.levels, sample)
            pop = pd.Series(labels).value_counts()
            res_p = pvt_estimate(inp.official[sample], labels[sample], pop)
            stations_used[method] = res_p.n
            ballots_est[method] = {"value": res_p.ballots, "ci_low": None, "ci_high": None}
            for j, o in enumerate(opts):
                estimates.append(
                    {
                        "method": method,
                        "option": o,
                        "share": _num(res_p.shares[j]),
                        "ci_low": _num(res_p.ci[j, 0]),
                        "ci_high": _num(res_p.ci[j, 1]),
                        "votes": _num(res_p.votes[j]),
                        "moe": _num(res_p.moe[j]),
                    }
                )

    best = _recommended(methods, skipped)
    rank = {m: (0 if m == best else 1 + METHODS.index(m)) for m in METHODS}
    estimates.sort(key=lambda r: (opts.index(r["option"]), rank[r["method"]]))
    e = data.election
    return {
        "election": e.id,
        "election_name": e.name,
        "election_date": e.date.isoformat() if e.date else None,
        "options": opts,
        "official": {
            o: {
                "votes": _num(official_nat.get(o, float("nan"))),
                "share": _num(official_nat.get(o, float("nan")) / (ballots_nat or float("nan"))),
            }
            for o in opts
        },
        "ballots_cast": {"official": _num(ballots_nat or float("nan")), "estimates": ballots_est},
        "lower_bounds": {
            o: {
                "votes": float(lb.votes[o]),
                "share": _num(lb.share[o]),
                "photo_votes": float(lb.photo_votes[o]),
                "photo_share": _num(lb.photo_share[o]),
            }
            for o in opts
        },
        "estimates": estimates,
        "by_region": by_region,
        "recommended": {o: _recommended(methods, skipped) for o in opts},
        "assumptions": {m: ASSUMPTIONS[m] for m in ["lower_bound", *methods]},
        "stations_used": stations_used,
        "skipped": skipped,
        "clean_selection": sel.counts(),
        "parameters": {
            "threshold": threshold,
            "definition": definition,
            "strata": STRATA,
            "pool_strength": "estimated" if POOL_STRENGTH is None else POOL_STRENGTH,
            "n_boot": n_boot,
            "seed": seed,
            "confidence": 0.95,
        },
    }


def estimates_table(result: dict[str, Any], methods: Sequence[str] | None = None) -> pd.DataFrame:
    """A wide table from :func:`run_estimate`'s result: official, lower bound and each method's
    share with its interval, one row per option (shares in percent)."""
    rows = []
    for o in result["options"]:
        row: dict[str, Any] = {
            "option": o,
            "official": 100 * (result["official"][o]["share"] or float("nan")),
            "lower_bound": 100 * (result["lower_bounds"][o]["share"] or float("nan")),
        }
        for est in result["estimates"]:
            if est["option"] == o and (methods is None or est["method"] in methods):
                m = est["method"]
                row[m] = 100 * est["share"]
                row[f"{m}_ci"] = f"[{100 * est['ci_low']:.2f}, {100 * est['ci_high']:.2f}]"
        rows.append(row)
    return pd.DataFrame(rows).set_index("option")
