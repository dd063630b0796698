"""The forensics package speaks the shared result vocabulary and imports cheaply."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from honestcount.forensics import mixture, run_battery
from honestcount.forensics.battery import TESTS, run_integer_peaks
from honestcount.forensics.common import CannotRun
from honestcount.forensics.entries import IntegerPeaksEntry
from honestcount.forensics.simulate import simulate_election
from honestcount.results import Estimate, Skipped, z_value


@pytest.fixture(scope="module")
def sim():
    return simulate_election(2000, seed=31, stuffing=0.1)


def test_importing_the_battery_loads_no_heavy_module():
    heavy = ("scipy.stats", "scipy.signal", "scipy.ndimage", "matplotlib", "pandas")
    code = (
        "import sys, honestcount.forensics.battery\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_entries_are_typed_and_their_json_is_the_battery_document(sim):
    entry = run_integer_peaks(sim.data, "leader")
    assert isinstance(entry, IntegerPeaksEntry)
    with pytest.raises(AttributeError):  # frozen
        entry.basis = "result"  # type: ignore[misc]
    doc = run_battery(sim.data, tests=["integer_peaks"])["tests"]["integer_peaks"]
    assert entry.as_dict() == doc
    assert doc["observed"] == entry.top.observed and doc["basis"] == "either"


def test_cannot_run_becomes_the_one_skip_result():
    sim = simulate_election(500, seed=2, registered_known=False)
    with pytest.raises(CannotRun) as info:
        TESTS["shpilkin"](sim.data, "leader")
    assert info.value.skipped == Skipped(info.value.reason)
    doc = run_battery(sim.data, tests=["shpilkin"])["tests"]["shpilkin"]
    assert doc == Skipped(info.value.reason).as_dict()


def test_confidence_level_reaches_the_bootstrap_intervals(sim):
    widths = {}
    for level in (0.8, 0.99):
        doc = run_battery(sim.data, tests=["digits"], level=level)["tests"]["digits"]
        json.dumps(doc, allow_nan=False)
        boot = doc["bootstrap"]
        assert boot["level"] == level
        est = boot["national"]["stats"]["second_digit_mean"]
        assert est["level"] == level and est["ci_low"] <= est["estimate"] <= est["ci_high"]
        widths[level] = est["ci_high"] - est["ci_low"]
    assert widths[0.8] < widths[0.99]


def test_mixture_wald_intervals_follow_the_level():
    s = mixture.simulate_mixture(1000, pi=(0.8, 0.15, 0.05), seed=3)
    fits = {
        level: mixture.fit_mixture(s.registered, s.ballots_cast, s.valid, s.leader, level=level)
        for level in (0.9, 0.95)
    }
    for level, fit in fits.items():
        pi = fit.pi["no_fraud"]
        assert isinstance(pi, Estimate) and pi.level == level
        assert fit.summary()["pi"]["no_fraud"]["level"] == level
    # same fit, intervals scaled by the normal quantile (unless clipped at 0 or 1)
    a, b = fits[0.9].stolen_votes, fits[0.95].stolen_votes
    assert a.estimate == pytest.approx(b.estimate) and a.se == pytest.approx(b.se)
    ratio = (a.ci_high - a.estimate) / (b.ci_high - b.estimate)
    assert ratio == pytest.approx(z_value(0.9) / z_value(0.95), rel=1e-9)
    assert np.isclose(z_value(0.95), 1.959964, atol=1e-6)
