"""The store on both backends: round trips, replacement, and all-or-nothing imports."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from sqlalchemy import func, select

from honestcount.checks.quality import findings
from honestcount.errors import NotFoundError
from honestcount.model import Election
from honestcount.sources.golos import load_belarus_2020
from honestcount.sources.ru_cec import load_ru_cec
from honestcount.store import tables as t
from honestcount.store.db import make_engine
from honestcount.store.repository import list_elections, load_election, load_findings, save_election


@pytest.fixture(scope="module")
def belarus():
    return load_belarus_2020()


def assert_same(a, b) -> None:
    for name in ("stations", "lines", "official", "declared", "photo", "observers"):
        left, right = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(left, right[left.columns])
    pd.testing.assert_series_equal(a.official_source, b.official_source, check_names=False)
    key = ["station_id", "code"]
    pd.testing.assert_frame_equal(
        a.violations.sort_values(key).reset_index(drop=True),
        b.violations.sort_values(key).reset_index(drop=True),
    )
    assert a.options == b.options and a.election == b.election
    assert a.national_totals == b.national_totals
    assert a.violation_codes == b.violation_codes


def test_round_trip(db_url, belarus):
    engine = make_engine(db_url)
    save_election(engine, belarus, findings=findings(belarus))
    assert_same(belarus, load_election(engine, "belarus-2020"))
    assert len(load_findings(engine, "belarus-2020")) == 161
    listed = list_elections(engine)
    assert listed.loc[0, "stations"] == 5767
    engine.dispose()


def test_reimport_replaces_cleanly(db_url, belarus):
    engine = make_engine(db_url)
    save_election(engine, belarus)
    first = belarus.stations.index[:100]
    smaller = dataclasses.replace(
        belarus,
        **{
            name: getattr(belarus, name).iloc[:100]
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
        violations=belarus.violations[belarus.violations["station_id"].isin(first)],
    )
    save_election(engine, smaller)
    assert_same(smaller, load_election(engine, "belarus-2020"))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.stations)).scalar_one() == 100
        n_lines = conn.execute(select(func.count()).select_from(t.protocol_lines)).scalar_one()
        orphans = [
            conn.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.station_pk.not_in(select(t.stations.c.pk)))
            ).scalar_one()
            for table in (
                t.protocol_lines,
                t.official_votes,
                t.voter_evidence,
                t.observer_reports,
                t.observer_violations,
            )
        ]
    assert n_lines == int(smaller.lines.notna().sum().sum())
    assert orphans == [0] * 5
    engine.dispose()


def test_failed_import_leaves_the_database_as_it_was(db_url, belarus):
    engine = make_engine(db_url)
    save_election(engine, belarus)
    changed = load_election(engine, "belarus-2020")
    changed.official = changed.official * 0  # would change every count if it landed
    bad_findings = pd.DataFrame(  # the last table written violates NOT NULL: real rollback
        {"station_id": ["x"], "rule": [None], "status": ["fail"], "detail": ["d"], "values": [{}]}
    )
    with pytest.raises(Exception, match="(?i)null"):
        save_election(engine, changed, findings=bad_findings)
    assert_same(belarus, load_election(engine, "belarus-2020"))
    engine.dispose()


def test_two_elections_live_side_by_side(db_url, belarus, russia_dir):
    engine = make_engine(db_url)
    save_election(engine, belarus)
    ru = load_ru_cec(
        russia_dir / "2024.csv.zip",
        Election("ru-2024", "Presidential 2024", "RU", protocol_schema="ru-cec"),
    )
    save_election(engine, ru)
    save_election(engine, belarus)  # replacing one leaves the other intact
    assert_same(ru, load_election(engine, "ru-2024"))
    assert_same(belarus, load_election(engine, "belarus-2020"))
    with pytest.raises(NotFoundError):
        load_election(engine, "ru-2018")
    engine.dispose()
