from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib import image

from honestcount.forensics import NOTE, run_battery
from honestcount.forensics.battery import DEFAULT_TESTS, TESTS
from honestcount.forensics.simulate import simulate_election


@pytest.fixture(scope="module")
def stuffed():
    return simulate_election(6000, seed=21, stuffing=0.15, rounding=0.03)


def _notes(obj, path="") -> list[str]:
    """Paths of result dicts that lack a note (skips and errors excepted)."""
    return [] if "note" in obj or "skipped" in obj or "error" in obj else [path]


def test_battery_json_and_required_keys(stuffed, tmp_path):
    out = run_battery(stuffed.data, plots_dir=tmp_path)
    text = json.dumps(out, allow_nan=False)  # strict JSON: no NaN, numpy types converted
    assert json.loads(text) == out
    assert out["election"] == "sim-21" and out["leader"] == "leader" and out["note"] == NOTE
    assert set(out["tests"]) == set(DEFAULT_TESTS)
    for name, res in out["tests"].items():
        assert "error" not in res, (name, res)
        assert not _notes(res, name)
    ip = out["tests"]["integer_peaks"]
    for key in ("observed", "expected", "excess", "sd", "p_value", "stations"):
        assert key in ip and key in ip["turnout"] and key in ip["result"]
    assert ip["basis"] == "either" and ip["observed"] >= ip["result"]["observed"]
    assert ip["regions"] and {"region", "q_value"} <= set(ip["regions"][0])
    sh = out["tests"]["shpilkin"]
    for key in ("anomalous_votes", "core_turnout", "corrected_share", "corrected_turnout"):
        assert isinstance(sh[key], float)
    assert sh["anomalous_votes"] == pytest.approx(stuffed.truth.added_leader_votes, rel=0.3)
    assert len(sh["sensitivity"]) == 12
    assert np.array(out["tests"]["fingerprint"]["counts"]).shape == (50, 50)
    assert "bootstrap" in out["tests"]["digits"]
    assert out["tests"]["spatial"]["turnout"]["neighbours"].startswith("knn")


def test_battery_writes_readable_plots(stuffed, tmp_path):
    out = run_battery(
        stuffed.data, tests=["integer_peaks", "shpilkin", "fingerprint"], plots_dir=tmp_path
    )
    for name in ("integer_peaks", "shpilkin", "fingerprint"):
        (path,) = out["tests"][name]["plots"]
        img = image.imread(path)
        assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 300
        assert img[..., :3].std() > 0.05  # not a blank canvas


def test_without_registered_turnout_tests_skip_cleanly(tmp_path):
    sim = simulate_election(3000, seed=22, registered_known=False, coordinates=False)
    out = run_battery(sim.data, plots_dir=tmp_path)
    json.dumps(out, allow_nan=False)
    t = out["tests"]
    for name in ("shpilkin", "fingerprint"):
        assert t[name]["skipped"] and "registered" in t[name]["reason"]
    assert t["integer_peaks"]["basis"] == "result" and t["integer_peaks"]["turnout"]["skipped"]
    assert t["integer_peaks"]["observed"] == t["integer_peaks"]["result"]["observed"]
    assert t["digits"]["turnout_dip"]["skipped"] and "second_digit" in t["digits"]["leader_votes"]
    assert t["spatial"]["turnout"]["skipped"]
    assert t["spatial"]["leader_share"]["neighbours"] == "district"
    assert "plots" in t["integer_peaks"]


def test_selection_leader_errors_and_registry(stuffed, monkeypatch):
    out = run_battery(stuffed.data, tests=["integer_peaks"], leader="cand2")
    assert out["leader"] == "cand2" and list(out["tests"]) == ["integer_peaks"]
    with pytest.raises(ValueError, match="unknown"):
        run_battery(stuffed.data, tests=["klimek_typo"])
    with pytest.raises(ValueError):
        run_battery(stuffed.data, leader="nobody")
    monkeypatch.setitem(TESTS, "extra", lambda data, leader: {"value": np.float64(1.5)})
    monkeypatch.setitem(TESTS, "broken", lambda data, leader: 1 / 0)
    out = run_battery(stuffed.data, tests=["extra", "broken"])
    assert out["tests"]["extra"] == {"value": 1.5}
    assert "ZeroDivisionError" in out["tests"]["broken"]["error"]


def test_fitted_models_through_the_battery_and_the_cli(tmp_path):
    """`forensics --tests klimek,mixture` adds both models' keys; --csv gets class probabilities."""
    import pandas as pd
    from typer.testing import CliRunner

    from honestcount.cli import app
    from honestcount.forensics import mixture
    from honestcount.model import BallotOption, Election
    from honestcount.sources.assemble import assemble
    from honestcount.store.db import make_engine
    from honestcount.store.repository import save_election

    sim = mixture.simulate_mixture(1500, pi=(0.8, 0.15, 0.05), seed=5)
    index = pd.Index([f"s{i}" for i in range(1500)])
    data = assemble(
        Election("sim-mixture", "Simulated mixture", "XX"),
        [BallotOption("leader", "Leader"), BallotOption("other", "Other")],
        pd.DataFrame({"registered_voters": sim.registered}, index=index),
        lines=pd.DataFrame(
            {"registered": sim.registered, "ballots_cast": sim.ballots_cast, "valid": sim.valid},
            index=index,
        ),
        official=pd.DataFrame({"leader": sim.leader, "other": sim.valid - sim.leader}, index=index),
        official_source="commission_feed",
    )
    db = f"sqlite:///{tmp_path / 'm.db'}"
    save_election(make_engine(db), data)
    csv = tmp_path / "classes.csv"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            db,
            "forensics",
            "-e",
            "sim-mixture",
            "--tests",
            "klimek,mixture",
            "--json",
            "--csv",
            str(csv),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    klimek, fit = doc["tests"]["klimek"], doc["tests"]["mixture"]
    for key in ("f_incremental", "f_extreme", "alpha"):
        assert {"estimate", "ci_low", "ci_high"} <= set(klimek[key])
    for key in ("no_fraud", "incremental", "extreme"):
        assert fit["pi"][key]["ci_low"] <= fit["pi"][key]["estimate"] <= fit["pi"][key]["ci_high"]
    assert fit["pi"]["no_fraud"]["ci_low"] - 0.05 < 0.8 < fit["pi"]["no_fraud"]["ci_high"] + 0.05
    assert {"manufactured_votes", "stolen_votes"} <= set(fit)
    table = pd.read_csv(csv)
    assert len(table) == 1500 and {"p_no_fraud", "p_incremental", "p_extreme"} <= set(table)
