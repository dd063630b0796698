"""The intake API in-process, on SQLite and PostgreSQL: voters, observers, moderation,
digitisation, publication and the audit log, through real HTTP requests and real files."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import func, select, text

from honestcount.checks.verify import evidence_digest
from honestcount.intake.audit import verify as audit_verify
from honestcount.intake.evidence import materialise_evidence, publishable_counts
from honestcount.intake.security import normalise_phone
from honestcount.store import tables as t
from honestcount.store.repository import load_election
from honestcount.store.tables import intake_accounts, intake_audit, intake_declarations
from intake.helpers import ELECTION, key, photo

API = f"/api/v1/elections/{ELECTION}"


def test_phone_normalisation():
    assert normalise_phone("+375 (29) 123-45-67") == "+375291234567"
    assert normalise_phone("00375291234567") == "+375291234567"
    assert normalise_phone("8 029 123 45 67") is None  # local forms are ambiguous
    assert normalise_phone("+0123456789") is None
    assert normalise_phone("hello") is None


def test_register_one_account_per_number(service):
    c = service.client
    first = service.register("+375 29 123-45-67", "S2")
    assert first["role"] == "voter" and first["station_id"] == "S2" and first["token"]
    # The same number written differently is the same number.
    again = c.post(
        f"{API}/voters",
        json={"phone": "00375291234567", "station_id": "S3"},
        headers={"Idempotency-Key": key()},
    )
    assert again.status_code == 409
    assert "already registered" in again.json()["detail"]
    with service.engine.connect() as conn:
        hashes = (
            conn.execute(
                select(intake_accounts.c.phone_hmac).where(intake_accounts.c.role == "voter")
            )
            .scalars()
            .all()
        )
    assert len(hashes) == 1 and len(hashes[0]) == 64 and "375" not in hashes[0]

    bad = c.post(
        f"{API}/voters",
        json={"phone": "029 123", "station_id": "S1"},
        headers={"Idempotency-Key": key()},
    )
    assert bad.status_code == 422 and "international" in bad.json()["detail"]
    assert (
        c.post(
            f"{API}/voters",
            json={"phone": "+375297777777", "station_id": "nope"},
            headers={"Idempotency-Key": key()},
        ).status_code
        == 404
    )
    assert (
        c.post(
            "/api/v1/elections/unknown/voters",
            json={"phone": "+375297777777", "station_id": "S1"},
            headers={"Idempotency-Key": key()},
        ).status_code
        == 404
    )
    # No key: refused before anything happens.
    assert (
        c.post(f"{API}/voters", json={"phone": "+375297777777", "station_id": "S1"}).status_code
        == 422
    )


def test_registration_retry_returns_the_same_answer_never_a_new_credential(service):
    c = service.client
    k = key()
    body = {"phone": "+48 600 100 200", "station_id": "S1"}
    first = c.post(f"{API}/voters", json=body, headers={"Idempotency-Key": k})
    second = c.post(f"{API}/voters", json=body, headers={"Idempotency-Key": k})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["account_id"] == second.json()["account_id"]
    # The lost first answer comes back as it was: the same token, no second credential.
    assert first.json()["token"] == second.json()["token"]
    with service.engine.connect() as conn:
        tokens = conn.execute(select(func.count()).select_from(t.intake_tokens)).scalar()
    assert tokens == 2  # the first admin's and this voter's
    assert c.get("/api/v1/me", headers=service.auth(first.json()["token"])).status_code == 200
    # The same key with another request is refused, not replayed.
    other = c.post(
        f"{API}/voters",
        json={"phone": "+48 600 100 201", "station_id": "S1"},
        headers={"Idempotency-Key": k},
    )
    assert other.status_code == 201  # another number: another scope, a new account
    with service.engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(intake_accounts)
                .where(intake_accounts.c.role == "voter")
            ).scalar()
            == 2
        )


def test_declaration_is_idempotent_and_changeable_until_confirmed(service):
    c = service.client
    voter = service.register("+375290000001", "S1")
    headers = service.auth(voter["token"])
    r1 = c.post(f"{API}/declarations", json={"option_id": "a"}, headers=headers)
    r2 = c.post(f"{API}/declarations", json={"option_id": "a"}, headers=headers)
    assert r1.status_code == r2.status_code == 200
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert r1.json() == r2.json()
    # Same key, different choice: refused.
    r3 = c.post(f"{API}/declarations", json={"option_id": "b"}, headers=headers)
    assert r3.status_code == 422 and "Idempotency-Key" in r3.json()["detail"]
    assert (
        c.post(
            f"{API}/declarations", json={"option_id": "zzz"}, headers=service.auth(voter["token"])
        ).status_code
        == 422
    )
    changed = c.post(
        f"{API}/declarations", json={"option_id": "b"}, headers=service.auth(voter["token"])
    )
    assert changed.json()["option_id"] == "b"
    with service.engine.connect() as conn:
        rows = conn.execute(select(intake_declarations)).all()
    assert [(r.station_id, r.option_id) for r in rows] == [("S1", "b")]
    me = c.get("/api/v1/me", headers=service.auth(voter["token"])).json()
    assert me["declaration"]["option_id"] == "b" and me["photo_confirmed"] is False


def test_auth_and_roles(service):
    c = service.client
    assert c.get("/api/v1/me").status_code == 401
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer hc_nonsense"}).status_code == 401
    voter = service.register("+375290000002")
    vh = service.auth(voter["token"])
    assert c.get("/api/v1/moderation/queue", headers=vh).status_code == 403
    assert c.post("/api/v1/admin/accounts", json={"role": "admin"}, headers=vh).status_code == 403
    assert (
        c.post(
            f"{API}/turnout", json={"observed_at": "2025-08-09T10:00:00Z", "count": 5}, headers=vh
        ).status_code
        == 403
    )
    assert (
        c.post(
            "/api/v1/admin/accounts", json={"role": "voter"}, headers=service.auth(service.admin)
        ).status_code
        == 422
    )
    moderator = service.account("moderator")
    # Disabling an account revokes its tokens at once.
    mh = service.auth(moderator["token"])
    assert c.get("/api/v1/moderation/queue", headers=mh).status_code == 200
    r = c.post(
        f"/api/v1/admin/accounts/{moderator['account_id']}/disable",
        headers=service.auth(service.admin),
    )
    assert r.status_code == 200
    assert c.get("/api/v1/moderation/queue", headers=mh).status_code == 401
    # Tokens are stored as hashes only.
    with service.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM intake_tokens")).scalars().all()
    assert moderator["token"] not in stored and voter["token"] not in stored


def test_ballot_photos_moderation_and_duplicates(service):
    c = service.client
    v1 = service.register("+375290000011", "S2")
    v2 = service.register("+375290000012", "S2")
    c.post(f"{API}/declarations", json={"option_id": "b"}, headers=service.auth(v1["token"]))
    front = c.post(
        f"{API}/ballot-photos?side=front",
        content=photo(1, gps=True),
        headers=service.auth(v1["token"], **{"Content-Type": "image/jpeg"}),
    )
    assert front.status_code == 201, front.text
    back = c.post(
        f"{API}/ballot-photos?side=back",
        content=photo(2, fmt="PNG"),
        headers=service.auth(v1["token"]),
    )
    assert back.status_code == 201 and back.json()["kind"] == "ballot_back"
    # v2 sends v1's photo again, re-encoded and resized: flagged as a duplicate.
    from io import BytesIO

    from PIL import Image

    copy = BytesIO()
    Image.open(BytesIO(photo(1))).resize((500, 375)).save(copy, "JPEG", quality=70)
    dup = c.post(f"{API}/ballot-photos", content=copy.getvalue(), headers=service.auth(v2["token"]))
    assert dup.status_code == 201
    # The sender learns there is a close copy, never which photo of which account.
    assert dup.json()["duplicate"] is True and dup.json()["duplicate_of"] is None
    assert front.json()["duplicate"] is False

    moderator = service.account("moderator")
    mh = service.auth(moderator["token"])
    queue = c.get("/api/v1/moderation/queue", headers=mh).json()
    assert [q["photo_id"] for q in queue] == [
        front.json()["photo_id"],
        back.json()["photo_id"],
        dup.json()["photo_id"],
    ]
    assert queue[0]["declared_option"] == "b" and queue[2]["duplicate_of"] == queue[0]["photo_id"]
    image = c.get(f"/api/v1/photos/{front.json()['photo_id']}", headers=mh)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8" and b"Exif" not in image.content
    # Another voter cannot see it, nor learn that it exists (404 like a missing one).
    assert (
        c.get(
            f"/api/v1/photos/{front.json()['photo_id']}", headers=service.auth(v2["token"])
        ).status_code
        == 404
    )
    assert (
        c.get(
            f"/api/v1/photos/{front.json()['photo_id']}", headers=service.auth(v1["token"])
        ).status_code
        == 200
    )

    reject = c.post(
        f"/api/v1/moderation/photos/{dup.json()['photo_id']}",
        json={"decision": "reject"},
        headers=mh,
    )
    assert reject.status_code == 422  # a rejection needs a reason
    reject = c.post(
        f"/api/v1/moderation/photos/{dup.json()['photo_id']}",
        json={"decision": "reject", "reason": "same photo as another voter's"},
        headers=mh,
    )
    assert reject.json()["status"] == "rejected"
    accept = c.post(
        f"/api/v1/moderation/photos/{front.json()['photo_id']}",
        json={"decision": "accept"},
        headers=mh,
    )
    assert accept.status_code == 200 and accept.json()["vote_photo_confirmed"] is True
    again = c.post(
        f"/api/v1/moderation/photos/{front.json()['photo_id']}",
        json={"decision": "reject", "reason": "x"},
        headers=mh,
    )
    assert again.status_code == 409
    me = c.get("/api/v1/me", headers=service.auth(v1["token"])).json()
    assert me["photo_confirmed"] is True
    # A confirmed choice is final.
    assert (
        c.post(
            f"{API}/declarations", json={"option_id": "a"}, headers=service.auth(v1["token"])
        ).status_code
        == 409
    )


def test_nobody_moderates_their_own_submission(service):
    c = service.client
    # An observer who is also given moderation rights uses two accounts; the rule is per
    # account: an admin who uploads cannot moderate it either. Here: a protocol-capable voter
    # account cannot moderate, and a moderator never sees their own photo in the queue.
    moderator = service.account("moderator")
    mh = service.auth(moderator["token"])
    voter = service.register("+375290000021")
    up = c.post(f"{API}/ballot-photos", content=photo(5), headers=service.auth(voter["token"]))
    photo_id = up.json()["photo_id"]
    with service.engine.begin() as conn:  # make the moderator the sender
        conn.execute(
            text("UPDATE intake_photos SET account_id = :m WHERE id = :p"),
            {"m": moderator["account_id"], "p": photo_id},
        )
    assert c.get("/api/v1/moderation/queue", headers=mh).json() == []
    r = c.post(f"/api/v1/moderation/photos/{photo_id}", json={"decision": "accept"}, headers=mh)
    assert r.status_code == 403 and "own submission" in r.json()["detail"]


def test_observers_turnout_and_violations(service):
    c = service.client
    observer = service.account("observer", station="S3")

    def oh():
        return service.auth(observer["token"])

    r = c.post(
        f"{API}/turnout",
        json={"observed_at": "2025-08-09T10:00:00+03:00", "count": 120},
        headers=oh(),
    )
    assert r.status_code == 201 and r.json()["station_id"] == "S3"
    assert r.json()["observed_at"].startswith("2025-08-09T07:00:00")
    other = c.post(
        f"{API}/turnout",
        json={"station_id": "S4", "observed_at": "2025-08-09T10:00:00Z", "count": 1},
        headers=oh(),
    )
    assert other.status_code == 403  # assigned to S3
    v = c.post(f"{API}/violations", json={"code": "3", "note": "pushed out at 20:05"}, headers=oh())
    assert v.status_code == 201 and v.json()["reason"] == "observer-pushed-away"
    bad = c.post(f"{API}/violations", json={"code": "999"}, headers=oh())
    assert bad.status_code == 422
    codes = c.get(API).json()["violation_codes"]
    assert {"code": "0", "reason": "accreditation-reject"} in codes
    assert (
        c.post(
            f"{API}/turnout",
            json={"observed_at": "0001-01-01T00:00:00+05:00", "count": 1},
            headers=oh(),
        ).status_code
        == 422
    )
    assert (
        c.post(
            f"{API}/turnout",
            json={"observed_at": "2025-08-09T10:00:00Z", "count": 10**12},
            headers=oh(),
        ).status_code
        == 422
    )


def _protocol(service, observer_token, seed=30, station=None):
    url = f"{API}/protocol-photos" + (f"?station_id={station}" if station else "")
    r = service.client.post(url, content=photo(seed), headers=service.auth(observer_token))
    assert r.status_code == 201, r.text
    return r.json()["photo_id"]


def test_protocol_digitisation_two_agree_mismatch_goes_to_a_third(service):
    c = service.client
    observer = service.account("observer", station="S2")
    photo_id = _protocol(service, observer["token"])
    d1, d2, d3 = (service.account("digitiser") for _ in range(3))

    task = c.get("/api/v1/digitisation/next", headers=service.auth(d1["token"])).json()
    assert task["photo_id"] == photo_id and task["station_id"] == "S2"
    names = [line["name"] for line in task["lines"]]
    assert names[0] == "votes_counted"  # the lines the election's rules use come first
    assert {"ballots_cast", "registered"} <= set(names)
    assert {o["id"] for o in task["options"]} == {"a", "b", "against", "invalid"}

    good = {
        "lines": {"votes_counted": 900, "ballots_cast": 905},
        "votes": {"a": 500, "b": 350, "against": 30, "invalid": 20},
    }
    typo = {
        "lines": {"votes_counted": 900, "ballots_cast": 905},
        "votes": {"a": 500, "b": 530, "against": 30, "invalid": 20},
    }
    e1 = c.post(
        f"/api/v1/digitisation/photos/{photo_id}/entries",
        json=good,
        headers=service.auth(d1["token"]),
    )
    assert e1.status_code == 201 and e1.json()["status"] == "pending"
    statuses = {ch["rule"]: ch["status"] for ch in e1.json()["checks"]}
    assert statuses["options_sum_to_total"] == "pass"
    assert (
        c.post(
            f"/api/v1/digitisation/photos/{photo_id}/entries",
            json=good,
            headers=service.auth(d1["token"]),
        ).status_code
        == 409
    )  # once per digitiser
    # d1 has typed it: nothing more for d1.
    assert c.get("/api/v1/digitisation/next", headers=service.auth(d1["token"])).status_code == 204
    e2 = c.post(
        f"/api/v1/digitisation/photos/{photo_id}/entries",
        json=typo,
        headers=service.auth(d2["token"]),
    )
    assert e2.json()["status"] == "disputed"
    assert "options_sum_to_total" in e2.json()["failed_rules"]  # the checks catch the typo
    task3 = c.get("/api/v1/digitisation/next", headers=service.auth(d3["token"])).json()
    assert task3["photo_id"] == photo_id and task3["status"] == "disputed"
    assert "entries" not in task3 or isinstance(task3["entries_so_far"], int)
    e3 = c.post(
        f"/api/v1/digitisation/photos/{photo_id}/entries",
        json=good,
        headers=service.auth(d3["token"]),
    )
    assert e3.json()["status"] == "agreed" and e3.json()["official"] == "written"

    data = load_election(service.engine, ELECTION)
    assert data.official_source["S2"] == "photographed_protocol"
    assert data.official.loc["S2", "b"] == 350 and data.lines.loc["S2", "ballots_cast"] == 905
    # S1 keeps its commission feed.
    assert data.official_source["S1"] == "commission_feed"
    # A second photo of the same protocol typed differently: a conflict, nothing overwritten.
    photo2 = _protocol(service, observer["token"], seed=31)
    for d in (d1, d2):
        r = c.post(
            f"/api/v1/digitisation/photos/{photo2}/entries",
            json={"votes": {"a": 1, "b": 2}},
            headers=service.auth(d["token"]),
        )
    assert r.json()["status"] == "conflict"
    conflicts = c.get(
        f"/api/v1/admin/elections/{ELECTION}/conflicts", headers=service.auth(service.admin)
    ).json()
    assert [x["photo_id"] for x in conflicts] == [photo2]
    assert load_election(service.engine, ELECTION).official.loc["S2", "b"] == 350


def test_materialise_and_publish(service):
    c = service.client
    before = evidence_digest(load_election(service.engine, ELECTION))
    moderator = service.account("moderator")
    voters = []
    for i in range(7):
        v = service.register(f"+37529100{i:04d}", "S4" if i < 6 else "S5")
        c.post(
            f"{API}/declarations",
            json={"option_id": "a" if i < 5 else "b"},
            headers=service.auth(v["token"]),
        )
        voters.append(v)
    for v, seed in zip(voters[:2], (40, 41), strict=True):
        p = c.post(f"{API}/ballot-photos", content=photo(seed), headers=service.auth(v["token"]))
        c.post(
            f"/api/v1/moderation/photos/{p.json()['photo_id']}",
            json={"decision": "accept"},
            headers=service.auth(moderator["token"]),
        )

    summary = materialise_evidence(service.engine, ELECTION, settings=service.settings)
    assert summary["stations"] == 2 and summary["declared"] == 7
    assert summary["photo_confirmed"] == 2
    data = load_election(service.engine, ELECTION)
    assert data.declared.loc["S4", "a"] == 5 and data.declared.loc["S4", "b"] == 1
    assert data.declared.loc["S4", "against"] == 0  # known zero where the platform has voters
    assert data.photo.loc["S4", "a"] == 2
    assert np.isnan(data.declared.loc["S1", "a"])  # no platform voters: unknown, not zero
    assert evidence_digest(data) != before  # stored verdicts become stale
    # Running it again replaces, it does not add.
    materialise_evidence(service.engine, ELECTION, settings=service.settings)
    assert load_election(service.engine, ELECTION).declared.loc["S4", "a"] == 5

    # Publication: embargoed by default.
    frame = publishable_counts(service.engine, ELECTION, service.settings)
    assert frame.empty and frame.attrs["embargoed"]
    assert c.get(f"{API}/counts").json()["embargoed"] is True
    r = c.put(
        f"/api/v1/admin/elections/{ELECTION}/settings",
        json={"embargo": False},
        headers=service.auth(service.admin),
    )
    assert r.status_code == 200 and r.json()["embargoed"] is False
    frame = publishable_counts(service.engine, ELECTION, service.settings)
    # S5 has 1 platform voter (< 5): not published. At S4, b=1 and photo=2 are suppressed.
    assert set(frame["station_id"]) == {"S4"}
    s4 = frame.set_index("option_id")
    assert s4.loc["a", "declared"] == 5 and np.isnan(s4.loc["b", "declared"])
    assert np.isnan(s4.loc["a", "photo"]) and s4.loc["against", "declared"] == 0
    public = c.get(f"{API}/counts").json()
    assert public["embargoed"] is False and {x["station_id"] for x in public["counts"]} == {"S4"}


def test_deadlines(service):
    c = service.client
    voter = service.register("+375290000031")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    r = c.put(
        f"/api/v1/admin/elections/{ELECTION}/settings",
        json={"upload_deadline": past, "registration_deadline": past},
        headers=service.auth(service.admin),
    )
    assert r.status_code == 200
    up = c.post(f"{API}/ballot-photos", content=photo(50), headers=service.auth(voter["token"]))
    assert up.status_code == 403 and "deadline" in up.json()["detail"]
    reg = c.post(
        f"{API}/voters",
        json={"phone": "+375290000032", "station_id": "S1"},
        headers={"Idempotency-Key": key()},
    )
    assert reg.status_code == 403
    # Declarations have no deadline here; lifting the upload deadline reopens uploads.
    c.put(
        f"/api/v1/admin/elections/{ELECTION}/settings",
        json={"upload_deadline": None},
        headers=service.auth(service.admin),
    )
    assert (
        c.post(
            f"{API}/ballot-photos", content=photo(50), headers=service.auth(voter["token"])
        ).status_code
        == 201
    )


def test_audit_log_is_complete_and_detects_edits(service):
    c = service.client
    voter = service.register("+375290000041")
    c.post(f"{API}/declarations", json={"option_id": "a"}, headers=service.auth(voter["token"]))
    observer = service.account("observer", station="S1")
    c.post(
        f"{API}/turnout",
        json={"observed_at": "2025-08-09T12:00:00Z", "count": 7},
        headers=service.auth(observer["token"], **{"X-Channel": "telegram-bot"}),
    )
    report = audit_verify(service.engine)
    assert report.ok, report.problems
    with service.engine.connect() as conn:
        rows = conn.execute(select(intake_audit).order_by(intake_audit.c.seq)).all()
    actions = [r.action for r in rows]
    # The observer's account: two admins from the command line, one creates, one approves.
    assert actions == [
        "account.create",
        "voter.register",
        "voter.declare",
        "account.create",
        "account.create",
        "account.create",
        "account.approve",
        "observer.turnout",
    ]
    assert rows[-1].channel == "telegram-bot" and rows[-1].actor == observer["account_id"]
    assert all(r.at and r.role for r in rows)
    assert report.entries == 8

    # A silent edit of one entry...
    with service.engine.begin() as conn:
        conn.execute(
            text("UPDATE intake_audit SET details = :d WHERE action = 'voter.declare'"),
            {"d": '{"option_id":"b","previous":null}'},
        )
    report = audit_verify(service.engine)
    assert not report.ok and any("altered" in p for p in report.problems)
    # ...and a deletion at the end of a chain are both detected.
    with service.engine.begin() as conn:
        conn.execute(
            text("UPDATE intake_audit SET details = :d WHERE action = 'voter.declare'"),
            {"d": rows[2].details},
        )
    assert audit_verify(service.engine).ok
    with service.engine.begin() as conn:
        conn.execute(text("DELETE FROM intake_audit WHERE action = 'observer.turnout'"))
    report = audit_verify(service.engine)
    assert not report.ok and any("removed" in p for p in report.problems)
    r = c.get("/api/v1/admin/audit", headers=service.auth(service.admin))
    assert r.status_code == 200 and r.json()["ok"] is False


def test_rate_limits(db_url, tmp_path):
    from intake.helpers import open_service

    api, svc = open_service(
        db_url, tmp_path, account_per_minute=6, registrations_per_address_per_hour=12
    )
    try:
        c = svc.client
        voter = svc.register("+375290000051")
        codes = [
            c.get("/api/v1/me", headers=svc.auth(voter["token"])).status_code for _ in range(4)
        ]
        assert codes[:1] == [200] and codes[-1] == 429  # burst of 6/4 = 1.5 tokens
        r = c.get("/api/v1/me", headers=svc.auth(voter["token"]))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        statuses = [
            c.post(
                f"{API}/voters",
                json={"phone": f"+3752900009{i:02d}", "station_id": "S1"},
                headers={"Idempotency-Key": key()},
            ).status_code
            for i in range(5)
        ]
        assert 429 in statuses
    finally:
        api.intake.close()
        svc.engine.dispose()


def test_stored_rows_match_the_store_tables(service):
    # The intake writes the evidence tables with the lead's column types (no orphans).
    with service.engine.connect() as conn:
        stations = conn.execute(select(func.count()).select_from(t.stations)).scalar()
    assert stations == 6


def test_group_commit_writer_on_both_backends(db_url, tmp_path):
    """The group-commit writer (SQLite's default, PostgreSQL's option): concurrent
    submissions share commits, a failing one rolls back alone, retries replay."""
    from concurrent.futures import ThreadPoolExecutor

    from intake.helpers import open_service

    api, svc = open_service(db_url, tmp_path, group_commit=True)
    try:
        c = svc.client
        voters = [svc.register(f"+37529300{i:04d}", "S6") for i in range(12)]

        def declare(i):
            v = voters[i % len(voters)]
            option = "zzz" if i % 5 == 0 else "ab"[i % 2]  # every fifth one is refused
            return c.post(
                f"{API}/declarations", json={"option_id": option}, headers=svc.auth(v["token"])
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(declare, range(60)))
        assert codes.count(422) == 12 and codes.count(200) == 48
        assert audit_verify(svc.engine).ok
        with svc.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(intake_declarations)).scalar()
        assert n == 12
    finally:
        api.intake.close()
        svc.engine.dispose()
