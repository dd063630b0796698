"""Statistical validation with the simulator: interval coverage, bias and width.

Scenarios:

* ``assumptions_hold``: what the ratio methods assume is true. Protocols are published at
  random within each settlement type (not more often where the platform is active); the
  protocol checks catch every falsified protocol (``checks_ok`` = not falsified); no coverage
  threshold, so the clean stations are a random subset of the honest protocols.
* ``thin_evidence``: falsification (votes moved to the leader, 30-70% of each other option's
  votes) is concentrated where few voters use the platform, so photos cannot prove it; no
  protocol check catches it. The clean set is contaminated; raising the coverage threshold
  removes the contamination.

:func:`regime_study` runs the whole estimate (:func:`run_estimate`, ratio and mixture) on
elections of the simulator's :data:`~honestcount.estimate.simulate.REGIMES` (widespread
falsification) and records coverage, bias and width, how well P(honest) classifies the
protocols, and the warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from honestcount.estimate.clean import select_clean
from honestcount.estimate.pvt import draw_sample, pvt_estimate
from honestcount.estimate.ratio import ratio_estimate
from honestcount.estimate.run import _inputs, run_estimate
from honestcount.estimate.simulate import REGIMES, regime_parameters, simulate

SCENARIOS: dict[str, dict[str, Any]] = {
    "assumptions_hold": {
        "sim": {"participation_spread": 0.3, "protocol_bias": 0.0},
        "oracle_checks": True,
        "threshold": 0.0,
    },
    "thin_evidence": {
        "sim": {"falsify_where": "low_evidence", "theft": (0.3, 0.7), "kinds": {"move": 1.0}},
        "oracle_checks": False,
        "threshold": 0.0,
    },
}
LEADING = ("tsikhanouskaya", "lukashenko")


def coverage_study(
    n_sims: int,
    scenario: str = "assumptions_hold",
    methods: Sequence[str] = ("ratio", "ratio_photo"),
    n_boot: int = 500,
    seed: int = 0,
    n_stations: int = 5767,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Simulate ``n_sims`` elections and estimate each with the ratio ``methods``.

    Returns one row per (sim, method, option): ``share, ci_low, ci_high, truth, covered``.
    """
    spec = SCENARIOS[scenario]
    t = spec["threshold"] if threshold is None else threshold
    rows = []
    for i in range(n_sims):
        sim = simulate(seed=seed + i, n_stations=n_stations, **spec["sim"])
        inp = _inputs(sim.data)
        checks = ~sim.truth.falsified if spec["oracle_checks"] else None
        sel = select_clean(inp.official, inp.photo, inp.declared, checks, t, "proof")
        truth = sim.truth.national_shares
        for m in methods:
            ev = inp.declared if m == "ratio" else inp.photo
            res = ratio_estimate(
                inp.official, ev, sel.clean.to_numpy(), inp.levels, n_boot=n_boot, seed=seed + i
            )
            for j, o in enumerate(res.options):
                rows.append(
                    {
                        "sim": i,
                        "method": m,
                        "option": o,
                        "share": res.shares[j],
                        "ci_low": res.share_ci[j, 0],
                        "ci_high": res.share_ci[j, 1],
                        "truth": truth[o],
                    }
                )
    out = pd.DataFrame(rows)
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


def pvt_study(
    n_sims: int, sample_size: int = 500, seed: int = 0, n_stations: int = 5767
) -> pd.DataFrame:
    """PVT: draw a stratified sample of each simulated election, read the true counts of the
    sampled stations (observers at the count) and estimate with :func:`pvt_estimate`."""
    rows = []
    for i in range(n_sims):
        sim = simulate(seed=seed + i, n_stations=n_stations)
        st = sim.data.stations
        sample = draw_sample(st, sample_size, ["region", "settlement_type"], seed=seed + i)
        keys = st["region"].astype(str) + "|" + st["settlement_type"].astype(str)
        res = pvt_estimate(
            sim.truth.votes.loc[sample.index], keys.loc[sample.index], keys.value_counts()
        )
        truth = sim.truth.national_shares
        for j, o in enumerate(res.options):
            rows.append(
                {
                    "sim": i,
                    "method": "pvt",
                    "option": o,
                    "share": res.shares[j],
                    "ci_low": res.ci[j, 0],
                    "ci_high": res.ci[j, 1],
                    "truth": truth[o],
                }
            )
    out = pd.DataFrame(rows)
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


def summarize(records: pd.DataFrame) -> pd.DataFrame:
    """Coverage, bias, RMSE and mean interval width per method and option (shares as
    fractions; bias = mean(estimate - truth))."""
    r = records.assign(
        err=records["share"] - records["truth"], width=records["ci_high"] - records["ci_low"]
    )
    g = r.groupby(["method", "option"], sort=False)
    return pd.DataFrame(
        {
            "n": g.size(),
            "coverage": g["covered"].mean(),
            "bias": g["err"].mean(),
            "rmse": g["err"].apply(lambda e: float(np.sqrt(np.mean(e**2)))),
            "mean_width": g["width"].mean(),
        }
    )


def threshold_study(
    n_sims: int,
    scenario: str = "thin_evidence",
    thresholds: Sequence[float] = (0.0, 0.05, 0.1, 0.15),
    seed: int = 0,
    n_stations: int = 5767,
) -> pd.DataFrame:
    """Bias of the ratio estimate (declared evidence) at each coverage threshold.

    One row per (sim, threshold, option): ``share, truth, error, stations_used,
    ballots_ratio`` (estimated / true ballots cast)."""
    spec = SCENARIOS[scenario]
    rows = []
    for i in range(n_sims):
        sim = simulate(seed=seed + i, n_stations=n_stations, **spec["sim"])
        inp = _inputs(sim.data)
        checks = ~sim.truth.falsified if spec["oracle_checks"] else None
        truth = sim.truth.national_shares
        for t in thresholds:
            sel = select_clean(inp.official, inp.photo, inp.declared, checks, t, "proof")
            res = ratio_estimate(
                inp.official, inp.declared, sel.clean.to_numpy(), inp.levels, n_boot=0
            )
            for j, o in enumerate(res.options):
                rows.append(
                    {
                        "sim": i,
                        "threshold": t,
                        "option": o,
                        "share": res.shares[j],
                        "truth": truth[o],
                        "error": res.shares[j] - truth[o],
                        "stations_used": res.n_clean,
                        "ballots_ratio": res.ballots / sim.truth.ballots_cast.sum(),
                    }
                )
    return pd.DataFrame(rows)


def trend_summary(study: pd.DataFrame, option: str = "tsikhanouskaya") -> pd.DataFrame:
    """Per threshold: mean error, its spread and stations used, for one option of a
    :func:`threshold_study`; plus, in ``attrs["rising"]``, the share of simulations in which
    the estimate rises with the threshold (positive least-squares slope)."""
    s = study[study["option"] == option]
    out = s.groupby("threshold").agg(
        bias=("error", "mean"),
        sd=("error", "std"),
        stations_used=("stations_used", "mean"),
        ballots_ratio=("ballots_ratio", "mean"),
    )
    slopes = [np.polyfit(g["threshold"], g["share"], 1)[0] for _, g in s.groupby("sim")]
    out.attrs["rising"] = float((np.asarray(slopes) > 0).mean()) if slopes else float("nan")
    return out


def regime_study(
    n_sims: int,
    regime: str,
    methods: Sequence[str] = ("ratio", "mixture"),
    n_boot: int = 50,
    seed: int = 0,
    n_stations: int = 5767,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimate ``n_sims`` elections of a simulator regime with :func:`run_estimate`.

    Returns the estimates (one row per sim, method and option: ``share, ci_low, ci_high,
    truth, covered``) and one row per sim on the mixture's classification of the protocol
    stations (``accuracy`` of P(honest) >= 0.5, ``listed`` stations with P(honest) >= 0.9 and
    the share of them truly ``honest``, the fitted and true ``honest_fraction``) and its
    ``warnings`` (their number; ``thin_warning``: one says the evidence is thin)."""
    rows, sims = [], []
    for i in range(n_sims):
        params = regime_parameters(regime, seed + i)
        sim = simulate(seed=seed + i, n_stations=n_stations, **params)
        rep = run_estimate(sim.data, methods, n_boot=n_boot, seed=seed + i)
        truth = sim.truth.national_shares
        for e in rep.estimates:
            rows.append(
                {"sim": i, "method": e.method, "option": e.option, "share": e.share,
                 "ci_low": e.interval.low, "ci_high": e.interval.high, "truth": truth[e.option]}
            )  # fmt: skip
        rec: dict[str, Any] = {"sim": i, "warnings": len(rep.warnings), **params}
        rec["thin_warning"] = any(("fewer than" in w or "only" in w.lower()) for w in rep.warnings)
        fit = rep.mixture_fit
        if fit is not None:
            prot = sim.truth.protocol.to_numpy()
            p = fit.p_honest.to_numpy()[prot]
            honest = ~sim.truth.falsified.to_numpy()[prot]
            listed = p >= 0.9
            rec |= {
                "accuracy": float(((p >= 0.5) == honest).mean()),
                "listed": int(listed.sum()),
                "listed_honest": float(honest[listed].mean()) if listed.any() else np.nan,
                "honest_fraction": float(np.nanmean(p)),
                "true_honest_fraction": float(honest.mean()),
            }
        sims.append(rec)
    out = pd.DataFrame(rows)
    out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out, pd.DataFrame(sims)


def regime_summary(records: pd.DataFrame, sims: pd.DataFrame) -> pd.DataFrame:
    """Coverage, bias, RMSE and width (points) of the leading options, per method, and the
    mixture's classification figures, for a :func:`regime_study`."""
    s = summarize(records[records["option"].isin(LEADING)]) * [1, 1, 100, 100, 100]
    s.attrs = {
        "accuracy": float(sims["accuracy"].mean()),
        "listed": float(sims["listed"].mean()),
        "listed_honest": float(sims["listed_honest"].mean()),
        "honest_fraction": float(sims["honest_fraction"].mean()),
        "true_honest_fraction": float(sims["true_honest_fraction"].mean()),
        "warned_every_time": bool((sims["warnings"] > 0).all()),
        "thin_warning_every_time": bool(sims["thin_warning"].all()),
    }
    return s


def main(n_sims: int = 200, n_boot: int = 1000, n_trend: int = 50) -> None:  # pragma: no cover
    """Print the validation figures quoted in docs/estimation.md."""
    pd.set_option("display.width", 160)
    pct = [1, 1, 100, 100, 100]
    for scenario in ("assumptions_hold",):
        rec = coverage_study(n_sims, scenario, n_boot=n_boot)
        print(f"\n== {scenario}: {n_sims} simulations, n_boot={n_boot} (bias/rmse/width in points)")
        print((summarize(rec) * pct).round(3).to_string())
    rec = pvt_study(n_sims)
    print(f"\n== pvt: {n_sims} simulations, stratified samples of 500 stations")
    print((summarize(rec) * pct).round(3).to_string())
    for scenario in ("thin_evidence", "assumptions_hold"):
        st = threshold_study(n_trend, scenario)
        for option in LEADING:
            tr = trend_summary(st, option)
            print(f"\n== threshold study, {scenario}, {option} ({n_trend} simulations)")
            print((tr * [100, 100, 1, 1]).round(3).to_string())
            print(f"estimate rises with the threshold in {tr.attrs['rising']:.0%} of simulations")


def main_regimes(
    n_sims: int = 200, n_boot: int = 40, n_stations: int = 2500
) -> None:  # pragma: no cover
    """Print the widespread-falsification validation (issue 15) quoted in docs/estimation.md."""
    pd.set_option("display.width", 160)
    for regime in REGIMES:
        rec, sims = regime_study(n_sims, regime, n_boot=n_boot, n_stations=n_stations)
        s = regime_summary(rec, sims)
        print(f"\n== {regime}: {n_sims} elections of {n_stations} stations, n_boot={n_boot}")
        print(s.round(2).to_string())
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in s.attrs.items()})


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:2] == ["regimes"]:
        main_regimes(*(int(a) for a in sys.argv[2:]))
    else:
        main(*(int(a) for a in sys.argv[1:]))
