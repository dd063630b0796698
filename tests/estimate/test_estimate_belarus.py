"""The estimates on the real Belarus 2020 evidence (skipped without the shared data)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from honestcount.estimate import read_golos, run_estimate, select_clean


@pytest.fixture(scope="module")
def result(belarus):
    return run_estimate(belarus, n_boot=500, seed=0).as_dict()


def test_fixture_matches_the_package_reader(belarus, belarus_dir):
    other = read_golos(belarus_dir)
    for layer in ("official", "declared", "photo", "lines"):
        a, b = getattr(belarus, layer), getattr(other, layer)
        assert np.allclose(a.to_numpy(float), b[a.columns].to_numpy(float), equal_nan=True)


def test_counts_of_the_evidence(belarus):
    opts = belarus.ballot_option_ids
    assert len(belarus) == 5767
    sel = select_clean(belarus.official[opts], belarus.photo[opts], belarus.declared[opts])
    counts = sel.counts()
    assert counts["with_protocol"] == 1395
    assert counts["proven_falsified"] == 445
    assert 700 < counts["clean"] < 950


def test_belarus_estimates(result):
    json.dumps(result, allow_nan=False)
    off = result["official"]
    assert off["tsikhanouskaya"]["share"] == pytest.approx(0.1012, abs=1e-4)
    assert off["invalid"]["votes"] == 67125
    lb = result["lower_bounds"]
    # photos and protocols alone already beat the official share of the challenger
    assert lb["tsikhanouskaya"]["share"] > off["tsikhanouskaya"]["share"]
    assert lb["tsikhanouskaya"]["photo_votes"] > 500_000
    est = {(e["method"], e["option"]): e for e in result["estimates"]}
    for method in ("ratio", "ratio_photo"):
        t, lk = est[method, "tsikhanouskaya"], est[method, "lukashenko"]
        assert t["ci_low"] > 2 * off["tsikhanouskaya"]["share"]
        assert lk["ci_high"] < off["lukashenko"]["share"] - 0.1
        assert t["ci_low"] > lb["tsikhanouskaya"]["share"]
    assert sum(1 for e in result["estimates"] if e["method"] == "ratio") == 7
    assert {r["region"] for r in result["by_region"]} >= {"Brest", "Minsk city"}
