"""Linkage quality on synthetic lists with known identities (pairwise precision and recall:
a pair of records counts when both are put in one person)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from honestcount.ledger import synth
from honestcount.ledger.importer import parse_list
from honestcount.ledger.linkage import clusterings, feature_frame, pairwise_quality, score


@pytest.fixture(scope="module")
def features(small_lists):
    manifest = json.loads((small_lists / "manifest.json").read_text())
    truth = pd.read_csv(small_lists / "truth.csv")
    rows, who = [], {}
    for source, item in enumerate(manifest["lists"]):
        parsed = parse_list(
            small_lists / item["file"],
            kind=item["kind"],
            list_date=synth.LISTS[item["source"]].list_date,
        )
        people = truth[truth["list"] == item["source"]].set_index("row")["person"]
        for rec in parsed.records:
            uid = len(rows) + 1
            rows.append(rec.features(source, uid))
            who[uid] = people[rec.row_no]
    return feature_frame(rows), pd.Series(who)


@pytest.mark.parametrize("train", [False, True], ids=["bundled-model", "trained"])
def test_precision_and_recall(features, train):
    frame, truth = features
    assert len(frame) == 1_500  # every row read
    scored = score(frame, train=train)
    readings = clusterings(
        frame["unique_id"], scored.pairs, sources=frame.set_index("unique_id")["source"]
    )
    best = pairwise_quality(readings["best"], truth)
    assert best["precision"] >= 0.95, best
    assert best["recall"] >= 0.95, best
    # the readings bracket the truth: low merges most, high least
    counts = {k: v.nunique() for k, v in readings.items()}
    assert counts["low"] <= counts["best"] <= counts["high"]
    assert counts["low"] <= truth.nunique() <= counts["high"]


def test_one_person_per_list_keeps_namesakes_apart():
    ivan = {"surname": "ivanov", "surname_skel": "avnv", "given": "ivan", "patronymic": None}
    frame = feature_frame(
        [
            {"unique_id": 1, "source": 1, **ivan, "birth_year": 1990, "place": "Minsk"},
            {"unique_id": 2, "source": 1, **ivan, "birth_year": 1971, "place": "Minsk"},
            {"unique_id": 3, "source": 2, **ivan, "birth_year": None, "place": "Minsk"},
        ]
    )
    pairs = pd.DataFrame({"id_l": [1, 2, 1], "id_r": [3, 3, 2], "probability": [0.8, 0.7, 0.01]})
    readings = clusterings(
        frame["unique_id"], pairs, sources=frame.set_index("unique_id")["source"]
    )
    best = readings["best"]
    assert best[1] == best[3] != best[2]  # the stronger link wins; 2 stays apart
    assert readings["low"].nunique() == 1  # the low reading merges every plausible pair
    assert readings["high"].nunique() == 3


def test_initials_of_a_diminutive_are_compared_without_a_year():
    """A court schedule's "Романов Л." (Л. for Лёша) and a list's "Ramanau Aliaksei": no year
    on either, initials that differ as written: only the skeleton and the initial of another
    form of the name join them."""
    from honestcount.ledger.names import split_full_name

    cells = ["Романов Л.", "Ramanau Aliaksei", "Романов Сергей"]
    rows = []
    for uid, cell in enumerate(cells, start=1):
        p = split_full_name(cell)
        rows.append({"unique_id": uid, "source": uid, "surname": p.surname,
                     "surname_skel": p.surname_skeleton, "given": p.given or None,
                     "given_initial": p.given_initial, "patronymic": None, "birth_year": None,
                     "place": "Minsk", "detained_day": 737647})  # fmt: skip
    pairs = score(feature_frame(rows), train=False, threshold=0.0).pairs
    found = dict(
        zip(zip(pairs["id_l"], pairs["id_r"], strict=True), pairs["probability"], strict=True)
    )
    assert (1, 2) in found  # Л. may be Алексей (Лёша): compared, on the skeleton alone
    assert found[(1, 2)] > found.get((1, 3), 0.0)  # Л. is no form of Сергей
