"""PVT: the stratified ratio estimator against a hand computation, and the sample draw."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from honestcount.estimate import allocate, collapse_strata, draw_sample, pvt_estimate


def test_pvt_matches_a_hand_computation():
    # stratum A: N = 10 stations, 2 sampled; stratum B: N = 4, 2 sampled
    ballots = [100.0, 200.0, 50.0, 150.0]
    yes = [60.0, 80.0, 10.0, 90.0]
    strata = ["A", "A", "B", "B"]
    votes = pd.DataFrame({"yes": yes, "no": [b - y for b, y in zip(ballots, yes, strict=True)]})
    res = pvt_estimate(votes, strata, {"A": 10, "B": 4})

    y_hat = 10 * (60 + 80) / 2 + 4 * (10 + 90) / 2  # 900
    x_hat = 10 * (100 + 200) / 2 + 4 * (50 + 150) / 2  # 1900
    r = y_hat / x_hat
    var = 0.0
    for big_n, rows in ((10, [(60, 100), (80, 200)]), (4, [(10, 50), (90, 150)])):
        z = [(y - r * x) / x_hat for y, x in rows]
        zbar = sum(z) / 2
        s2 = sum((zi - zbar) ** 2 for zi in z) / (2 - 1)
        var += big_n**2 * (1 - 2 / big_n) * s2 / 2
    se = math.sqrt(var)

    assert res.shares[0] == pytest.approx(r)
    assert res.shares.sum() == pytest.approx(1.0)
    assert res.se[0] == pytest.approx(se)
    assert res.se[1] == pytest.approx(se)  # two options: same residuals up to sign
    assert res.moe[0] == pytest.approx(1.959964 * se, rel=1e-6)
    assert res.ci[0].tolist() == pytest.approx([r - res.moe[0], r + res.moe[0]])
    assert res.votes[0] == pytest.approx(900.0)
    assert res.ballots == pytest.approx(1900.0)
    assert r == pytest.approx(0.4736842105)
    assert se == pytest.approx(0.068845, rel=1e-5)  # sqrt(17110.2 / 1900**2)


def test_pvt_census_has_no_sampling_error():
    votes = pd.DataFrame({"a": [10.0, 20.0, 30.0], "b": [5.0, 5.0, 0.0]})
    res = pvt_estimate(votes, ["x", "x", "x"], {"x": 3})
    assert res.se.tolist() == pytest.approx([0.0, 0.0])
    assert res.shares[0] == pytest.approx(60 / 70)


def test_pvt_rejects_strata_outside_the_population():
    votes = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ValueError):
        pvt_estimate(votes, ["x", "y"], {"x": 5})


def stations(n=500):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "region": rng.choice(["1", "2", "3"], n, p=[0.5, 0.3, 0.2]),
            "settlement_type": rng.choice(["city", "village"], n),
        },
        index=pd.Index([f"st{i:04d}" for i in range(n)], name="station_id"),
    )


def test_draw_sample_is_reproducible_and_proportional():
    st = stations()
    a = draw_sample(st, 60, ["region", "settlement_type"], seed=7)
    b = draw_sample(st, 60, ["region", "settlement_type"], seed=7)
    c = draw_sample(st, 60, ["region", "settlement_type"], seed=8)
    assert a.index.equals(b.index)
    assert not a.index.equals(c.index)
    assert len(a) == 60 and a.index.is_unique
    assert list(a.columns) == list(st.columns)
    sizes = st.groupby(["region", "settlement_type"]).size()
    got = a.groupby(["region", "settlement_type"]).size().reindex(sizes.index, fill_value=0)
    expected = sizes * 60 / sizes.sum()
    assert ((got - expected).abs() < 1).all()


def test_allocate_largest_remainder():
    alloc = allocate(pd.Series({"a": 5, "b": 3, "c": 2}), 5)
    assert alloc.to_dict() == {"a": 3, "b": 1, "c": 1}  # 2.5, 1.5, 1.0 -> ties by order
    with pytest.raises(ValueError):
        allocate(pd.Series({"a": 2}), 3)


def test_collapse_strata_merges_thin_strata_into_their_parent():
    fine = np.array(["1|c", "1|c", "1|v", "2|v", "2|v", "2|v", "3|e"], dtype=object)
    coarse = np.array(["c", "c", "v", "v", "v", "v", "e"], dtype=object)
    sample = np.array([True, True, True, True, False, True, False])
    labels = collapse_strata([fine, coarse], sample, min_n=2)
    assert labels[0] == "1|c" and labels[3] == "2|v"
    assert labels[2] == "~"  # 1|v thin -> v|~ (1 sampled) -> national residual
    assert labels[6] == "~"
