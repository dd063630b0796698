"""The ledger in the store, on both backends: import, linkage, figures, claims, review,
cases, consent and retention."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from honestcount.errors import InputError
from honestcount.ledger import cases, commands, runs
from honestcount.ledger.figures import figures
from honestcount.store import tables as t
from honestcount.store.db import make_engine


@pytest.fixture
def linked(db_url, vault, small_lists):
    engine = make_engine(db_url)
    commands.ledger_import_synth(small_lists, db=engine, vault=vault)
    summary = commands.ledger_link(db=engine, vault=vault, train=False)
    yield engine, summary
    engine.dispose()


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_import_link_figures_and_claims(linked, small_lists):
    engine, summary = linked
    truth = pd.read_csv(small_lists / "truth.csv")
    assert summary["records"] == len(truth) == _count(engine, t.ledger_records)
    people = summary["people"]
    assert people["low"] <= truth["person"].nunique() <= people["high"]
    assert summary["review"] == _count(engine, t.ledger_links) - summary["auto"]
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).where(t.ledger_records.c.person_id.is_(None))
            ).scalar()
            == 0
        )

    doc = commands.ledger_figures(db=engine)
    assert doc["people"]["low"] <= doc["people"]["best"] <= doc["people"]["high"]
    totals = doc["totals"]
    for kind in ("detained", "held_now", "released", "injured", "died"):
        assert totals[kind]["low"] <= totals[kind]["best"] <= totals[kind]["high"]
    assert totals["detained"]["best"] > totals["released"]["best"] > 0
    assert [d["date"] for d in doc["by_day"]] == sorted(d["date"] for d in doc["by_day"])
    assert doc["by_place"][0]["place"] == "Minsk"
    assert any(f["facility"] == "Akrestsina detention centre" for f in doc["by_facility"])

    report = commands.ledger_claims(db=engine)
    assert len(report["claims"]) == 8
    for claim in report["claims"]:
        assert {"kind", "quantity", "source", "date", "scope", "supported", "gap"} <= set(claim)
        assert claim["gap"] == claim["quantity"] - claim["supported"]
    detained = report["claims"][0]
    assert detained["kind"] == "detained" and 0 < detained["supported"] < detained["quantity"]
    json.dumps([doc, report])  # JSON-ready


def test_review_decisions_survive_relinking_and_reimport(linked, vault, small_lists):
    engine, _ = linked
    queue = runs.review_queue(engine, vault, actor="reviewer-1", limit=3)
    assert queue and all(p["record_l"]["name"] for p in queue)
    first = queue[0]
    a, b = first["record_l"]["id"], first["record_r"]["id"]
    decided = runs.decide_pair(engine, a, b, same=False, actor="reviewer-1")
    assert decided["status"] == "rejected"
    with engine.connect() as conn:
        persons = dict(
            conn.execute(select(t.ledger_records.c.id, t.ledger_records.c.person_id)).all()
        )
        logged = conn.execute(
            select(func.count()).where(t.ledger_access.c.action == "review")
        ).scalar()
    assert persons[a] != persons[b]
    assert logged == len({i for p in queue for i in (p["record_l"]["id"], p["record_r"]["id"])})

    # import one list again and link again: the decision stays, people keep their ids
    manifest = json.loads((small_lists / "manifest.json").read_text())
    item = manifest["lists"][0]
    options = {k: item[k] for k in ("source_kind", "kind", "date")}
    commands.ledger_import(
        small_lists / item["file"], item["source"], db=engine, vault=vault, **options
    )
    commands.ledger_link(db=engine, vault=vault, train=False)
    with engine.connect() as conn:
        rejected = conn.execute(
            select(t.ledger_links.c.record_l, t.ledger_links.c.record_r).where(
                t.ledger_links.c.status == "rejected"
            )
        ).all()
        after = dict(
            conn.execute(select(t.ledger_records.c.id, t.ledger_records.c.person_id)).all()
        )
    # the decision follows its records, re-imported under new ids
    assert len(rejected) == 1
    ((x, y),) = rejected
    assert after[x] != after[y]
    unchanged = [r for r in persons if r in after]
    same = sum(persons[r] == after[r] for r in unchanged)
    assert same / len(unchanged) > 0.97


def test_case_read_is_logged_and_conflicts_kept_side_by_side(db_url, vault):
    engine = make_engine(db_url)
    first = cases.add_record(
        engine, vault, source="volunteer list A", source_kind="volunteer_list",
        name="Навумовіч Дзмітрый", birth_year=1988,
        facts=[{"kind": "detained", "date": "2020-08-10", "place": "Мінск"}], actor="t",
    )  # fmt: skip
    cases.add_record(
        engine, vault, source="lawyer B", source_kind="lawyer", name="Dzmitry Navumovich",
        birth_year=1988, person_id=first["person"], actor="t",
        facts=[{"kind": "detained", "date": "2020-08-11", "place": "Minsk"},
               {"kind": "tried", "date": "2020-08-12", "arrest_days": 13, "detail": "13 суток"}],
    )  # fmt: skip
    with pytest.raises(InputError):
        cases.read_case(engine, vault, first["person"], actor="t", purpose="")
    case = cases.read_case(engine, vault, first["person"], actor="caseworker", purpose="legal aid")
    assert len(case["records"]) == 2
    assert {r["name"] for r in case["records"]} == {"Навумовіч Дзмітрый", "Dzmitry Navumovich"}
    (conflict,) = [c for c in case["conflicts"] if c["field"] == "date"]
    assert conflict["values"] == {"2020-08-10": ["volunteer list A"], "2020-08-11": ["lawyer B"]}
    tried = [f for f in case["facts"] if f["kind"] == "tried"][0]
    assert tried["detail"] == "13 суток" and tried["confidence"] == "high"
    with engine.connect() as conn:
        log = conn.execute(
            select(t.ledger_access.c.actor, t.ledger_access.c.purpose).where(
                t.ledger_access.c.action == "read_case"
            )
        ).all()
    assert log == [("caseworker", "legal aid")]
    engine.dispose()


def test_retention_purges_all_but_held_and_public_cases(db_url, vault):
    engine = make_engine(db_url)
    kept = cases.add_record(engine, vault, source="s", source_kind="relative", name="Іван Жук",
                            birth_year=1990, facts=[{"kind": "detained"}], actor="t")  # fmt: skip
    gone = cases.add_record(engine, vault, source="s", source_kind="relative", name="Ганна Кот",
                            birth_year=1995, facts=[{"kind": "detained"}], actor="t")  # fmt: skip
    cases.set_disclosure(engine, vault, kept["person"], "consented", note="by phone", actor="t")
    later = dt.date.today() + dt.timedelta(days=40)
    result = cases.purge(engine, older_than_days=30, today=later, actor="t")
    assert result["records_deleted"] == 1 and result["people_deleted"] == 1
    with engine.connect() as conn:
        left = conn.execute(select(t.ledger_records.c.person_id)).scalars().all()
        facts = conn.execute(select(func.count()).select_from(t.ledger_facts)).scalar()
    assert left == [kept["person"]] and facts == 1
    public = cases.public_cases(engine, vault)
    assert [(c["person"], c["name"]) for c in public] == [(kept["person"], "Іван Жук")]
    assert gone["person"] not in [c["person"] for c in public]
    assert figures(engine)["totals"]["detained"]["best"] == 1
    engine.dispose()


def test_conflicts_are_stored_and_people_recomputed_without_the_key(linked):
    engine, summary = linked
    assert summary["apart"] == _count(engine, t.ledger_apart)
    with engine.connect() as conn:
        _, readings = runs.current_clusterings(conn)
    assert {k: v.nunique() for k, v in readings.items()} == summary["people"]
