"""Validation of Klimek et al.'s fingerprint fraud model (honestcount.forensics.klimek).

Fast tests run by default; repetition studies and the full Russian election are ``slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from honestcount.forensics import klimek as kl
from honestcount.model import BallotOption, Election, ElectionData
from honestcount.results import Estimate

REPO = Path(__file__).resolve().parents[2]
RU_LEADER = "putin_vladimir_vladimirovich"  # russia_2018 comes from conftest.py


def _election(
    registered: np.ndarray,
    ballots: np.ndarray,
    valid: np.ndarray,
    votes: dict[str, np.ndarray],
    ids: list[str] | None = None,
    name: str = "synthetic",
) -> ElectionData:
    n = len(registered)
    idx = pd.Index(ids if ids is not None else [f"s{i}" for i in range(n)], name="station_id")
    empty = pd.DataFrame(index=idx)
    return ElectionData(
        election=Election(name, name, "XX"),
        options=[BallotOption(k, k, position=i) for i, k in enumerate(votes)],
        stations=pd.DataFrame({"registered_voters": np.asarray(registered, float)}, index=idx),
        lines=pd.DataFrame(
            {"ballots_cast": np.asarray(ballots, float), "valid": np.asarray(valid, float)},
            index=idx,
        ),
        official=pd.DataFrame({k: np.asarray(v, float) for k, v in votes.items()}, index=idx),
        official_source=pd.Series([None] * n, index=idx, dtype=object),
        declared=empty,
        photo=empty,
        observers=empty,
        violations=pd.DataFrame({"station_id": [], "code": []}),
    )


def _covers(iv: Estimate, truth: float, slack: float = 0.0) -> bool:
    return iv.ci_low - slack <= truth <= iv.ci_high + slack


# --------------------------------------------------------------------------------------------
# model and numerics
# --------------------------------------------------------------------------------------------


def test_simulator_classes_and_fraud_direction():
    sim = kl.simulate_klimek(20_000, 0.3, 0.05, 1.0, seed=1)
    freq = np.bincount(sim.true_class, minlength=3) / 20_000
    assert np.allclose(freq, (0.65, 0.3, 0.05), atol=0.01)
    clean = sim.true_class == 0
    assert np.all(sim.intensity[clean] == 0)
    assert np.median(sim.turnout[sim.true_class == 2]) > 0.95
    assert np.median(sim.share[sim.true_class == 2]) > 0.95
    assert np.mean(sim.turnout[sim.true_class == 1]) > np.mean(sim.turnout[clean])
    with pytest.raises(ValueError):
        kl.simulate_klimek(10, 0.7, 0.5)


def test_expected_fingerprint_matches_monte_carlo():
    """The deterministic expected histogram matches the simulator (chi2 per cell near 1 at a
    million stations, i.e. errors far below the sampling noise of real elections)."""
    model = kl._Model(50)
    theta = kl._pack(kl._Clean(0.55, 0.08, 0.5, 0.08), 1.5, 0.3)
    h0, h1, h2 = model.components(theta)
    for h in (h0, h1, h2):
        assert h.sum() == pytest.approx(1.0)
    n = 1_000_000
    sim = kl.simulate_klimek(n, 0.25, 0.05, 1.5, seed=3)
    obs = kl.fingerprint(sim.turnout, sim.share, 50)
    exp = n * (0.7 * h0 + 0.25 * h1 + 0.05 * h2)
    m = exp > 5
    assert np.sum((obs - exp)[m] ** 2 / exp[m]) / m.sum() < 2.0


# --------------------------------------------------------------------------------------------
# recovery
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f_inc", "f_ext", "alpha", "seed"),
    [(0.2, 0.03, 1.0, 5), (0.35, 0.08, 2.0, 6)],
)
def test_recovers_fraud_fractions_within_intervals(f_inc, f_ext, alpha, seed):
    sim = kl.simulate_klimek(10_000, f_inc, f_ext, alpha, seed=seed)
    fit = kl.fit_klimek(sim.turnout, sim.share, n_bootstrap=29, seed=seed)
    assert _covers(fit.f_incremental, f_inc, 0.005)
    assert _covers(fit.f_extreme, f_ext, 0.003)
    assert abs(fit.f_incremental.estimate - f_inc) < 0.03
    assert abs(fit.f_extreme.estimate - f_ext) < 0.01
    assert abs(np.log(fit.alpha.estimate / alpha)) < 0.2
    assert fit.deviance < 1.2 * fit.df  # the model fits its own data (p-values: slow test)
    assert fit.turnout_mean == pytest.approx(0.55, abs=0.01)


def test_clean_election_gives_fractions_near_zero():
    sim = kl.simulate_klimek(10_000, 0.0, 0.0, seed=7)
    fit = kl.fit_klimek(sim.turnout, sim.share, n_bootstrap=19, seed=7)
    # small-intensity incremental fraud is hard to tell from clean spread: the estimate is
    # small, not exactly zero, and its interval reaches zero
    assert fit.f_incremental.estimate < 0.1 and fit.f_incremental.ci_low < 0.002
    assert fit.f_extreme.estimate < 0.002 and fit.f_extreme.ci_low < 0.001


def test_binomial_counts_still_recovered():
    reg = np.random.default_rng(0).integers(800, 2500, size=10_000)
    sim = kl.simulate_klimek(10_000, 0.2, 0.04, 1.0, registered=reg, seed=8)
    fit = kl.fit_klimek(sim.turnout, sim.share, n_bootstrap=0)
    assert abs(fit.f_incremental.estimate - 0.2) < 0.04
    assert abs(fit.f_extreme.estimate - 0.04) < 0.01


# --------------------------------------------------------------------------------------------
# battery entry and plot
# --------------------------------------------------------------------------------------------


def test_battery_entry_json_and_plot(tmp_path):
    reg = np.random.default_rng(1).integers(500, 2000, size=3000).astype(float)
    sim = kl.simulate_klimek(3000, 0.2, 0.05, 1.0, registered=reg.astype(int), seed=9)
    ballots = np.round(sim.turnout * reg)
    leader = np.round(sim.share * ballots)
    data = _election(reg, ballots, ballots, {"leader": leader, "other": ballots - leader})
    out = kl.battery_entry(data, "leader", plots_dir=tmp_path, n_bootstrap=5)
    json.dumps(out, allow_nan=False)
    for k in ("f_incremental", "f_extreme", "alpha"):
        assert {"estimate", "ci_low", "ci_high"} <= set(out[k])
    assert {"deviance", "df", "bootstrap_p_value"} <= set(out["goodness_of_fit"])
    assert "not findings of fraud" in out["note"]
    png = Path(out["plots"][0])
    assert png.exists() and png.stat().st_size > 20_000


def test_battery_entry_skips_without_turnout():
    data = _election(np.full(10, np.nan), np.ones(10), np.ones(10), {"a": np.ones(10)})
    assert kl.battery_entry(data, "a")["skipped"] is True


# --------------------------------------------------------------------------------------------
# slow
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_interval_coverage_over_repetitions():
    reps, covered, pvals = 20, np.zeros(2), []
    for r in range(reps):
        sim = kl.simulate_klimek(10_000, 0.25, 0.05, 1.0, seed=1000 + r)
        fit = kl.fit_klimek(sim.turnout, sim.share, n_bootstrap=49, seed=r)
        covered += [_covers(fit.f_incremental, 0.25), _covers(fit.f_extreme, 0.05)]
        pvals.append(fit.gof_pvalue)
    assert np.all(covered / reps >= 0.8), covered / reps
    # goodness-of-fit p-values on the model's own data are roughly uniform
    assert np.mean(np.array(pvals) <= 0.1) <= 0.3


@pytest.mark.slow
def test_russia_2018(russia_2018, tmp_path):
    out = kl.battery_entry(russia_2018, RU_LEADER, plots_dir=tmp_path, n_bootstrap=19)
    json.dumps(out, allow_nan=False)
    assert out["n_stations"] > 97_000
    assert out["f_incremental"]["estimate"] > 0.1  # a strong smear of the fingerprint
    # and a model that does not describe the data: read the fractions with that in mind
    assert out["goodness_of_fit"]["bootstrap_p_value"] <= 0.05
    assert Path(out["plots"][0]).exists()
