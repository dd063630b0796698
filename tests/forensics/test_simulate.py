from __future__ import annotations

import numpy as np

from honestcount.forensics.simulate import simulate_election
from honestcount.model import STATION_COLUMNS


def test_protocols_are_consistent_and_truth_adds_up():
    sim = simulate_election(4000, seed=1, stuffing=0.1, transfer=0.05, rounding=0.03)
    d, t = sim.data, sim.truth
    assert list(d.stations.columns) == list(STATION_COLUMNS)
    assert d.stations.index.equals(d.lines.index) and d.official.index.equals(d.lines.index)
    lines = d.lines
    np.testing.assert_array_equal(lines.valid + lines.invalid, lines.ballots_cast)
    np.testing.assert_array_equal(d.official.sum(axis=1), lines.valid)
    assert (lines.ballots_cast <= d.stations.registered_voters).all()
    assert (d.official >= 0).all().all()
    assert d.leader() == "leader" and d.choice_option_ids[0] == "leader"
    gained = d.official["leader"].sum() - t.clean_leader_votes
    assert gained == (
        t.stuffed_votes + t.transferred_votes + t.rounded_extra_votes + t.rounded_moved_votes
    )
    assert lines.ballots_cast.sum() - t.clean_ballots == t.stuffed_votes + t.rounded_extra_votes
    assert 0.05 < t.stuffed.mean() < 0.2 and t.rounded.sum() > 50


def test_heterogeneity_and_options():
    sim = simulate_election(5000, n_regions=12, seed=2)
    st = sim.data.stations
    turnout = sim.data.lines.ballots_cast / st.registered_voters
    by_region = turnout.groupby(st.region).mean()
    assert by_region.size == 12 and by_region.std() > 0.02
    assert st.registered_voters.min() < 300 < 1500 < st.registered_voters.max()
    assert st[["latitude", "longitude"]].notna().all().all()
    blind = simulate_election(500, seed=2, registered_known=False, coordinates=False)
    assert blind.data.stations.registered_voters.isna().all()
    assert blind.data.stations.latitude.isna().all()


def test_rounded_stations_report_whole_percents():
    sim = simulate_election(4000, seed=3, rounding=0.2)
    r = sim.truth.rounded
    st, lines = sim.data.stations, sim.data.lines
    big = r & (st.registered_voters.to_numpy() >= 1000)
    pct = 100 * lines.ballots_cast.to_numpy()[big] / st.registered_voters.to_numpy()[big]
    assert np.abs(pct - np.round(pct)).max() <= 0.05
