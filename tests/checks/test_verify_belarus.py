"""Verification of the bundled Belarus data, counted independently from the raw CSV."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from honestcount.cli import app
from honestcount.sources.golos import OPTIONS, bundled_belarus_dir

runner = CliRunner()
BALLOT = [(prefix, oid) for prefix, oid, _, kind in OPTIONS if kind != "abstention"]


def independent_counts() -> dict:
    """The rule applied by hand to voice.csv, with csv and ints only."""
    with open(bundled_belarus_dir() / "voice.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    proven, declared_only, consistent, by_option, excess = 0, 0, 0, {}, {}
    for row in rows:
        photo_over, declared_over, known = False, False, False
        for prefix, oid in BALLOT:
            official = row[f"{prefix}_officialVotes"]
            if official == "":
                continue
            known = True
            diff = int(row[f"{prefix}_photoVoices"]) - int(official)
            if diff > 0:
                photo_over = True
                by_option[oid] = by_option.get(oid, 0) + 1
                excess[oid] = excess.get(oid, 0) + diff
            if int(row[f"{prefix}_registered"]) > int(official):
                declared_over = True
        if photo_over:
            proven += 1
        elif declared_over:
            declared_only += 1
        elif known:
            consistent += 1
    return {
        "proven": proven,
        "declared": declared_only,
        "consistent": consistent,
        "by_option": by_option,
        "excess": excess,
        "stations": 5767,
    }


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('v') / 'v.db'}"
    assert runner.invoke(app, ["--db", db, "import", "belarus-2020"]).exit_code == 0
    csv_path = tmp_path_factory.mktemp("csv") / "verdicts.csv"
    result = runner.invoke(
        app, ["--db", db, "verify", "-e", "belarus-2020", "--json", "--csv", str(csv_path)]
    )
    assert result.exit_code == 0, result.output
    return db, json.loads(result.stdout), csv_path


def test_verdict_counts_match_an_independent_count(verified):
    _, doc, _ = verified
    expected = independent_counts()
    assert doc["verdicts"]["falsification_proven"] == expected["proven"]
    assert doc["verdicts"]["declared_exceeds_official"] == expected["declared"]
    assert doc["verdicts"]["consistent"] == expected["consistent"]
    assert doc["verdicts"]["no_official_result"] == expected["stations"] - 1395
    assert sum(doc["verdicts"].values()) == 5767
    for oid, row in doc["proven_by_option"].items():
        assert row["photo"] == expected["by_option"].get(oid, 0)
        assert row["excess_votes"] == expected["excess"].get(oid, 0)


def test_json_keys_and_national_remainder(verified):
    _, doc, _ = verified
    for key in (
        "election",
        "stations",
        "stations_with_official_result",
        "verdicts",
        "proven_by_option",
        "check_failures",
        "national_remainder",
    ):
        assert key in doc
    assert doc["check_failures"] == {
        "options_sum_to_total": 80,
        "turnout_within_registered": 6,
        "no_negative_line": 3,
    }
    luk = doc["national_remainder"]["options"]["lukashenko"]
    assert luk["national"] == 4661075 and luk["remainder"] == 4661075 - luk["known_stations"]
    tsi = doc["national_remainder"]["options"]["tsikhanouskaya"]
    # the official total implies a remainder far less favourable to her than known stations
    assert tsi["share_in_remainder"] < tsi["share_in_known_stations"] / 5
    invalid = doc["national_remainder"]["options"]["invalid"]
    assert invalid["national"] == 67125  # ballots cast minus the announced options


def test_csv_has_one_row_per_station(verified):
    _, doc, path = verified
    table = pd.read_csv(path, dtype={"station_id": str}).set_index("station_id")
    assert len(table) == 5767
    assert (table["verdict"] == "falsification_proven").sum() == doc["verdicts"][
        "falsification_proven"
    ]
    proven = table[table["verdict"] == "falsification_proven"]
    assert (proven["proven_excess_votes"] > 0).all()
    row = table.loc["01-010-0001"]
    assert row["tsikhanouskaya_official"] == 701 and row["tsikhanouskaya_photo"] == 253


def test_verdicts_are_stored_and_recomputed_when_evidence_changes(verified, tmp_path):
    from honestcount.sources.golos import load_belarus_2020
    from honestcount.store.db import make_engine
    from honestcount.store.repository import save_election
    from honestcount.store.verdicts import load_station_verdicts, load_verification

    db, doc, _ = verified
    engine = make_engine(db)
    stored = load_verification(engine, "belarus-2020")
    assert stored["report"]["verdicts"] == doc["verdicts"]
    again = json.loads(
        runner.invoke(app, ["--db", db, "verify", "-e", "belarus-2020", "--json"]).stdout
    )
    assert again["computed_at"] == doc["computed_at"]  # read from the store
    verdicts = load_station_verdicts(engine, "belarus-2020")
    assert (verdicts["verdict"] == "falsification_proven").sum() == doc["verdicts"][
        "falsification_proven"
    ]

    data = load_belarus_2020()  # new evidence: one more photo than the protocol at a station
    sid = verdicts.index[verdicts["verdict"] == "consistent"][0]
    data.photo.loc[sid, "lukashenko"] = data.official.loc[sid, "lukashenko"] + 3
    save_election(engine, data)
    changed = json.loads(
        runner.invoke(app, ["--db", db, "verify", "-e", "belarus-2020", "--json"]).stdout
    )
    assert changed["computed_at"] != doc["computed_at"]
    assert (
        changed["verdicts"]["falsification_proven"] == doc["verdicts"]["falsification_proven"] + 1
    )
    assert changed["proven_by_option"]["lukashenko"]["excess_votes"] == 3
    engine.dispose()
