"""Property-based tests of the verdict rule (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from honestcount.checks.verdicts import (
    CONSISTENT,
    FALSIFICATION_PROVEN,
    NO_OFFICIAL_RESULT,
    Thresholds,
    station_verdicts,
)

count = st.one_of(st.just(np.nan), st.integers(0, 5000).map(float))


@st.composite
def evidence(draw):
    n = draw(st.integers(1, 25))
    k = draw(st.integers(1, 7))
    layers = [draw(hnp.arrays(float, (n, k), elements=count)) for _ in range(3)]
    voters = draw(hnp.arrays(float, n, elements=count))
    observed = draw(hnp.arrays(float, n, elements=count))
    th = Thresholds(
        draw(st.integers(1, 20)),
        draw(st.integers(1, 20)),
        draw(st.floats(0, 0.5)),
        draw(st.integers(0, 50)),
    )
    return (*layers, voters, observed, th)


@settings(max_examples=300, deadline=None)
@given(evidence())
def test_never_proven_unless_photos_exceed_the_official_count(case):
    official, photo, declared, voters, observed, th = case
    r = station_verdicts(official, photo, declared, voters, observed, th)
    proven = r.option_verdicts == FALSIFICATION_PROVEN
    with np.errstate(invalid="ignore"):
        exceeds = photo - official >= th.min_photo_excess
    assert not (proven & ~exceeds).any()
    assert (proven == exceeds).all()  # and always proven when they do
    assert (r.verdict == FALSIFICATION_PROVEN).sum() == proven.any(axis=1).sum()
    assert (r.proven_excess >= 0).all()
    np.testing.assert_array_equal(r.proven_excess, np.where(proven, photo - official, 0).sum(1))


@settings(max_examples=200, deadline=None)
@given(evidence(), st.randoms(use_true_random=False))
def test_symmetric_over_options(case, rnd):
    official, photo, declared, voters, observed, th = case
    order = list(range(official.shape[1]))
    rnd.shuffle(order)
    a = station_verdicts(official, photo, declared, voters, observed, th)
    b = station_verdicts(
        official[:, order], photo[:, order], declared[:, order], voters, observed, th
    )
    np.testing.assert_array_equal(a.verdict, b.verdict)
    np.testing.assert_array_equal(a.option_verdicts[:, order], b.option_verdicts)
    np.testing.assert_array_equal(a.proven_excess, b.proven_excess)


@settings(max_examples=200, deadline=None)
@given(evidence())
def test_unknown_is_unknown(case):
    official, photo, declared, voters, observed, th = case
    r = station_verdicts(official, photo, declared, voters, observed, th)
    # an option whose official count is unknown is never proven, whatever the evidence says
    assert (r.option_verdicts[np.isnan(official)] == NO_OFFICIAL_RESULT).all()
    # unknown evidence proves nothing: with no evidence at all, nothing is contradicted
    blank = np.full_like(photo, np.nan)
    r2 = station_verdicts(official, blank, blank, voters, np.full_like(voters, np.nan), th)
    assert not np.isin(r2.verdict, [FALSIFICATION_PROVEN, CONSISTENT]).any()
    # learning more evidence can only keep or strengthen a proof, never remove it
    more = np.where(np.isnan(photo), 0.0, photo)
    r3 = station_verdicts(official, more, declared, voters, observed, th)
    assert not ((r.verdict == FALSIFICATION_PROVEN) & (r3.verdict != FALSIFICATION_PROVEN)).any()


def test_turnout_inflation_needs_both_counts_and_tolerance():
    official = np.array([[100.0], [100.0], [100.0], [100.0]])
    photo = declared = np.array([[10.0], [10.0], [10.0], [10.0]])
    voters = np.array([1000, 1000, 1000, np.nan])
    observed = np.array([800, 960, np.nan, 500])
    r = station_verdicts(official, photo, declared, voters, observed)
    assert list(r.verdict) == ["turnout_inflation_proven", CONSISTENT, CONSISTENT, CONSISTENT]
    assert r.turnout_excess[0] == 200
