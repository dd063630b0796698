"""The battery on the Russian presidential election of 2018 (97,699 stations)."""

from __future__ import annotations

import json

import pytest

from honestcount.forensics import run_battery
from honestcount.forensics.common import station_arrays
from honestcount.forensics.integer_peaks import integer_peaks
from honestcount.forensics.shpilkin import shpilkin

from .conftest import PUTIN


def test_leader_and_integer_peaks(russia_2018):
    assert len(russia_2018) == 97_699
    assert russia_2018.leader() == PUTIN
    a = station_arrays(russia_2018, PUTIN)
    r = integer_peaks(a.registered, a.ballots, a.leader)
    # Kobak et al. report a large excess of integer percentages in every election since 2004
    for part in (r.turnout, r.result, r.either):
        assert part.excess > 5 * part.sd and part.p_value < 1e-10
    assert 85_000 < r.either.stations < a.ballots.size


def test_shpilkin_near_published_estimate(russia_2018):
    a = station_arrays(russia_2018, PUTIN)
    r = shpilkin(a.registered, a.ballots, a.leader, a.others)
    # Shpilkin's published estimate for 2018: about 10 million (9.947 M) anomalous votes
    assert 8e6 < r.anomalous_votes < 12e6
    assert 0.55 < r.core_turnout < 0.70 and r.core_warning is None
    assert r.official_share == pytest.approx(0.767, abs=0.005)
    assert r.corrected_share < r.official_share and r.corrected_turnout < r.official_turnout


@pytest.mark.slow
def test_full_battery(russia_2018, tmp_path):
    out = run_battery(russia_2018, plots_dir=tmp_path)
    json.dumps(out, allow_nan=False)
    assert all("error" not in t for t in out["tests"].values())
    regions = out["tests"]["integer_peaks"]["regions"]
    assert sum(r["q_value"] < 0.01 for r in regions) >= 5
    assert out["tests"]["spatial"]["turnout"]["neighbours"] == "district"
