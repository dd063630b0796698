"""The command line, in-process: import, listings, JSON documents and CSV exports."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from honestcount.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    result = runner.invoke(app, ["--db", url, "import", "belarus-2020", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stations"] == 5767 and report["stations_with_official_result"] == 1395
    return url


def invoke_json(*args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stations_json_lists_every_station_with_its_evidence(db):
    doc = invoke_json("--db", db, "stations", "--election", "belarus-2020", "--json")
    assert doc["count"] == len(doc["stations"]) == 5767
    assert sum(s["photo_confirmed"] is not None for s in doc["stations"]) == 5709
    assert sum(s["official"] is not None for s in doc["stations"]) == 1395
    station = next(s for s in doc["stations"] if s["id"] == "01-010-0001")
    assert station["official"]["tsikhanouskaya"] == 701
    assert station["official"]["not_voting"] is None
    assert station["official_source"] == "photographed_protocol"
    assert station["settlement_type"] == "city" and station["registered_voters"] == 1656


def test_filters(db):
    doc = invoke_json(
        "--db",
        db,
        "stations",
        "-e",
        "belarus-2020",
        "--region",
        "Minsk city",
        "--official",
        "--json",
    )
    assert doc["count"] > 0
    assert all(s["region"] == "Minsk city" and s["official"] for s in doc["stations"])
    doc = invoke_json(
        "--db", db, "stations", "-e", "belarus-2020", "--search", "Brest", "--limit", "7", "--json"
    )
    assert doc["count"] == 7 and all(s["town"] == "Brest" for s in doc["stations"])


def test_csv_export(db, tmp_path):
    out = tmp_path / "stations.csv"
    result = runner.invoke(app, ["--db", db, "stations", "-e", "belarus-2020", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype={"station_id": str})
    assert len(table) == 5767
    assert table["official_tsikhanouskaya"].notna().sum() == 1395
    assert table.loc[table["station_id"] == "01-010-0001", "photo_tsikhanouskaya"].item() == 253


def test_elections_summary_and_findings(db):
    listing = invoke_json("--db", db, "elections", "--json")["elections"]
    assert [e["id"] for e in listing] == ["belarus-2020"]
    summary = invoke_json("--db", db, "summary", "-e", "belarus-2020", "--json")
    assert summary["data_quality"] == {
        "turnout_within_registered": 6,
        "no_negative_line": 3,
        "options_sum_to_total": 152,
    }
    found = invoke_json(
        "--db", db, "findings", "-e", "belarus-2020", "--rule", "no_negative_line", "--json"
    )
    assert found["count"] == 3


def test_db_from_environment(db, monkeypatch):
    monkeypatch.setenv("HONESTCOUNT_DB", db)
    assert invoke_json("elections", "--json")["elections"][0]["stations"] == 5767
