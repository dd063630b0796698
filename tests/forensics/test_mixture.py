"""Validation of the fraud mixture model (honestcount.forensics.mixture).

Fast tests run by default; the repetition studies and the real-data runs are ``slow``
(``pytest -m slow``). All simulations use fixed seeds, so results are reproducible.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from honestcount.forensics import mixture as mx
from honestcount.model import BallotOption, Election, ElectionData

REPO = Path(__file__).resolve().parents[2]
RU_LEADER = "putin_vladimir_vladimirovich"  # russia_2018 comes from conftest.py


# --------------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------------


def _election(
    registered: np.ndarray,
    ballots: np.ndarray,
    valid: np.ndarray,
    votes: dict[str, np.ndarray],
    ids: list[str] | None = None,
    region: np.ndarray | None = None,
    name: str = "synthetic",
) -> ElectionData:
    n = len(registered)
    idx = pd.Index(ids if ids is not None else [f"s{i}" for i in range(n)], name="station_id")
    stations = pd.DataFrame(
        {
            "region": region if region is not None else np.full(n, "r"),
            "registered_voters": np.asarray(registered, dtype=float),
        },
        index=idx,
    )
    lines = pd.DataFrame(
        {"ballots_cast": np.asarray(ballots, float), "valid": np.asarray(valid, float)}, index=idx
    )
    official = pd.DataFrame({k: np.asarray(v, float) for k, v in votes.items()}, index=idx)
    empty = pd.DataFrame(index=idx)
    return ElectionData(
        election=Election(name, name, "XX"),
        options=[BallotOption(k, k, position=i) for i, k in enumerate(votes)],
        stations=stations,
        lines=lines,
        official=official,
        official_source=pd.Series([None] * n, index=idx, dtype=object),
        declared=empty,
        photo=empty,
        observers=empty,
        violations=pd.DataFrame({"station_id": [], "code": []}),
    )


def _from_simulation(sim: mx.SimulatedMixture) -> ElectionData:
    other = sim.valid - sim.leader
    return _election(
        sim.registered, sim.ballots_cast, sim.valid, {"leader": sim.leader, "other": other}
    )


def first_regions(data: ElectionData, n: int) -> ElectionData:
    """The stations of the first ``n`` regions, every layer cut alike."""
    keep = data.stations["region"].isin(data.stations["region"].drop_duplicates().iloc[:n])
    frames = ("stations", "lines", "official", "official_source", "declared", "photo", "observers")
    return dataclasses.replace(data, **{f: getattr(data, f)[keep.to_numpy()] for f in frames})


def _fit(sim: mx.SimulatedMixture, **kw: object) -> mx.MixtureFit:
    return mx.fit_mixture(sim.registered, sim.ballots_cast, sim.valid, sim.leader, **kw)


def _weights(fit: mx.MixtureFit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    est = np.array([fit.pi[k].estimate for k in mx.CLASSES])
    lo = np.array([fit.pi[k].ci_low for k in mx.CLASSES])
    hi = np.array([fit.pi[k].ci_high for k in mx.CLASSES])
    return est, lo, hi


WELL_SEPARATED = dict(sigma_turnout=0.15, sigma_share=0.15)


# --------------------------------------------------------------------------------------------
# simulator
# --------------------------------------------------------------------------------------------


def test_simulator_is_a_valid_election_with_known_truth():
    sim = mx.simulate_mixture(4000, (0.7, 0.2, 0.1), seed=1)
    assert np.all(sim.ballots_cast <= sim.registered)
    assert np.all(sim.valid <= sim.ballots_cast)
    assert np.all(sim.leader <= sim.valid)
    assert set(np.unique(sim.true_class)) == {0, 1, 2}
    clean = sim.true_class == 0
    assert np.all(sim.manufactured[clean] == 0) and np.all(sim.stolen[clean] == 0)
    # manufactured ballots all go to the leader: leader >= manufactured + stolen
    assert np.all(sim.leader >= sim.manufactured + sim.stolen)
    # extreme stations have far higher turnout than clean ones
    t = sim.ballots_cast / sim.registered
    assert np.median(t[sim.true_class == 2]) > np.median(t[clean]) + 0.3
    freq = np.bincount(sim.true_class, minlength=3) / len(sim.true_class)
    assert np.allclose(freq, (0.7, 0.2, 0.1), atol=0.03)


def test_simulator_rejects_bad_weights():
    with pytest.raises(ValueError):
        mx.simulate_mixture(10, (0.5, 0.2, 0.2))


# --------------------------------------------------------------------------------------------
# recovery (fast)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pi", "n", "kw", "seed"),
    [
        ((0.8, 0.15, 0.05), 3000, {}, 11),
        ((0.6, 0.25, 0.15), 2000, WELL_SEPARATED, 12),
        ((0.9, 0.0, 0.1), 2000, WELL_SEPARATED, 13),
    ],
)
def test_weights_recovered_within_intervals(pi, n, kw, seed):
    sim = mx.simulate_mixture(n, pi, seed=seed, **kw)
    fit = _fit(sim)
    est, lo, hi = _weights(fit)
    se = np.array([fit.pi[k].se for k in mx.CLASSES])
    assert fit.converged
    assert np.all(np.abs(est - np.array(pi)) < 3 * se + 1e-3)
    assert np.all((lo <= np.array(pi) + 1e-3) & (np.array(pi) - 1e-3 <= hi))
    assert np.all(lo >= 0) and np.all(hi <= 1)


def test_modal_class_agrees_in_well_separated_setting():
    sim = mx.simulate_mixture(5000, (0.7, 0.2, 0.1), seed=21, **WELL_SEPARATED)
    fit = _fit(sim)
    assert np.mean(fit.modal_class == sim.true_class) >= 0.95
    # class probabilities are calibrated: mean P(class) ~ share of that class
    p = fit.station_probabilities
    for c in range(3):
        sure = p[:, c] > 0.9
        assert np.mean(sim.true_class[sure] == c) > 0.9


def test_clean_election_has_fraud_weights_near_zero():
    sim = mx.simulate_mixture(5000, (1.0, 0.0, 0.0), seed=31)
    fit = _fit(sim)
    for k in ("incremental", "extreme"):
        assert fit.pi[k].estimate < 0.05
        assert fit.pi[k].ci_low <= 0.005  # the interval reaches zero, or nearly
    assert fit.pi["no_fraud"].ci_high >= 0.99
    assert fit.manufactured_votes.estimate < 0.01 * sim.leader.sum()


def test_vote_totals_and_station_votes():
    sim = mx.simulate_mixture(5000, (0.75, 0.17, 0.08), seed=41, **WELL_SEPARATED)
    fit = _fit(sim)
    for est, truth in ((fit.manufactured_votes, sim.manufactured), (fit.stolen_votes, sim.stolen)):
        assert abs(est.estimate - truth.sum()) < 3 * est.se
        assert est.ci_low < truth.sum() < est.ci_high
    ok = fit.modal_class == sim.true_class
    assert np.corrcoef(fit.manufactured[ok], sim.manufactured[ok])[0, 1] > 0.95
    assert np.corrcoef(fit.stolen[ok], sim.stolen[ok])[0, 1] > 0.9
    # posterior sds are calibrated for correctly classified fraud stations
    fraud = ok & (sim.true_class > 0)
    z = (fit.manufactured - sim.manufactured)[fraud] / fit.manufactured_sd[fraud]
    assert 0.7 < np.std(z) < 1.3
    z = (fit.stolen - sim.stolen)[fraud] / fit.stolen_sd[fraud]
    assert 0.7 < np.std(z) < 1.3


def test_covariates_are_recovered():
    sim = mx.simulate_mixture(4000, (0.8, 0.15, 0.05), n_covariates=1, seed=51)
    fit = _fit(sim, x_turnout=sim.x, x_share=sim.x)
    assert fit.beta_turnout.shape == (2,) and fit.beta_share.shape == (2,)
    assert abs(fit.beta_turnout[1] - 0.3) < 4 * fit.beta_turnout_se[1] + 0.01
    assert abs(fit.beta_share[1] + 0.3) < 4 * fit.beta_share_se[1] + 0.01
    est, lo, hi = _weights(fit)
    assert np.all(np.abs(est - np.array([0.8, 0.15, 0.05])) < 0.03)


def test_unusable_stations_are_excluded_and_reported():
    sim = mx.simulate_mixture(1000, (0.8, 0.15, 0.05), seed=61)
    reg = sim.registered.copy()
    reg[:5] = np.nan
    reg[5:8] = sim.ballots_cast[5:8] - 1  # more ballots than voters
    fit = mx.fit_mixture(reg, sim.ballots_cast, sim.valid, sim.leader)
    assert fit.n_excluded == 8 and fit.n_stations == 992
    assert np.all(np.isnan(fit.station_probabilities[:8]))
    assert np.all(fit.modal_class[:8] == -1)


def test_predictive_check_accepts_model_data_and_flags_misspecification():
    sim = mx.simulate_mixture(5000, (0.8, 0.15, 0.05), seed=71)
    check = mx.predictive_check(_fit(sim), n_replicates=19, seed=1)
    assert min(check.p_values.values()) > 0.05
    # honest but heterogeneous election: two regions with different turnout and support
    a = mx.simulate_mixture(
        2500, (1, 0, 0), turnout=0.45, share=0.4, sigma_turnout=0.15, sigma_share=0.15, seed=72
    )
    b = mx.simulate_mixture(
        2500, (1, 0, 0), turnout=0.75, share=0.65, sigma_turnout=0.15, sigma_share=0.15, seed=73
    )
    cat = {
        f: np.concatenate([getattr(a, f), getattr(b, f)])
        for f in ("registered", "ballots_cast", "valid", "leader")
    }
    fit = mx.fit_mixture(cat["registered"], cat["ballots_cast"], cat["valid"], cat["leader"])
    # the model reports "fraud" where there is none (the critique, in miniature) ...
    assert fit.pi["incremental"].ci_low + fit.pi["extreme"].ci_low > 0.05
    # ... and its own predictive check shows the model does not describe these data
    check = mx.predictive_check(fit, n_replicates=19, seed=2)
    assert min(check.p_values.values()) <= 0.05
    # with the region as a covariate the signal goes away
    region = np.r_[np.zeros(2500), np.ones(2500)]
    fit = mx.fit_mixture(
        cat["registered"],
        cat["ballots_cast"],
        cat["valid"],
        cat["leader"],
        x_turnout=region,
        x_share=region,
    )
    assert fit.pi["incremental"].estimate + fit.pi["extreme"].estimate < 0.03


def test_thousand_stations_is_fast():
    import time

    sim = mx.simulate_mixture(1000, (0.8, 0.15, 0.05), seed=81)
    cpu = time.process_time()
    _fit(sim)
    # generous bound: the target is < 2 s wall on an idle 2-core machine
    assert time.process_time() - cpu < 6.0


# --------------------------------------------------------------------------------------------
# ElectionData layer
# --------------------------------------------------------------------------------------------


def test_battery_entry_and_station_table(tmp_path):
    sim = mx.simulate_mixture(1500, (0.8, 0.15, 0.05), seed=91)
    data = _from_simulation(sim)
    out = mx.battery_entry(data, "leader", plots_dir=tmp_path, n_replicates=5)
    text = json.dumps(out, allow_nan=False)
    assert "NaN" not in text
    for k in mx.CLASSES:
        assert {"estimate", "ci_low", "ci_high"} <= set(out["pi"][k])
    for k in ("manufactured_votes", "stolen_votes"):
        assert out[k]["ci_low"] <= out[k]["estimate"] <= out[k]["ci_high"]
    assert set(out["predictive_checks"]) == {"fingerprint", "turnout", "share"}
    assert "not findings of fraud" in out["note"]
    png = Path(out["plots"][0])
    assert png.exists() and png.stat().st_size > 20_000
    table = mx.station_probabilities(data, "leader")  # reuses the cached fit
    assert table.index.equals(data.stations.index) and table.index.name == "station_id"
    probs = table[["p_no_fraud", "p_incremental", "p_extreme"]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert {"manufactured", "manufactured_sd", "stolen", "stolen_sd", "modal_class"} <= set(
        table.columns
    )
    assert mx.fit_election(data, "leader") is mx.fit_election(data, "leader")


def test_battery_entry_skips_without_registered_voters():
    sim = mx.simulate_mixture(200, seed=92)
    data = _from_simulation(sim)
    data.stations["registered_voters"] = np.nan
    out = mx.battery_entry(data, "leader")
    assert out["skipped"] is True


def test_real_data_smoke_russia_2018_three_regions(russia_2018):
    data = first_regions(russia_2018, 3)
    out = mx.battery_entry(data, RU_LEADER, n_replicates=5)
    json.dumps(out, allow_nan=False)
    assert out["n_stations"] > 500
    assert sum(out["pi"][k]["estimate"] for k in mx.CLASSES) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# slow: repetition studies and the full Russian election
# --------------------------------------------------------------------------------------------


COVERAGE_SETTINGS = [  # (pi, stations, repetitions), well separated (honest spread 0.15)
    ((0.7, 0.2, 0.1), 1000, 100),
    ((0.6, 0.25, 0.15), 5000, 60),
    ((0.9, 0.07, 0.03), 20000, 30),
]


@pytest.mark.slow
def test_interval_coverage_of_mixture_weights():
    """Nominal 95 % intervals cover the true weights in >= 90 % of repetitions (pooled over
    settings, per weight); no setting below 85 % (with 30-100 repetitions a setting's own
    coverage varies by several points by chance alone). Less separated settings (spread
    0.25) give somewhat optimistic intervals at ~5,000 stations: see docs/mixture-models.md."""
    hits, total, per_setting = np.zeros(3), 0, []
    for pi, n, reps in COVERAGE_SETTINGS:
        covered, agree = np.zeros(3), []
        for r in range(reps):
            sim = mx.simulate_mixture(n, pi, seed=10_000 + r, **WELL_SEPARATED)
            fit = _fit(sim)
            _, lo, hi = _weights(fit)
            covered += (lo <= np.array(pi)) & (np.array(pi) <= hi)
            agree.append(np.mean(fit.modal_class == sim.true_class))
        hits += covered
        total += reps
        per_setting.append(covered / reps)
        assert np.mean(agree) >= 0.95, (pi, n, np.mean(agree))
    assert np.all(hits / total >= 0.9), (hits / total, per_setting)
    assert np.all(np.array(per_setting) >= 0.85), per_setting


@pytest.mark.slow
def test_hundred_thousand_stations():
    sim = mx.simulate_mixture(100_000, (0.8, 0.15, 0.05), seed=5)
    fit = _fit(sim)
    est, lo, hi = _weights(fit)
    pi = np.array([0.8, 0.15, 0.05])
    assert np.all((lo <= pi) & (pi <= hi))
    assert np.max(np.abs(est - pi)) < 0.01
    assert np.mean(fit.modal_class == sim.true_class) > 0.95
    assert fit.manufactured_votes.ci_low < sim.manufactured.sum() < fit.manufactured_votes.ci_high
    assert fit.seconds < 120  # target < 60 s on an idle machine; shared CI machines are slower


@pytest.mark.slow
def test_russia_2018(russia_2018, tmp_path):
    out = mx.battery_entry(russia_2018, RU_LEADER, plots_dir=tmp_path, n_replicates=9)
    json.dumps(out, allow_nan=False)
    assert out["n_stations"] > 95_000
    pi = out["pi"]
    assert sum(pi[k]["estimate"] for k in mx.CLASSES) == pytest.approx(1.0)
    # a strong anomaly signal, with a model that does not describe the data (see the note)
    assert pi["no_fraud"]["estimate"] < 0.9
    assert out["manufactured_votes"]["estimate"] > 0
    table = mx.station_probabilities(russia_2018, RU_LEADER)
    assert len(table) == len(russia_2018)
    assert table["p_extreme"].notna().sum() == out["n_stations"]
