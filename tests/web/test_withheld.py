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
    for o in station["options"]:
        assert o["photo_minus_official"] is None and o["verdict"] is None
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


def test_the_report_loses_exactly_the_withheld_stations_share():
    from honestcount.web.privacy import PublicCounts, mask_report

    rule = PublicCounts(pairs=frozenset({("s1", "a")}), embargoed=True)
    report = {
        "verdicts": {"falsification_proven": 3, "consistent": 7},
        "verdict_order": ["falsification_proven", "consistent"],
        "proven_excess_votes": 50,
        "thresholds": {"min_declared_excess": 1},
        "proven_by_option": {
            "a": {"photo": 3, "declared": 4, "declared_only": 1, "excess_votes": 50},
            "b": {"photo": 0, "declared": 0, "declared_only": 0, "excess_votes": 0},
        },
        "observers": {
            "observed_stations": {
                "stations": 4,
                "with_official_result": 4,
                "proven_share": 0.5,
                "without": {"with_official_result": 6, "proven_share": 1 / 6},
            },
            "violations": {
                "V1": {
                    "reason": "r",
                    "stations": 1,
                    "with_official_result": 1,
                    "proven_share": 1.0,
                    "without": {"with_official_result": 9, "proven_share": 2 / 9},
                }
            },
        },
    }
    details = {
        "a_verdict": "falsification_proven",
        "a_photo_excess": 1,
        "a_declared": 1,
        "a_official": 0,
        "b_official": 10,
        "observers": 2,
    }
    withheld = pd.DataFrame(
        {
            "verdict": ["falsification_proven"],
            "proven_excess": [1],
            "details": [details],
            "codes": [{"V1"}],
        },
        index=pd.Index(["s1"], name="station_id"),
    )
    out = mask_report(report, withheld, rule)
    assert out["verdicts"] == {"falsification_proven": 2, "consistent": 7, "withheld": 1}
    assert out["verdict_order"][-1] == "withheld"
    assert out["proven_excess_votes"] == 49
    assert out["proven_by_option"]["a"] == {
        "photo": 2,
        "declared": 3,
        "declared_only": 1,
        "excess_votes": 49,
    }
    assert out["proven_by_option"]["b"] == report["proven_by_option"]["b"]
    observed = out["observers"]["observed_stations"]
    assert observed["with_official_result"] == 3 and observed["proven_share"] == pytest.approx(
        1 / 3
    )
    assert observed["without"] == report["observers"]["observed_stations"]["without"]
    v1 = out["observers"]["violations"]["V1"]
    # the one station with this violation is the withheld one: no share is left to give
    assert v1["with_official_result"] == 0 and v1["proven_share"] is None
    assert report["verdicts"]["falsification_proven"] == 3  # the stored report is untouched
