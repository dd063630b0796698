"""Accounts carry how their phone number was proved; only a trusted gateway may say so; an
election can count only verified evidence; verdicts can be computed by tier; admins list
accounts (never a phone number or its hash)."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from intake.helpers import Service, key, make_settings, photo
from sqlalchemy import select

from honestcount.intake.api import router
from honestcount.intake.evidence import (
    materialise_evidence,
    publishable_tier_counts,
    verdicts_by_tier,
)
from honestcount.intake.organiser import issue_account
from honestcount.model import BallotOption, Election, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.store import tables as t
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election

ELECTION = "tier-2025"
API = f"/api/v1/elections/{ELECTION}"


def tier_election():
    options = [
        BallotOption("a", "Candidate A", OptionKind.CANDIDATE, 1),
        BallotOption("b", "Candidate B", OptionKind.CANDIDATE, 2),
    ]
    stations = pd.DataFrame(
        {"region": "R", "name": ["One", "Two"], "registered_voters": 1000.0},
        index=pd.Index(["T1", "T2"], name="station_id"),
    )
    # T1's protocol gives A one vote: two photographed ballots for A would prove it false.
    official = pd.DataFrame({"a": [1.0, 50.0], "b": [40.0, 50.0]}, index=pd.Index(["T1", "T2"]))
    return assemble(
        Election(ELECTION, "Tier test", "XX", protocol_schema="golos"),
        options,
        stations,
        official=official,
        official_source="commission_feed",
    )


@pytest.fixture
def svc(db_url, tmp_path):
    engine = make_engine(db_url)
    save_election(engine, tier_election())
    settings = make_settings(tmp_path / "photos", embargo=False, min_group_size=1)
    api = router(engine, settings)
    app = FastAPI()
    app.include_router(api, prefix="/api/v1")
    _, admin = issue_account(engine, "admin", "first admin", settings=settings)
    service = Service(TestClient(app), engine, settings, admin, db_url)
    with service.client:
        yield service
    api.intake.close()
    engine.dispose()


def register(svc: Service, phone: str, station: str = "T1", tier=None, token=None):
    body = {"phone": phone, "station_id": station}
    if tier is not None:
        body["verification"] = tier
    headers = {"Idempotency-Key": key()}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return svc.client.post(f"{API}/voters", json=body, headers=headers)


def gateway(svc: Service) -> str:
    return svc.account("gateway", election=None)["token"]


def vote_with_photo(svc: Service, token: str, option: str, seed: int, moderator: str) -> None:
    c = svc.client
    assert c.post(
        f"{API}/declarations", json={"option_id": option}, headers=svc.auth(token)
    ).is_success
    up = c.post(f"{API}/ballot-photos", content=photo(seed), headers=svc.auth(token))
    assert up.status_code == 201, up.text
    done = c.post(
        f"/api/v1/moderation/photos/{up.json()['photo_id']}",
        json={"decision": "accept"},
        headers=svc.auth(moderator),
    )
    assert done.status_code == 200, done.text


def test_a_client_cannot_claim_a_tier(svc):
    refused = register(svc, "+375291110001", tier="messenger_contact")
    assert refused.status_code == 403
    voter = register(svc, "+375291110002").json()
    assert voter["verification"] == "none"
    # A voter's token is no gateway's: still refused, and nothing was registered.
    again = register(svc, "+375291110001", tier="bot_code", token=voter["token"])
    assert again.status_code == 403
    plain = register(svc, "+375291110001")
    assert plain.status_code == 201 and plain.json()["verification"] == "none"
    me = svc.client.get("/api/v1/me", headers=svc.auth(plain.json()["token"]))
    assert me.json()["verification"] == "none"


def test_a_gateway_vouches_and_is_nothing_else(svc):
    token = gateway(svc)
    done = register(svc, "+375291110003", tier="messenger_contact", token=token)
    assert done.status_code == 201, done.text
    assert done.json()["verification"] == "messenger_contact"
    me = svc.client.get("/api/v1/me", headers=svc.auth(done.json()["token"]))
    assert me.json()["verification"] == "messenger_contact"
    # The gateway's token moderates nothing and registers no one as itself.
    queue = svc.client.get(
        f"/api/v1/elections/{ELECTION}/moderation/queue", headers=svc.auth(token)
    )
    assert queue.status_code in (403, 404)
    assert svc.client.get("/api/v1/admin/accounts", headers=svc.auth(token)).status_code == 403
    # An unapproved gateway (one admin only) cannot vouch.
    lone = svc.client.post(
        "/api/v1/admin/accounts", json={"role": "gateway"}, headers=svc.auth(svc.admin)
    ).json()
    refused = register(svc, "+375291110004", tier="messenger_contact", token=lone["token"])
    assert refused.status_code in (401, 403)


def test_a_code_through_the_bot_upgrades_a_web_account(svc):
    c, bot = svc.client, gateway(svc)
    voter = register(svc, "+375291110005").json()
    vh = svc.auth(voter["token"])
    challenge = c.post("/api/v1/me/verification", headers=vh).json()["challenge"]
    gh = svc.auth(bot)
    other = c.post(
        f"/api/v1/verifications/{challenge}",
        json={"phone": "+375291110006", "tier": "messenger_contact"},
        headers=gh,
    )
    assert other.status_code == 403  # another number than the account's
    # Only a gateway may vouch: the voter cannot ask for their own code.
    own = c.post(
        f"/api/v1/verifications/{challenge}",
        json={"phone": "+375291110005", "tier": "messenger_contact"},
        headers=vh,
    )
    assert own.status_code == 403
    code = c.post(
        f"/api/v1/verifications/{challenge}",
        json={"phone": "+375 29 111 00 05", "tier": "messenger_contact"},
        headers=gh,
    ).json()["code"]
    wrong = "000000" if code != "000000" else "111111"
    bad = c.post(
        "/api/v1/me/verification/confirm", json={"challenge": challenge, "code": wrong}, headers=vh
    )
    assert bad.status_code == 403 and bad.json()["attempts_left"] == 4
    ok = c.post(
        "/api/v1/me/verification/confirm", json={"challenge": challenge, "code": code}, headers=vh
    )
    assert ok.status_code == 200 and ok.json()["verification"] == "bot_code"
    assert c.get("/api/v1/me", headers=vh).json()["verification"] == "bot_code"
    used = c.post(
        "/api/v1/me/verification/confirm", json={"challenge": challenge, "code": code}, headers=vh
    )
    assert used.status_code == 404
    with svc.engine.connect() as conn:
        stored = conn.execute(select(t.intake_verifications)).mappings().all()
    assert challenge not in str(stored) and code not in str([r["code_hash"] for r in stored])


def test_verdicts_by_tier_and_the_election_setting(svc):
    c, bot = svc.client, gateway(svc)
    moderator = svc.account("moderator", election=ELECTION)["token"]
    # Two unverified voters photograph A at T1 (official: 1); one verified voter B.
    for n in range(2):
        voter = register(svc, f"+37529222000{n}").json()
        vote_with_photo(svc, voter["token"], "a", seed=10 + n, moderator=moderator)
    verified = register(svc, "+375292220009", tier="messenger_contact", token=bot).json()
    vote_with_photo(svc, verified["token"], "b", seed=20, moderator=moderator)

    every = verdicts_by_tier(svc.engine, ELECTION)
    assert every.loc["T1", "verdict"] == "falsification_proven"
    assert every.loc["T1", "proven_excess"] == 1
    strong = verdicts_by_tier(svc.engine, ELECTION, "messenger_contact")
    assert strong.loc["T1", "verdict"] != "falsification_proven"
    assert strong.loc["T1", "proven_excess"] == 0

    by_tier = publishable_tier_counts(svc.engine, ELECTION, svc.settings)
    a_none = by_tier.query("station_id == 'T1' and option_id == 'a' and tier == 'none'")
    assert a_none["photo"].tolist() == [2]
    b_contact = by_tier.query("option_id == 'b' and tier == 'messenger_contact'")
    assert b_contact["photo"].tolist() == [1]
    public = c.get(f"{API}/counts/by-tier").json()
    assert {"station_id": "T1", "option_id": "a", "tier": "none", "declared": 2, "photo": 2} in (
        public["counts"]
    )

    # Switch unverified accounts off: their evidence is kept but no longer counted.
    bad = c.put(
        f"/api/v1/admin/elections/{ELECTION}/settings",
        json={"min_verification": "trust-me"},
        headers=svc.auth(svc.admin),
    )
    assert bad.status_code == 422
    put = c.put(
        f"/api/v1/admin/elections/{ELECTION}/settings",
        json={"min_verification": "bot_code"},
        headers=svc.auth(svc.admin),
    )
    assert put.status_code == 200 and put.json()["min_verification"] == "bot_code"
    assert c.get(API).json()["rules"]["min_verification"] == "bot_code"
    counts = c.get(f"{API}/counts").json()["counts"]
    assert sum(r["declared"] or 0 for r in counts) == 1
    summary = materialise_evidence(svc.engine, ELECTION, settings=svc.settings)
    assert summary["declared"] == 1 and summary["photo_confirmed"] == 1
    with svc.engine.connect() as conn:
        kept = conn.execute(select(t.intake_declarations.c.account_id)).all()
        actions = conn.execute(select(t.intake_audit.c.action, t.intake_audit.c.details)).all()
    assert len(kept) == 3  # nothing deleted
    assert any(a == "election.settings" and "bot_code" in (d or "") for a, d in actions)


def test_admins_list_accounts_without_phone_data(svc):
    c = svc.client
    voters = [register(svc, f"+37529333000{n}").json() for n in range(3)]
    staff = svc.account("observer", election=ELECTION)
    pending = c.post(
        "/api/v1/admin/accounts", json={"role": "moderator"}, headers=svc.auth(svc.admin)
    ).json()
    ah = svc.auth(svc.admin)
    assert c.get("/api/v1/admin/accounts", headers=svc.auth(voters[0]["token"])).status_code == 403
    found = c.get("/api/v1/admin/accounts?role=voter", headers=ah)
    assert found.status_code == 200
    ids = [a["account_id"] for a in found.json()["accounts"]]
    assert ids == [v["account_id"] for v in voters]
    assert {a["verification"] for a in found.json()["accounts"]} == {"none"}
    with svc.engine.connect() as conn:
        hashes = conn.execute(select(t.intake_accounts.c.phone_hmac)).scalars().all()
    text = found.text
    assert "phone" not in text and "3330000" not in text
    assert not any(h and h in text for h in hashes)
    waiting = c.get("/api/v1/admin/accounts?status=pending", headers=ah).json()["accounts"]
    assert [a["account_id"] for a in waiting] == [pending["account_id"]]
    assert waiting[0]["status"] == "pending" and waiting[0]["verification"] == "staff"
    # Pages: two at a time, in id order, until next_after is null.
    seen, after = [], 0
    while after is not None:
        page = c.get(f"/api/v1/admin/accounts?limit=2&after={after}", headers=ah).json()
        seen += [a["account_id"] for a in page["accounts"]]
        after = page["next_after"]
    assert staff["account_id"] in seen and seen == sorted(seen) and len(seen) == len(set(seen))
    assert c.get("/api/v1/admin/accounts?status=gone", headers=ah).status_code == 422
