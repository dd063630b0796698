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
