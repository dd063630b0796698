"""The estimation commands end to end: simulate -> import golos -> verify -> estimate, pvt draw."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from honestcount.cli import app

runner = CliRunner()


def invoke(*args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def simulated_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    db = f"sqlite:///{folder / 'sim.db'}"
    # no falsification: the clean stations are honest, as the ratio method assumes
    invoke(
        "simulate",
        "--out",
        str(folder / "election"),
        "--seed",
        "5",
        "--stations",
        "1500",
        "--falsified-share",
        "0",
        "--json",
    )
    truth = json.loads((folder / "election" / "truth.json").read_text())
    imported = invoke(
        "--db",
        db,
        "import",
        "--format",
        "golos",
        str(folder / "election"),
        "--election",
        "sim-5",
        "--json",
    )
    assert imported["stations"] == 1500
    return db, truth


def test_estimate_json_on_a_simulated_election(simulated_db):
    db, truth = simulated_db
    doc = invoke("--db", db, "estimate", "-e", "sim-5", "--n-boot", "300", "--json")
    assert doc["election"] == "sim-5"
    assert set(doc["lower_bounds"]) >= {"tsikhanouskaya", "lukashenko"}
    assert {"votes", "share"} <= set(doc["lower_bounds"]["lukashenko"])
    first = {}
    for row in doc["estimates"]:
        assert {"method", "option", "share", "ci_low", "ci_high", "votes"} <= set(row)
        first.setdefault(row["option"], row["method"])
    assert set(first.values()) == {"mixture"}  # the recommended method comes first
    assert isinstance(doc["warnings"], list) and "honest_stations" in doc
    assert doc["assumptions"] and doc["stations_used"]
    true_share = truth["national"]["shares"]["tsikhanouskaya"]
    ratio = next(
        r for r in doc["estimates"] if r["option"] == "tsikhanouskaya" and r["method"] == "ratio"
    )
    # one election, so a loose check; coverage over 200 elections is the slow validation's job
    assert abs(ratio["share"] - true_share) < 2 * (ratio["ci_high"] - ratio["ci_low"])


def test_pvt_draw_is_reproducible(simulated_db):
    db, _ = simulated_db
    a = invoke("--db", db, "pvt", "draw", "-e", "sim-5", "--n", "120", "--seed", "7", "--json")
    b = invoke("--db", db, "pvt", "draw", "-e", "sim-5", "--n", "120", "--seed", "7", "--json")
    c = invoke("--db", db, "pvt", "draw", "-e", "sim-5", "--n", "120", "--seed", "8", "--json")
    assert a["stations"] == b["stations"] and a["stations"] != c["stations"]
    assert len(set(a["stations"])) == 120
    result = runner.invoke(app, ["--db", db, "pvt", "draw", "-e", "sim-5", "--strata", "nope"])
    assert result.exit_code == 2 and "unknown strata column(s) ['nope']" in result.output
