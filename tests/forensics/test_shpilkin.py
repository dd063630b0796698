from __future__ import annotations

import numpy as np
import pytest

from honestcount.forensics.common import CannotRun, station_arrays
from honestcount.forensics.shpilkin import CORES, SENSITIVITY_BINS, find_core, shpilkin
from honestcount.forensics.simulate import simulate_election

# honest turnout spread small enough for a clean core, stuffing that leaves it
CORE_PARAMS = {"region_sd": 0.15, "station_sd": 0.2, "stuffing_intensity": (0.4, 0.9)}


def _run(sim, **kw):
    a = station_arrays(sim.data, "leader")
    return shpilkin(a.registered, a.ballots, a.leader, a.others, **kw)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_recovers_stuffed_volume_within_15_percent(seed):
    sim = simulate_election(20_000, seed=seed, stuffing=0.2, **CORE_PARAMS)
    r = _run(sim)
    truth = sim.truth.stuffed_votes
    assert truth > 0
    assert r.anomalous_votes == pytest.approx(truth, rel=0.15)
    # corrected figures move back towards the clean election's
    clean_share = sim.truth.clean_leader_votes / sim.truth.clean_ballots
    assert abs(r.corrected_share - clean_share) < 0.25 * abs(r.official_share - clean_share)
    assert r.corrected_turnout < r.official_turnout


def test_clean_election_has_few_anomalous_votes():
    for seed in range(3):
        sim = simulate_election(20_000, seed=seed, **CORE_PARAMS)
        r = _run(sim)
        assert r.anomalous_votes < 0.01 * sim.truth.clean_leader_votes
        assert r.core_low < r.core_turnout < r.core_high


def test_core_is_first_peak_not_global_mode():
    sim = simulate_election(
        20_000, seed=4, stuffing=0.3, stuffing_intensity=(0.85, 1.0), region_sd=0.15, station_sd=0.2
    )
    a = station_arrays(sim.data, "leader")
    turnout = a.ballots / a.registered
    core, edges, _, smoothed = find_core(turnout, a.ballots)
    global_mode = edges[np.argmax(smoothed)]
    assert global_mode > 0.85  # the stuffed stations pile up into the highest mode ...
    assert 0.45 < core.peak < 0.65  # ... but the clean core is the first peak
    r = _run(sim)
    assert r.anomalous_votes == pytest.approx(sim.truth.stuffed_votes, rel=0.15)


def test_vote_transfer_is_invisible_to_the_method():
    sim = simulate_election(20_000, seed=5, transfer=0.3, transfer_fraction=0.3, **CORE_PARAMS)
    assert sim.truth.transferred_votes > 0
    r = _run(sim)
    assert r.anomalous_votes < 0.1 * sim.truth.transferred_votes


def test_warns_when_there_is_no_clean_core():
    # turnout rising steadily to 100 %: the first clear peak sits at high turnout
    rng = np.random.default_rng(0)
    n = 20_000
    reg = rng.integers(500, 3000, n).astype(float)
    turnout = np.sqrt(rng.uniform(0.09, 1.0, n))  # density increasing with turnout
    bal = np.round(reg * turnout)
    lead = np.round(bal * rng.uniform(0.6, 0.9, n))
    r = shpilkin(reg, bal, lead)
    assert r.core_warning is not None and "no clear clean core" in r.core_warning
    clean = _run(simulate_election(20_000, seed=1, **CORE_PARAMS))
    assert clean.core_warning is None


def test_sensitivity_table_and_core_definitions():
    sim = simulate_election(10_000, seed=6, stuffing=0.2, **CORE_PARAMS)
    r = _run(sim)
    assert len(r.sensitivity) == len(SENSITIVITY_BINS) * len(CORES)
    main = [s for s in r.sensitivity if s.bin_width == r.bin_width and s.core == r.core]
    assert len(main) == 1 and main[0].anomalous_votes == pytest.approx(r.anomalous_votes)
    for s in r.sensitivity:
        assert s.core_low <= s.core_turnout <= s.core_high + 1e-12
        assert s.anomalous_votes == pytest.approx(sim.truth.stuffed_votes, rel=0.3)
    left = [s for s in r.sensitivity if s.core == "left"]
    assert all(s.core_low == 0.0 for s in left)
    assert r.weight_hist.sum() == pytest.approx(station_arrays(sim.data, "leader").ballots.sum())


def test_skipped_without_registered_voters():
    sim = simulate_election(500, seed=1, registered_known=False)
    with pytest.raises(CannotRun, match="registered"):
        _run(sim)


def test_invalid_arguments():
    sim = simulate_election(500, seed=1)
    with pytest.raises(ValueError):
        _run(sim, core="mode")
    with pytest.raises(ValueError):
        _run(sim, weight="population")
