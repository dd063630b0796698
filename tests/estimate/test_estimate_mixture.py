"""The honest-count mixture, the honest stations, warnings, the confidence level and the plot."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from honestcount.estimate import (
    HONEST_THRESHOLD,
    fit_mixture,
    fit_ratio,
    plot_honest_mixture,
    run_estimate,
)
from honestcount.estimate.mixture import pooled_levels
from honestcount.estimate.simulate import regime_parameters, simulate


@pytest.fixture(scope="module")
def widespread():
    """Falsification at most stations, thefts of 40-95% of the challenger's votes."""
    return simulate(seed=21, n_stations=2500, **regime_parameters("large_thefts", 21))


@pytest.fixture(scope="module")
def report(widespread):
    return run_estimate(widespread.data, ["ratio", "mixture"], n_boot=60, seed=2)


def test_mixture_sees_through_widespread_falsification(widespread, report):
    truth = widespread.truth.national_shares["tsikhanouskaya"]
    mix = report.estimate("mixture", "tsikhanouskaya")
    ratio = report.estimate("ratio", "tsikhanouskaya")
    assert mix is not None and ratio is not None
    # the clean set is mostly falsified: the ratio estimate sits far below the truth
    assert ratio.interval.high < truth - 0.05
    assert abs(mix.share - truth) < 0.4 * abs(ratio.share - truth)
    assert mix.interval.low < mix.share < mix.interval.high


def test_p_honest_classifies_the_protocols(widespread, report):
    fit = report.mixture_fit
    assert fit is not None
    prot = widespread.truth.protocol.to_numpy()
    p = fit.p_honest.to_numpy()
    assert np.isnan(p[~prot]).all() and not np.isnan(p[prot]).any()
    honest = ~widespread.truth.falsified.to_numpy()[prot]
    assert ((p[prot] >= 0.5) == honest).mean() > 0.8
    assert honest[p[prot] >= HONEST_THRESHOLD].mean() > 0.85


def test_photo_proof_makes_a_station_falsified(widespread):
    data = widespread.data
    opts = list(data.ballot_option_ids)
    prot = data.official[opts].notna().any(axis=1)
    sid = data.official.index[prot.to_numpy()][0]
    photo = data.photo.copy()
    photo.loc[sid, "tsikhanouskaya"] = data.official.loc[sid, "tsikhanouskaya"] + 5
    fit = fit_mixture(dataclasses.replace(data, photo=photo), n_boot=0)
    assert fit.p_honest[sid] == 0.0


def test_document_has_warnings_honest_stations_and_mixture(report):
    doc = report.as_dict()
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert isinstance(doc["warnings"], list) and all(isinstance(w, str) for w in doc["warnings"])
    # ratio and mixture disagree here, and the document says so
    assert any("disagree" in w and "tsikhanouskaya" in w for w in doc["warnings"])
    honest = doc["honest_stations"]
    assert honest["threshold"] == HONEST_THRESHOLD and "not a random sample" in honest["caveat"]
    rows = honest["stations"]
    assert rows and all(r["p_honest"] >= HONEST_THRESHOLD for r in rows)
    assert honest["summary"]["stations"] == len(rows)
    assert honest["summary"]["challenger_won"] == sum(r["challenger_won"] for r in rows)
    first = rows[0]
    assert set(first["official"]) == set(doc["options"])
    share = first["official"]["tsikhanouskaya"] / sum(first["official"].values())
    assert first["challenger_share"] == pytest.approx(share)
    flat = pd.json_normalize(rows)  # what `--honest-stations FILE` writes
    assert {"station", "p_honest", "official.tsikhanouskaya", "challenger_won"} <= set(flat)
    mix = doc["mixture"]
    hist = mix["histogram"]
    assert len(hist["edges"]) == len(hist["counts"]) + 1
    assert sum(hist["counts"]) == mix["stations_classified"]
    assert len(hist["grid"]) == len(hist["honest"]) == len(hist["falsified"])
    assert {e["method"] for e in doc["estimates"]} == {"ratio", "mixture"}
    assert doc["stations_used"]["mixture"] > 0 and "mixture" in doc["assumptions"]


def test_without_mixture_the_honest_list_says_why(widespread):
    doc = run_estimate(widespread.data, ["pvt"]).as_dict()
    assert doc["mixture"] is None
    assert doc["honest_stations"]["skipped"] is True and doc["honest_stations"]["reason"]
    with pytest.raises(ValueError):
        plot_honest_mixture(doc, "unused.png")


def test_level_drives_every_interval(widespread):
    data = widespread.data
    wide = run_estimate(data, ["ratio", "pvt", "mixture"], n_boot=60, seed=3, level=0.95)
    narrow = run_estimate(data, ["ratio", "pvt", "mixture"], n_boot=60, seed=3, level=0.5)
    assert narrow.parameters.level == 0.5 and narrow.as_dict()["parameters"]["level"] == 0.5
    for e in wide.estimates:
        other = narrow.estimate(e.method, e.option)
        assert other is not None and other.interval.level == 0.5
        assert other.interval.width < e.interval.width
    assert (
        fit_ratio(data, n_boot=60, level=0.5).share_ci[0, 0]
        > fit_ratio(data, n_boot=60).share_ci[0, 0]
    )


def test_thin_evidence_is_said():
    sim = simulate(seed=4, n_stations=2500, **regime_parameters("thin", 4))
    rep = run_estimate(sim.data, ["ratio", "mixture"], n_boot=20)
    text = " ".join(rep.warnings)
    assert "Protocols are known at only" in text
    assert "have a single clean station" in text and "pooled" in text


def test_single_station_strata_are_pooled():
    fine = np.array(["a|x", "a|x", "b|x", "c|x", "d|y", "d|y"], dtype=object)
    parent = np.array(["x", "x", "x", "x", "y", "y"], dtype=object)
    sample = np.array([True, True, True, False, True, False])
    levels, pooled = pooled_levels([fine, parent], sample)
    assert pooled == ("b|x", "d|y")
    assert list(levels[0]) == ["a|x", "a|x", "~", "c|x", "~", "~"]
    assert list(levels[1]) == ["x", "x", "~", "x", "~", "~"]
    keep = np.array([0, 1, 4, 5])
    same, none = pooled_levels([fine[keep], parent[keep]], np.ones(4, dtype=bool))
    assert none == () and list(same[0]) == list(fine[keep])


def test_plot_from_the_stored_document(report, tmp_path):
    doc = report.as_dict()
    png = plot_honest_mixture(doc, tmp_path / "m.png", labels={"title": "Ofitsyyna / {challenger}"})
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert plot_honest_mixture(report, tmp_path / "r.png").stat().st_size > 1000
