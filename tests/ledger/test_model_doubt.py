"""The guard against a trained linkage model that has learnt something other than "the same
person" (expectation maximisation settling on people of one city and year): it is detected,
and each pair then takes the higher of its and the bundled model's probabilities."""

from __future__ import annotations

import json

import pytest

from honestcount.ledger import linkage
from honestcount.ledger.validation import read_lists, write_lists


def _bundled() -> dict:
    return json.loads(linkage.BUNDLED_MODEL.read_text())


def _wrong_class(model: dict, disagree: float = 0.63) -> dict:
    """``model`` with the surname and the given name disagreeing in ``disagree`` of true
    pairs (as a model trained on the harsh mix came out), other levels scaled down."""
    model = json.loads(json.dumps(model))
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in ("surname", "given"):
            continue
        levels = [lv for lv in comparison["comparison_levels"] if lv.get("m_probability")]
        rest = sum(lv["m_probability"] for lv in levels[:-1])
        for lv in levels[:-1]:
            lv["m_probability"] *= (1 - disagree) / rest
        levels[-1]["m_probability"] = disagree
    return model


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    out = tmp_path_factory.mktemp("doubt")
    write_lists("realistic", 3, 1_500, out)
    return read_lists(out)[0]


def test_an_honest_model_is_not_doubted():
    assert linkage.implausible(_bundled()) is None
    assert linkage.implausible(_wrong_class(_bundled(), 0.2)) is None


def test_a_model_of_the_wrong_class_is_doubted():
    why = linkage.implausible(_wrong_class(_bundled()))
    assert why is not None and "surname" in why and "given" in why


def test_a_doubted_model_is_combined_with_the_bundled_one(frame, monkeypatch):
    bundled = linkage.score(frame, train=False, threshold=0.2).pairs
    monkeypatch.setattr(linkage, "_trained", lambda table, seed: _wrong_class(_bundled()))
    scored = linkage.score(frame, train=True, threshold=0.2)
    assert scored.trained
    assert scored.used()["used"] == "trained+bundled"
    assert "surname" in scored.used()["why"]
    # every pair the bundled model finds plausible is kept, at least as likely as it said
    both = bundled.merge(scored.pairs, on=["id_l", "id_r"], how="left", suffixes=("_b", ""))
    assert both["probability"].notna().all()
    assert (both["probability"] >= both["probability_b"] - 1e-9).all()
    # and the range's low end merges at least as much as under either model alone
    alone = linkage.score(frame, model=_wrong_class(_bundled()), train=False, threshold=0.2)
    low = {
        name: linkage.clusters(frame["unique_id"], pairs, linkage.REVIEW_LOW).nunique()
        for name, pairs in (("both", scored.pairs), ("bundled", bundled), ("wrong", alone.pairs))
    }
    assert low["both"] <= min(low["bundled"], low["wrong"])
    assert low["both"] < low["wrong"]


def test_a_plausible_trained_model_is_used_alone(frame, monkeypatch):
    monkeypatch.setattr(linkage, "_trained", lambda table, seed: _bundled())
    scored = linkage.score(frame, train=True, threshold=0.2)
    assert scored.doubt is None
    assert scored.used()["used"] == "trained"
