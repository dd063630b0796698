"""Counts that came through the intake API are published only as the intake's rules allow."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from sqlalchemy import text

from honestcount.store.db import make_engine
from honestcount.web import privacy, views
from honestcount.web.site import Site

from .conftest import awkward_election, store_verified

INTAKE_STATION = "plain-01"  # its voters' counts are marked as sent through the intake


@pytest.fixture
def site(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    store_verified(engine, awkward_election())
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE voter_evidence SET source = 'intake' WHERE station_pk = "
                "(SELECT pk FROM stations WHERE station_id = :s)"
            ),
            {"s": INTAKE_STATION},
        )
    site = Site(engine, tmp_path / "cache", background=False)
    yield site
    site.close()
    engine.dispose()


def fake_rules(monkeypatch, frame: pd.DataFrame | None, embargoed: bool = False) -> None:
    import honestcount.intake.evidence as evidence

    def publishable_counts(engine, election_id, settings=None):
        if frame is None:
            raise RuntimeError("no intake settings")
        out = frame.copy()
        out.attrs.update(embargoed=embargoed, min_group_size=5)
        return out

    monkeypatch.setattr(evidence, "publishable_counts", publishable_counts)


def station_counts(site, sid):
    doc = site.station(site.snapshot("awkward-1"), sid)
    return {o["id"]: (o["declared"], o["photo_confirmed"]) for o in doc["options"]}


def test_unreadable_rules_withhold_every_intake_count(site, monkeypatch):
    pytest.importorskip("honestcount.intake.evidence")
    fake_rules(monkeypatch, None)
    assert station_counts(site, INTAKE_STATION) == {
        "a": (None, None),
        "b": (None, None),
        "invalid": (None, None),
    }
    # counts from other sources are untouched
    assert station_counts(site, "Республика Адыгея (Адыгея) / 1 Адыгейская / 1")["a"] == (260, 130)


def test_open_data_leaves_withheld_cells_empty(site, monkeypatch, tmp_path):
    pytest.importorskip("honestcount.intake.evidence")
    fake_rules(
        monkeypatch,
        pd.DataFrame(
            {"station_id": [INTAKE_STATION], "option_id": ["a"], "declared": [6.0], "photo": [None]}
        ),
    )
    snap = site.snapshot("awkward-1")
    doc = views.data_doc(site, snap, wait=True)
    assert doc["status"] == "ready" and any("intake" in n for n in doc["manifest"]["notes"])
    folder = site.cache_dir(snap) / views.open_data(site, snap)["folder"]
    stations = pd.read_csv(folder / "stations.csv", index_col="station_id")
    row = stations.loc[INTAKE_STATION]
    assert row["declared_a"] == 6 and pd.isna(row["photo_a"]) and pd.isna(row["photo_b"])
    assert stations.loc["Республика Адыгея (Адыгея) / 1 Адыгейская / 1", "photo_a"] == 130
    verdicts = pd.read_csv(folder / "verdicts.csv", index_col="station_id")
    assert pd.isna(verdicts.loc[INTAKE_STATION, "a_photo"])
    with sqlite3.connect(folder / "honestcount-awkward-1.sqlite") as conn:
        rows = conn.execute(
            "SELECT option_id, declared, photo FROM voter_evidence v JOIN stations s "
            "ON s.pk = v.station_pk WHERE s.station_id = ? ORDER BY option_id",
            (INTAKE_STATION,),
        ).fetchall()
        assert rows == [("a", 6, None), ("b", None, None), ("invalid", None, None)]


def test_the_rules_are_read_again(site, monkeypatch):
    pytest.importorskip("honestcount.intake.evidence")
    fake_rules(monkeypatch, None)
    assert station_counts(site, INTAKE_STATION)["a"] == (None, None)
    fake_rules(
        monkeypatch,
        pd.DataFrame(
            {"station_id": [INTAKE_STATION], "option_id": ["a"], "declared": [6.0], "photo": [5.0]}
        ),
    )
    monkeypatch.setattr(privacy, "TTL_S", 0.0)  # the embargo was lifted a while ago
    assert station_counts(site, INTAKE_STATION)["a"] == (6, 5)


def test_no_intake_rows_means_no_guard(engine):
    assert not privacy.read_public_counts(engine, "belarus-2020").active
