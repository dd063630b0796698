"""Every analysis is a stored result: a command's run is what the pages read afterwards."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from honestcount import analyses
from honestcount.cli import app
from honestcount.headline import headline
from honestcount.sources import read_source
from honestcount.store.db import make_engine
from honestcount.store.repository import load_election, save_election

runner = CliRunner()


@pytest.fixture(scope="module")
def belarus(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('analyses') / 'hc.db'}"
    engine = make_engine(url)
    save_election(engine, read_source("belarus-2020", None, None))
    return url, engine


def test_estimate_command_stores_its_run_with_parameters(belarus):
    url, engine = belarus
    result = runner.invoke(
        app,
        [
            "--db",
            url,
            "estimate",
            "-e",
            "belarus-2020",
            "--threshold",
            "0.05",
            "--n-boot",
            "200",
            "--method",
            "ratio",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["stored"]["parameters"]["threshold"] == 0.05

    data = load_election(engine, "belarus-2020")
    shown = analyses.shown(engine, data, analyses.ESTIMATE)
    assert shown.parameters["threshold"] == 0.05
    assert shown.parameters["n_boot"] == 200
    assert shown.result["estimates"] == printed["estimates"]


def test_newest_run_wins_and_changed_evidence_is_not_shown(belarus):
    _, engine = belarus
    data = load_election(engine, "belarus-2020")
    first = analyses.run_estimate(
        engine, data, analyses.estimate_parameters(["pvt"], n_boot=50, threshold=0.1)
    )
    assert analyses.shown(engine, data, analyses.ESTIMATE).parameters == first.parameters

    # One more photo at one station: the stored run no longer describes this evidence.
    changed = load_election(engine, "belarus-2020")
    col = changed.photo.columns[0]
    changed.photo.iloc[0, changed.photo.columns.get_loc(col)] = (
        changed.photo[col].fillna(0).iloc[0] + 1
    )
    assert (
        analyses.latest(
            engine, "belarus-2020", analyses.ESTIMATE, analyses.evidence_digest(changed)
        )
        is None
    )


def test_forensics_stored_without_machine_paths(belarus, tmp_path):
    _, engine = belarus
    data = load_election(engine, "belarus-2020")
    run = analyses.run_forensics(
        engine, data, analyses.forensics_parameters(["integer_peaks"]), plots_dir=tmp_path
    )
    stored = analyses.latest(engine, "belarus-2020", analyses.FORENSICS)
    assert stored is not None and stored.parameters["tests"] == ["integer_peaks"]
    assert "integer_peaks" in stored.result["tests"]
    assert str(tmp_path) not in json.dumps(stored.result)
    assert run.result["tests"].keys() == stored.result["tests"].keys()


def test_headline_names_the_challenger_and_her_interval():
    estimate = {
        "official": {"a": {"share": 0.8}, "b": {"share": 0.1}, "c": {"share": 0.05}},
        "recommended": {"a": "ratio", "b": "ratio", "c": "ratio"},
        "estimates": [
            {"option": "a", "method": "ratio", "share": 0.6, "ci_low": 0.58, "ci_high": 0.62},
            {"option": "b", "method": "ratio", "share": 0.3, "ci_low": 0.27, "ci_high": 0.33},
            {"option": "b", "method": "pvt", "share": 0.9, "ci_low": 0.8, "ci_high": 0.95},
            {"option": "c", "method": "ratio", "share": 0.05, "ci_low": 0.04, "ci_high": 0.06},
        ],
        "parameters": {"level": 0.9},
    }
    line = headline({"verdicts": {"falsification_proven": 12}}, estimate, {"b": "Bee"})
    assert line is not None
    assert (line.leader, line.challenger, line.method) == ("a", "b", "ratio")
    assert line.sentence() == (
        "Officially 80.0% for a and 10.0% for Bee; the evidence proves falsification at 12 "
        "stations and puts Bee at 30.0% [27.0, 33.0] (ratio estimate, 90% interval)."
    )
    # no estimate: the official runner-up, and no interval is invented
    bare = headline(None, {"official": estimate["official"]}, {})
    assert bare is not None and bare.challenger == "b" and bare.estimate is None
    assert bare.sentence().endswith("falsification at 0 stations.")


def test_withheld_intake_evidence_feeds_no_public_estimate(tmp_path, monkeypatch):
    """A cell from the citizens' intake that may not be published (here: no intake key, so
    the rule fails closed) is dropped from the estimate's input and marks its digest."""
    from sqlalchemy import update

    from honestcount.store import tables as t

    monkeypatch.delenv("HONESTCOUNT_SECRET", raising=False)
    monkeypatch.delenv("HONESTCOUNT_DEV", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    save_election(engine, read_source("belarus-2020", None, None))
    data = load_election(engine, "belarus-2020", use_snapshot=False)
    station = data.declared["tsikhanouskaya"].dropna().index[0]
    with engine.begin() as conn:
        pk = conn.execute(
            t.stations.select()
            .with_only_columns(t.stations.c.pk)
            .where(t.stations.c.election_id == "belarus-2020", t.stations.c.station_id == station)
        ).scalar_one()
        conn.execute(
            update(t.voter_evidence)
            .where(
                t.voter_evidence.c.station_pk == pk,
                t.voter_evidence.c.option_id == "tsikhanouskaya",
            )
            .values(source="intake")
        )
    data = load_election(engine, "belarus-2020", use_snapshot=False)
    assert data.declared.loc[station, "tsikhanouskaya"] > 0

    public, digest = analyses.public_view(engine, data)
    assert (
        public.declared.loc[station, "tsikhanouskaya"]
        != public.declared.loc[station, "tsikhanouskaya"]
    )
    assert data.declared.loc[station, "tsikhanouskaya"] > 0  # the loaded data is left alone
    assert digest != analyses.evidence_digest(data)
    stored = analyses.run_estimate(engine, data, analyses.estimate_parameters(["ratio"], n_boot=20))
    assert stored.evidence_digest == digest
    assert analyses.shown(engine, data, analyses.ESTIMATE).computed_at == stored.computed_at
