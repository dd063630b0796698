"""Columnar snapshots: the same election as the rows, replaced with them, never trusted blindly."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cec_variants import HERE
from sqlalchemy import func, select, update
from test_store import assert_same

from honestcount.checks.verify import evidence_digest
from honestcount.model import Election
from honestcount.sources.golos import load_belarus_2020
from honestcount.sources.ru_cec import load_ru_cec
from honestcount.store import snapshot
from honestcount.store import tables as t
from honestcount.store.db import make_engine
from honestcount.store.repository import delete_election, load_election, save_election


@pytest.fixture(scope="module")
def belarus():
    return load_belarus_2020()


@pytest.fixture(scope="module")
def duma():
    return load_ru_cec(
        HERE / "duma-2011.csv",
        Election("duma-2011", "Duma 2011", "RU", protocol_schema="ru-cec"),
        leader='1. Политическая партия "СПРАВЕДЛИВАЯ РОССИЯ"',
    )


def _snapshot_row(engine, eid):
    with engine.connect() as conn:
        return conn.execute(
            select(t.election_snapshots).where(t.election_snapshots.c.election_id == eid)
        ).first()


@pytest.mark.parametrize("which", ["belarus", "duma"])
def test_snapshot_and_rows_give_the_same_election(db_url, which, request):
    data = request.getfixturevalue(which)
    engine = make_engine(db_url)
    save_election(engine, data)
    assert _snapshot_row(engine, data.election.id) is not None
    fast = load_election(engine, data.election.id)
    slow = load_election(engine, data.election.id, use_snapshot=False)
    for loaded in (fast, slow):
        assert_same(data, loaded)
        assert list(loaded.lines.columns) == list(data.lines.columns)
        assert loaded.line_captions == data.line_captions
        assert loaded.line_derivations == data.line_derivations
    assert evidence_digest(fast) == evidence_digest(slow)
    assert fast.extra_lines == slow.extra_lines == data.extra_lines
    engine.dispose()


def test_leader_is_stored(db_url, duma):
    engine = make_engine(db_url)
    save_election(engine, duma)
    assert load_election(engine, "duma-2011").leader() == duma.options[0].id
    engine.dispose()


def test_a_damaged_snapshot_is_ignored_and_rewritten(db_url, duma):
    engine = make_engine(db_url)
    save_election(engine, duma)
    good = _snapshot_row(engine, "duma-2011").digest
    with engine.begin() as conn:
        conn.execute(update(t.election_snapshots).values(frames=b"HCS1 damaged"))
    assert_same(duma, load_election(engine, "duma-2011"))  # read from the rows
    assert _snapshot_row(engine, "duma-2011").digest == good  # and stored again
    engine.dispose()


def test_reimport_replaces_the_snapshot_and_delete_removes_it(db_url, duma):
    engine = make_engine(db_url)
    save_election(engine, duma)
    smaller = dataclasses.replace(
        duma,
        **{
            name: getattr(duma, name).iloc[:10]
            for name in (
                "stations",
                "lines",
                "official",
                "official_source",
                "declared",
                "photo",
                "observers",
            )
        },
    )
    save_election(engine, smaller)
    assert len(load_election(engine, "duma-2011")) == 10
    with engine.begin() as conn:
        delete_election(conn, "duma-2011")
        assert conn.execute(select(t.election_snapshots)).first() is None
        assert conn.execute(select(t.protocol_captions)).first() is None
    engine.dispose()


def test_intake_evidence_means_the_rows_are_read(db_url, duma):
    engine = make_engine(db_url)
    save_election(engine, duma)
    station = duma.stations.index[0]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        account = conn.execute(
            t.intake_accounts.insert().values(
                role="voter", election_id="duma-2011", station_id=station, created_at=now
            )
        ).inserted_primary_key[0]
        conn.execute(
            t.intake_declarations.insert().values(
                account_id=account,
                election_id="duma-2011",
                station_id=station,
                option_id=duma.options[0].id,
                declared_at=now,
                channel="test",
            )
        )
        pk = conn.execute(
            select(t.stations.c.pk).where(t.stations.c.station_id == station)
        ).scalar_one()
        # what materialising the intake writes, outside save_election
        conn.execute(
            t.voter_evidence.insert().values(
                station_pk=pk,
                option_id=duma.options[0].id,
                declared=1,
                photo=None,
                source="intake",
            )
        )
        assert snapshot.outside_writes(conn, "duma-2011")
        assert snapshot.read(conn, "duma-2011") is None
    assert load_election(engine, "duma-2011").declared.loc[station, duma.options[0].id] == 1
    engine.dispose()


def test_reimport_in_place_rewrites_what_changed(db_url, belarus):
    engine = make_engine(db_url)
    save_election(engine, belarus)
    with engine.connect() as conn:
        pks = conn.execute(select(t.stations.c.pk).order_by(t.stations.c.pk)).scalars().all()
    changed = dataclasses.replace(
        belarus,
        stations=belarus.stations.copy(),
        lines=belarus.lines.copy(),
        official=belarus.official.copy(),
        photo=belarus.photo.copy(),
        violations=belarus.violations.iloc[10:].copy(),
        national_totals={**belarus.national_totals, "registered": 1.0},
    )
    first, second = belarus.stations.index[:2]
    changed.stations.loc[first, "town"] = "Elsewhere"
    changed.official.loc[second, changed.official.columns[0]] = 7.0
    changed.official.loc[first, changed.official.columns[1]] = float("nan")
    changed.photo.loc[second, changed.photo.columns[0]] = 3.0
    written = save_election(engine, changed)
    with engine.connect() as conn:  # the same station keys: rewritten in place
        assert (
            conn.execute(select(t.stations.c.pk).order_by(t.stations.c.pk)).scalars().all() == pks
        )
        n = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (
                t.protocol_lines,
                t.official_votes,
                t.voter_evidence,
                t.observer_violations,
            )
        }
    assert {k: written[k] for k in n} == n
    for loaded in (
        load_election(engine, "belarus-2020"),
        load_election(engine, "belarus-2020", use_snapshot=False),
    ):
        assert_same(changed, loaded)
    engine.dispose()
