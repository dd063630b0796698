"""Statistical validation with simulated elections (the long runs are marked slow).

Figures quoted in docs/estimation.md come from ``python -m honestcount.estimate.validation``.
"""

from __future__ import annotations

import numpy as np
import pytest

from honestcount.estimate.validation import (
    LEADING,
    coverage_study,
    pvt_study,
    summarize,
    threshold_study,
    trend_summary,
)


def test_quick_estimate_is_close_when_assumptions_hold():
    rec = coverage_study(3, "assumptions_hold", methods=("ratio",), n_boot=200, seed=100)
    rec = rec[rec["option"].isin(LEADING)]
    err = (rec["share"] - rec["truth"]).abs()
    assert (err < 2 * (rec["ci_high"] - rec["ci_low"])).all()
    assert err.max() < 0.03


def test_quick_thin_evidence_falsification_biases_and_the_threshold_reveals_it():
    st = threshold_study(3, "thin_evidence", thresholds=(0.0, 0.05, 0.1, 0.15), seed=200)
    ts = st[st["option"] == "tsikhanouskaya"]
    at0 = ts[ts["threshold"] == 0.0]["error"]
    assert (at0 < -0.02).all()  # the robbed candidate is underestimated
    lk = st[(st["option"] == "lukashenko") & (st["threshold"] == 0.0)]["error"]
    assert (lk > 0.02).all()  # and the beneficiary overestimated
    # the sensitivity analysis points the right way: stricter coverage, higher estimate
    for _, g in ts.groupby("sim"):
        assert np.polyfit(g["threshold"], g["share"], 1)[0] > 0
    tr = trend_summary(st)
    assert abs(tr["bias"].iloc[-1]) < abs(tr["bias"].iloc[0])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ratio", "ratio_photo"])
def test_ratio_intervals_cover_when_assumptions_hold(method):
    rec = coverage_study(200, "assumptions_hold", methods=(method,), n_boot=500, seed=1000)
    summary = summarize(rec)
    print(f"\n{method}: coverage, bias, rmse, mean width (shares)\n{summary.to_string()}")
    for option in LEADING:
        row = summary.loc[(method, option)]
        assert row["coverage"] >= 0.92, (option, row.to_dict())
        assert abs(row["bias"]) < 0.25 * row["mean_width"], (option, row.to_dict())


@pytest.mark.slow
def test_pvt_intervals_cover():
    summary = summarize(pvt_study(200, sample_size=500, seed=2000))
    print(f"\npvt: coverage, bias, rmse, mean width (shares)\n{summary.to_string()}")
    for option in LEADING:
        row = summary.loc[("pvt", option)]
        assert row["coverage"] >= 0.92, (option, row.to_dict())
        assert abs(row["bias"]) < 0.25 * row["mean_width"]


@pytest.mark.slow
def test_thin_evidence_failure_mode_over_many_elections():
    st = threshold_study(40, "thin_evidence", seed=3000)
    ts, lk = trend_summary(st, "tsikhanouskaya"), trend_summary(st, "lukashenko")
    print(f"\nthin evidence, tsikhanouskaya\n{ts}\nlukashenko\n{lk}")
    assert ts["bias"].iloc[0] < -0.03 and lk["bias"].iloc[0] > 0.03
    assert ts.attrs["rising"] >= 0.9 and lk.attrs["rising"] <= 0.1
    assert (np.diff(ts["bias"].to_numpy()) > 0).all()  # less bias at every stricter threshold


@pytest.mark.slow
def test_threshold_selects_on_participation_even_without_falsification():
    """The other side of the trade-off: with no contamination, a coverage threshold keeps the
    stations where the platform is popular, so the challenger's share is overstated and the
    ballots cast understated; the estimate also rises with the threshold."""
    st = threshold_study(30, "assumptions_hold", seed=4000)
    ts = trend_summary(st, "tsikhanouskaya")
    print(f"\nassumptions hold, tsikhanouskaya\n{ts}")
    assert abs(ts["bias"].iloc[0]) < 0.005
    assert ts["bias"].iloc[-1] > 0.01
    assert ts["ballots_ratio"].iloc[-1] < ts["ballots_ratio"].iloc[0] - 0.1
    assert ts.attrs["rising"] >= 0.9
