"""Issue 13, item 3: a station whose intake figures are withheld has no verdict anywhere, and a
change in what may be published (an embargo lifted) gives new pages at once, not cached ones."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from honestcount.store import tables as t
from honestcount.store.db import make_engine

from .conftest import AWKWARD_IDS, awkward_election, store_verified

PROVEN = AWKWARD_IDS[0]  # photos for "a" exceed its official count by 30
BASE = "/elections/awkward-1"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    pytest.importorskip("honestcount.intake.evidence")
    from honestcount.web.routes import router

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    store_verified(engine, awkward_election())
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE voter_evidence SET source = 'intake' WHERE station_pk = "
                "(SELECT pk FROM stations WHERE station_id = :s)"
            ),
            {"s": PROVEN},
        )
    app = FastAPI()
    api = router(engine, cache_dir=tmp_path / "cache", background=False, freshness=0)
    app.include_router(api)
    rules = {"frame": None, "embargoed": True}

    import honestcount.intake.evidence as evidence

    def publishable_counts(engine, election_id, settings=None):
        frame = rules["frame"]
        if frame is None:
            frame = pd.DataFrame(columns=["station_id", "option_id", "declared", "photo"])
        out = frame.copy()
        out.attrs.update(embargoed=rules["embargoed"], min_group_size=5)
        return out

    monkeypatch.setattr(evidence, "publishable_counts", publishable_counts)
    with TestClient(app) as client:
        yield engine, client, rules
    api.state_site.close()
    engine.dispose()


def lift(engine, rules) -> None:
    """What an admin's lifting the embargo does to the store (and to the rule)."""
    rules["embargoed"] = False
    rules["frame"] = pd.DataFrame(
        {
            "station_id": [PROVEN] * 3,
            "option_id": ["a", "b", "invalid"],
            "declared": [260.0, 0.0, 0.0],
            "photo": [130.0, 0.0, 0.0],
        }
    )
    with engine.begin() as conn:
        conn.execute(
            t.intake_settings.insert().values(
                election_id="awkward-1",
                embargo_lifted_at=dt.datetime.now(dt.UTC),
                updated_at=dt.datetime.now(dt.UTC),
            )
        )


def test_a_withheld_station_has_no_verdict_anywhere(setup):
    engine, client, rules = setup
    station = client.get(f"{BASE}/stations/{PROVEN}.json").json()
    assert station["verdict"]["verdict"] == "withheld"
    assert station["verdict"]["proven_excess_votes"] is None
    assert all(o["photo_minus_official"] is None and o["verdict"] is None for o in station["options"])
    rows = {r["id"]: r for r in client.get(f"{BASE}/stations.json?per_page=100").json()["stations"]}
    assert rows[PROVEN]["verdict"] == "withheld" and rows[PROVEN]["proven_excess_votes"] is None
    overview = client.get(f"{BASE}.json").json()["verification"]
    assert overview["verdicts"].get("falsification_proven", 0) == 0
    assert overview["verdicts"]["withheld"] == 1
    assert overview["proven_excess_votes"] == 0
    assert overview["proven_by_option"]["a"]["excess_votes"] == 0
    mapped = client.get(f"{BASE}/map.json").json()["verdicts"]
    assert mapped["falsification_proven"] == 0 and mapped["withheld"] == 1
    features = client.get(f"{BASE}/map.geojson?unlocated=1").json()["features"]
    assert all(f["properties"].get("v") != "falsification_proven" for f in features)
    # the page itself says why, in words
    page = client.get(f"{BASE}/stations/{PROVEN}").text
    assert "Withheld" in page


def test_lifting_the_embargo_renews_cached_pages_at_once(setup):
    engine, client, rules = setup
    path = f"{BASE}/stations/{PROVEN}.json"
    first = client.get(path)
    assert first.json()["verdict"]["verdict"] == "withheld"
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    overview = client.get(f"{BASE}.json")
    lift(engine, rules)  # well within the rule's 30 s cache: the stored settings say it changed
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert again.json()["verdict"]["verdict"] == "falsification_proven"
    assert again.json()["verdict"]["proven_excess_votes"] == 30
    renewed = client.get(f"{BASE}.json")
    assert renewed.headers["ETag"] != overview.headers["ETag"]
    assert renewed.json()["verification"]["verdicts"]["falsification_proven"] == 1
