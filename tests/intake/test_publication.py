"""Issue 13, item 3: one photo at a station must not be published, not even as a verdict's
proven excess of 1 over an official 0, neither while the embargo holds nor after it."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from sqlalchemy import select
from typer.testing import CliRunner

from honestcount.cli import app as cli
from honestcount.intake import materialise_evidence, publication
from honestcount.store import tables as t
from honestcount.store.verdicts import load_station_verdicts
from intake.helpers import ELECTION, photo

API = f"/api/v1/elections/{ELECTION}"


def one_photo_at_s1(svc) -> None:
    """An official 0 for 'against' at S1, and one voter's accepted photo for it."""
    with svc.engine.begin() as conn:
        pk = conn.execute(
            select(t.stations.c.pk).where(
                t.stations.c.election_id == ELECTION, t.stations.c.station_id == "S1"
            )
        ).scalar()
        conn.execute(
            t.official_votes.insert().values(
                station_pk=pk, source="commission_feed", option_id="against", votes=0
            )
        )
    c = svc.client
    voter = svc.register("+375290009001", "S1")
    c.post(f"{API}/declarations", json={"option_id": "against"}, headers=svc.auth(voter["token"]))
    shot = c.post(f"{API}/ballot-photos", content=photo(80), headers=svc.auth(voter["token"]))
    moderator = svc.account("moderator")
    c.post(
        f"/api/v1/moderation/photos/{shot.json()['photo_id']}",
        json={"decision": "accept"},
        headers=svc.auth(moderator["token"]),
    )
    materialise_evidence(svc.engine, ELECTION, settings=svc.settings)
    done = CliRunner().invoke(cli, ["--db", svc.db_url, "verify", "--election", ELECTION])
    assert done.exit_code == 0, done.output


def lift_embargo(svc) -> None:
    r = svc.client.put(
        f"/api/v1/admin/elections/{ELECTION}/settings",
        json={"embargo": False},
        headers=svc.auth(svc.admin),
    )
    assert r.status_code == 200


def test_the_rule_withholds_the_verdict_of_a_single_photo(service):
    one_photo_at_s1(service)
    stored = load_station_verdicts(service.engine, ELECTION)
    # Unmasked, the stored verdict states the one photo exactly: this is what must not show.
    assert stored.loc["S1", "verdict"] == "falsification_proven"
    assert stored.loc["S1", "proven_excess"] == 1
    for lifted in (False, True):
        if lifted:
            lift_embargo(service)
        rule = publication(service.engine, ELECTION, service.settings)
        assert rule.embargoed is not lifted
        assert "S1" in rule.withheld_stations and not rule.usable("S1")
        assert rule.cell("S1", "against", 1, 1) == (None, None)
        assert rule.verdict("S1", "falsification_proven", 1, {"against_photo": 1}) == (
            "withheld",
            None,
            {},
        )
        shown = rule.mask_verdicts(stored)
        assert shown.loc["S1", "verdict"] == "withheld"
        assert shown.loc["S1", "proven_excess"] is None
        # Stations without intake evidence are untouched.
        assert shown.loc["S2", "verdict"] == stored.loc["S2", "verdict"]


def _states_it(d: dict) -> bool:
    return (
        d.get("verdict") == "falsification_proven"
        or d.get("proven_excess_votes") == 1
        or d.get("proven_excess") == 1
        or d.get("photo_minus_official") == 1
        or d.get("photo_confirmed") == 1
    )


def _leaks(value: object, about_s1: bool = False) -> bool:
    """Whether a JSON document states S1's verdict, its excess of 1 or its one photo: in a
    record naming S1 (``station_id`` or ``id``), or anywhere in S1's own page."""
    if isinstance(value, dict):
        named = value.get("station_id") == "S1" or value.get("id") == "S1"
        if (about_s1 or named) and _states_it(value):
            return True
        return any(_leaks(v, about_s1 or named) for v in value.values())
    if isinstance(value, list):
        return any(_leaks(v, about_s1) for v in value)
    return False


def _counts_it(value: object) -> bool:
    """Whether a summary counts S1 (the only station whose evidence proves anything) among
    the proven falsifications."""
    if isinstance(value, dict):
        count = value.get("falsification_proven")
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            return True
        return any(_counts_it(v) for v in value.values())
    if isinstance(value, list):
        return any(_counts_it(v) for v in value)
    return False


def _csv_leaks(text: str) -> bool:
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("station_id") == "S1" and (
            row.get("verdict") == "falsification_proven"
            or row.get("proven_excess_votes") in ("1", "1.0")
        ):
            return True
    return False


def test_no_public_output_states_a_single_photo(service, tmp_path):
    from fastapi.testclient import TestClient

    from honestcount.app import create_app
    from honestcount.web.publish import publish

    one_photo_at_s1(service)
    for lifted in (False, True):
        if lifted:
            lift_embargo(service)
        web = TestClient(create_app(service.db_url, public_only=True))
        base = f"/elections/{ELECTION}"
        for path in (f"{base}.json", f"{base}/stations.json", f"{base}/stations/S1.json"):
            r = web.get(path)
            assert r.status_code == 200 and not _leaks(r.json(), path.endswith("S1.json")), path
        for path in (f"{base}.json", f"{base}/map.json", f"{base}/map.geojson"):
            r = web.get(path)
            assert r.status_code == 200 and not _leaks(r.json()), path
            assert not _counts_it(r.json()), path
        manifest = web.get(f"{base}/data/manifest.json").json()
        names = [f["name"] for f in manifest["files"]]
        assert names
        for name in names:
            body = web.get(f"{base}/data/{name}").content
            if name.endswith(".csv"):
                assert not _csv_leaks(body.decode("utf-8")), name
            elif name.endswith((".json", ".geojson")):
                assert not _leaks(json.loads(body)), name
            elif name.endswith(".sqlite"):
                path = tmp_path / name
                path.write_bytes(body)
                with sqlite3.connect(path) as db:
                    rows = db.execute(
                        "SELECT v.verdict, v.proven_excess FROM station_verdicts v JOIN "
                        "stations s ON s.pk = v.station_pk WHERE s.station_id = 'S1'"
                    ).fetchall()
                assert all(v != "falsification_proven" and e != 1 for v, e in rows), name
        site = tmp_path / f"site-{lifted}"
        publish(service.engine, ELECTION, site, languages=("en",))
        for file in site.rglob("*"):
            if file.suffix == ".json":
                doc = json.loads(file.read_text(encoding="utf-8"))
                assert not _leaks(doc, file.stem == "S1"), file
            elif file.suffix == ".csv":
                assert not _csv_leaks(file.read_text(encoding="utf-8")), file
