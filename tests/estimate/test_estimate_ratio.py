"""The clean-station ratio estimator on data where the answer is known exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from honestcount.estimate import ratio_estimate, stratum_labels


def exact_election(n=400, seed=0):
    """Evidence exactly proportional to true votes with rate a[option] * b[stratum]."""
    rng = np.random.default_rng(seed)
    st = pd.DataFrame(
        {
            "region": rng.choice(["r1", "r2", "r3"], n),
            "settlement_type": rng.choice(["city", "village"], n),
        }
    )
    true = pd.DataFrame(rng.integers(50, 800, size=(n, 3)).astype(float), columns=["a", "b", "c"])
    a = np.array([0.4, 0.01, 0.05])
    b = {"city": 1.2, "village": 0.5}
    region = {"r1": 1.0, "r2": 0.8, "r3": 1.1}
    rate = (
        a[None, :] * (st["settlement_type"].map(b) * st["region"].map(region)).to_numpy()[:, None]
    )
    evidence = true * rate
    clean = rng.random(n) < 0.3
    official = true.copy()
    official[~clean] = 0.5 * true[~clean]  # unclean protocols are wrong: must not matter
    official.loc[rng.random(n) < 0.3, :] = np.nan  # and often unknown
    official[clean] = true[clean]
    return st, true, evidence, official, clean


def test_exact_evidence_gives_the_truth_with_a_tight_interval():
    st, true, evidence, official, clean = exact_election()
    levels = stratum_labels(st, ["region", "settlement_type"])
    res = ratio_estimate(official, evidence, clean, levels, groups=st["region"], n_boot=200)
    assert res.votes == pytest.approx(true.sum().to_numpy(), rel=1e-3)
    shares = true.sum() / true.sum().sum()
    assert res.shares == pytest.approx(shares.to_numpy(), rel=1e-3)
    assert (res.share_ci[:, 1] - res.share_ci[:, 0] < 1e-3).all()
    assert res.ballots == pytest.approx(true.to_numpy().sum(), rel=1e-3)
    assert res.n_clean == clean.sum()
    by = res.by_group.groupby("option")["votes"].sum().reindex(res.options)
    assert by.to_numpy() == pytest.approx(res.votes)
    r1 = res.by_group[res.by_group["group"] == "r1"].set_index("option")["votes"]
    assert r1.to_numpy() == pytest.approx(true[st["region"] == "r1"].sum().to_numpy(), rel=1e-3)


def test_noisy_evidence_interval_covers_and_is_reproducible():
    st, true, evidence, official, clean = exact_election(n=1500, seed=1)
    rng = np.random.default_rng(5)
    noisy = pd.DataFrame(rng.poisson(evidence.to_numpy()), columns=evidence.columns).astype(float)
    levels = stratum_labels(st, ["region", "settlement_type"])
    res = ratio_estimate(official, noisy, clean, levels, n_boot=300, seed=3)
    again = ratio_estimate(official, noisy, clean, levels, n_boot=300, seed=3)
    assert np.array_equal(res.share_ci, again.share_ci)
    shares = (true.sum() / true.sum().sum()).to_numpy()
    assert ((res.share_ci[:, 0] <= res.shares) & (res.shares <= res.share_ci[:, 1])).all()
    # a single draw: each truth within two interval widths of the estimate
    width = res.share_ci[:, 1] - res.share_ci[:, 0]
    assert (np.abs(res.shares - shares) < 2 * width).all()


def test_missing_evidence_is_filled_from_the_stratum():
    st, true, evidence, official, clean = exact_election(n=600, seed=2)
    ev = evidence.copy()
    gone = (~clean) & (np.arange(len(ev)) % 10 == 0)
    ev[gone] = np.nan
    levels = stratum_labels(st, ["region", "settlement_type"])
    res = ratio_estimate(official, ev, clean, levels, n_boot=0)
    assert np.isnan(res.share_ci).all()
    assert res.votes == pytest.approx(true.sum().to_numpy(), rel=0.05)


def test_strata_must_nest():
    st, _, evidence, official, clean = exact_election(n=50)
    bad = [np.array(["x", "y"] * 25, dtype=object), np.arange(50) % 3]
    with pytest.raises(ValueError, match="nest"):
        ratio_estimate(official, evidence, clean, bad, n_boot=0)
