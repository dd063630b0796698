"""The ledger's review, decide, case and purge commands end to end, each written to the
access log."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from honestcount.cli import app
from honestcount.store import tables as t
from honestcount.store.db import make_engine

from .conftest import TEST_KEY

runner = CliRunner()


def invoke(db: str, *args: str) -> dict:
    result = runner.invoke(app, ["--db", db, "ledger", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def ledger_db(tmp_path, monkeypatch):
    monkeypatch.setenv("HONESTCOUNT_LEDGER_KEY", TEST_KEY)
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    one = tmp_path / "rights.csv"
    one.write_text(
        "ФИО,Год рождения,Дата задержания\n"
        "Ковалёв Андрей Сергеевич,1991,10.08.2020\n"
        "Тихановская Анна,1985,11.08.2020\n"
    )
    two = tmp_path / "lawyers.csv"
    two.write_text("Full name,Detained on\nAndrei Kavaliou,10.08.2020\nHanna Tsikhanouskaya,\n")
    invoke(db, "import", str(one), "--source", "rights", "--date", "2020-08-14")
    invoke(db, "import", str(two), "--source", "lawyers", "--date", "2020-08-14")
    invoke(db, "link")
    return db


def _actions(db: str) -> list[tuple[str, str]]:
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(select(t.ledger_access.c.actor, t.ledger_access.c.action)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_review_decide_case_and_purge(ledger_db):
    db = ledger_db
    queue = invoke(db, "review", "--actor", "reviewer-1")
    assert queue["pending"] == len(queue["pairs"])
    engine = make_engine(db)
    with engine.connect() as conn:
        ids = conn.execute(select(t.ledger_records.c.id).order_by(t.ledger_records.c.id)).all()
    engine.dispose()
    first, _, third, _ = (r[0] for r in ids)
    # Ковалёв (rights, row 1) and Kavaliou (lawyers, row 1) are one person
    decided = invoke(db, "decide", str(first), str(third), "--actor", "reviewer-1", "--same")
    assert decided["status"] == "confirmed"
    assert decided["people"]["high"] <= 3
    rejected = invoke(db, "decide", str(first), str(third), "--actor", "reviewer-2", "--different")
    assert rejected["status"] == "rejected"
    assert rejected["people"]["low"] >= 2
    case = invoke(db, "case", "1", "--actor", "lawyer-7", "--purpose", "legal aid")
    assert case["records"] and case["person"] == 1
    assert invoke(db, "purge", "--older-than", "5")["records_deleted"] == 0  # imported today
    engine = make_engine(db)
    with engine.begin() as conn:
        ten_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
        conn.execute(update(t.ledger_records).values(imported_at=ten_days_ago))
    engine.dispose()
    purged = invoke(db, "purge", "--older-than", "5")
    assert purged["records_deleted"] == 4
    actions = _actions(db)
    assert ("reviewer-1", "decide") in actions and ("reviewer-2", "decide") in actions
    assert ("lawyer-7", "read_case") in actions and ("cli", "purge") in actions
    if queue["pairs"]:
        assert ("reviewer-1", "review") in actions


def test_case_needs_a_purpose(ledger_db):
    result = runner.invoke(app, ["--db", ledger_db, "ledger", "case", "1", "--actor", "x"])
    assert result.exit_code != 0
