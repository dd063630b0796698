"""`honestcount audit verify`: an intact chain passes; a silent edit is found and fails."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from honestcount.cli import app
from honestcount.store.db import make_engine

runner = CliRunner()


def test_audit_verify_detects_a_silent_edit(tmp_path, monkeypatch):
    monkeypatch.setenv("HONESTCOUNT_DEV", "1")
    db = f"sqlite:///{tmp_path / 'a.db'}"
    for label in ("first admin", "second admin"):
        assert runner.invoke(app, ["--db", db, "intake", "admin", label]).exit_code == 0
    ok = runner.invoke(app, ["--db", db, "audit", "verify", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True

    engine = make_engine(db)
    with engine.begin() as conn:  # someone with database access rewrites history quietly
        conn.execute(text("UPDATE intake_audit SET action = 'nothing happened' WHERE seq = 1"))
    engine.dispose()
    broken = runner.invoke(app, ["--db", db, "audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN" in broken.stdout


def test_checkpoint_then_verify_against_a_published_head(tmp_path, monkeypatch):
    monkeypatch.setenv("HONESTCOUNT_DEV", "1")
    monkeypatch.setenv("HONESTCOUNT_INTAKE_LOG_KEY", "ab" * 32)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    head = tmp_path / "head.json"
    for label in ("first admin", "second admin", "third admin"):
        assert runner.invoke(app, ["--db", db, "intake", "admin", label]).exit_code == 0
    made = runner.invoke(app, ["--db", db, "audit", "checkpoint", "--out", str(head)])
    assert made.exit_code == 0, made.output
    published = json.loads(head.read_text())
    assert published["tree_size"] == 3 and len(published["signature"]) == 128
    ok = runner.invoke(app, ["--db", db, "audit", "verify", "--against", str(head), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True

    engine = make_engine(db)
    with engine.begin() as conn:  # the last entry cut, its chain's head rewound to match
        conn.execute(text("DELETE FROM intake_audit WHERE seq = 3"))
        conn.execute(
            text(
                "UPDATE intake_audit_heads SET chain_seq = 2, "
                "hash = (SELECT hash FROM intake_audit WHERE seq = 2)"
            )
        )
    engine.dispose()
    assert runner.invoke(app, ["--db", db, "audit", "verify"]).exit_code == 0  # chains alone
    broken = runner.invoke(app, ["--db", db, "audit", "verify", "--against", str(head)])
    assert broken.exit_code == 1 and "BROKEN" in broken.stdout
    assert "1 entries were removed" in broken.stdout


def test_checkpoint_needs_a_key(tmp_path, monkeypatch):
    monkeypatch.setenv("HONESTCOUNT_DEV", "1")
    monkeypatch.delenv("HONESTCOUNT_INTAKE_LOG_KEY", raising=False)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    r = runner.invoke(app, ["--db", db, "audit", "checkpoint", "--out", str(tmp_path / "h")])
    assert r.exit_code == 2 and "HONESTCOUNT_INTAKE_LOG_KEY" in r.output


def test_rows_from_before_the_log_are_adopted_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HONESTCOUNT_DEV", "1")
    monkeypatch.setenv("HONESTCOUNT_INTAKE_LOG_KEY", "cd" * 32)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    head = tmp_path / "head.json"
    assert runner.invoke(app, ["--db", db, "intake", "admin", "first"]).exit_code == 0
    engine = make_engine(db)
    with engine.begin() as conn:  # an account written before revision 0006 logged rows
        conn.execute(
            text(
                "INSERT INTO intake_accounts (role, label, created_at, approved_at) "
                "VALUES ('admin', 'legacy', '2020-08-01 00:00:00', '2020-08-01 00:00:00')"
            )
        )
    engine.dispose()
    assert (
        runner.invoke(app, ["--db", db, "audit", "checkpoint", "--out", str(head)]).exit_code == 0
    )
    unlogged = runner.invoke(app, ["--db", db, "audit", "verify", "--against", str(head)])
    assert unlogged.exit_code == 1 and "never recorded" in unlogged.stdout
    adopted = runner.invoke(app, ["--db", db, "audit", "adopt", "--json"])
    assert adopted.exit_code == 0 and json.loads(adopted.stdout) == {"adopted": 1}
    assert (
        runner.invoke(app, ["--db", db, "audit", "checkpoint", "--out", str(head)]).exit_code == 0
    )
    ok = runner.invoke(app, ["--db", db, "audit", "verify", "--against", str(head)])
    assert ok.exit_code == 0, ok.stdout
