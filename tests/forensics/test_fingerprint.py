from __future__ import annotations

import numpy as np
import pytest

from honestcount.forensics.common import CannotRun, station_arrays
from honestcount.forensics.fingerprint import coarsen, fingerprint
from honestcount.forensics.simulate import simulate_election


def _fp(sim, **kw):
    a = station_arrays(sim.data, "leader")
    return fingerprint(a.registered, a.ballots, a.leader, **kw), a


def test_histogram_holds_all_weight_in_the_right_cells():
    r, a = _fp(simulate_election(3000, seed=1), bins=50)
    assert r.counts.shape == (50, 50)
    assert r.counts.sum() == pytest.approx(a.ballots.sum())
    i = np.minimum((a.ballots / a.registered * 50).astype(int), 49)
    j = np.minimum((a.leader / a.ballots * 50).astype(int), 49)
    k = int(np.argmax(a.ballots))
    assert r.counts[i[k], j[k]] >= a.ballots[k]
    r2, _ = _fp(simulate_election(3000, seed=1), bins=50, weight="registered")
    assert r2.counts.sum() == pytest.approx(a.registered.sum())


def test_corner_share_separates_clean_and_extreme_stuffing():
    clean, _ = _fp(simulate_election(5000, seed=2, leader_mean=0.8), corner=0.85)
    assert clean.corner_share < 0.001
    # stuffing nearly all non-voters for the leader at about 40 % of stations
    sim = simulate_election(
        5000, seed=2, stuffing=0.4, stuffing_intensity=(0.97, 1.0), leader_mean=0.8
    )
    dirty, a = _fp(sim, corner=0.85)
    stuffed = sim.truth.stuffed
    assert dirty.corner_share > 0.5 * a.ballots[stuffed].sum() / a.ballots.sum()


def test_coarsen_and_skip():
    c = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(coarsen(c, 2), [[10, 18], [42, 50]])
    sim = simulate_election(300, seed=1, registered_known=False)
    with pytest.raises(CannotRun):
        _fp(sim)
