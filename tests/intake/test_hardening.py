"""Issue 13: what a hostile state broke in the intake, each attack reproduced and shown to hold,
on SQLite and PostgreSQL (the ``service`` and ``db_url`` fixtures run both)."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, update
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from honestcount.intake.errors import TooLarge
from honestcount.intake.imaging import sanitise
from honestcount.settings import Settings
from honestcount.store import tables as t
from intake.helpers import ELECTION, key, open_service, photo

API = f"/api/v1/elections/{ELECTION}"
STATIONS_ALL = [f"S{i}" for i in range(1, 7)]


def everything_stored(engine) -> str:
    """Every value of every table, as text: what a copy of the database gives away."""
    parts: list[str] = []
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def token_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.intake_tokens)).scalar()


# ---------------------------------------------------------------- 1. account takeover


def test_a_database_copy_and_a_known_number_give_no_account(service):
    c = service.client
    k = "retry-375291112233-key"  # a careless client puts the phone's digits in its key
    r = c.post(
        f"{API}/voters",
        json={"phone": "+375 29 111 22 33", "station_id": "S1"},
        headers={"Idempotency-Key": k},
    )
    assert r.status_code == 201
    token = r.json()["token"]
    c.post(f"{API}/declarations", json={"option_id": "b"}, headers=service.auth(token))
    dump = everything_stored(service.engine)
    assert k not in dump and "375291112233" not in dump and token not in dump
    # The attacker replays each stored key with the number they know: never a credential.
    with service.engine.connect() as conn:
        stored = [row.key for row in conn.execute(select(t.intake_idempotency))]
    before = token_count(service.engine)
    for guess in stored:
        again = c.post(
            f"{API}/voters",
            json={"phone": "+375291112233", "station_id": "S1"},
            headers={"Idempotency-Key": guess},
        )
        assert again.status_code == 409 and "token" not in again.json()
    assert token_count(service.engine) == before
    # The client's own retry gets its first answer back, the same token and nothing new.
    retry = c.post(
        f"{API}/voters",
        json={"phone": "+375291112233", "station_id": "S1"},
        headers={"Idempotency-Key": k},
    )
    assert retry.status_code == 201 and retry.json()["token"] == token
    assert token_count(service.engine) == before


def test_tokens_expire_are_revoked_and_rotate(service):
    c = service.client
    voter = service.register("+375290007001")
    me = "/api/v1/me"
    assert c.get(me, headers=service.auth(voter["token"])).status_code == 200
    # Logout.
    assert c.post("/api/v1/me/logout", headers=service.auth(voter["token"])).status_code == 200
    assert c.get(me, headers=service.auth(voter["token"])).status_code == 401
    # Rotation: the new token works, the old one stops.
    other = service.register("+375290007002")
    rotated = c.post("/api/v1/me/token", headers=service.auth(other["token"]))
    assert rotated.status_code == 200 and rotated.json()["token"] != other["token"]
    assert c.get(me, headers=service.auth(other["token"])).status_code == 401
    fresh = rotated.json()["token"]
    assert c.get(me, headers=service.auth(fresh)).status_code == 200
    # An admin revokes every token of an account.
    r = c.post(
        f"/api/v1/admin/accounts/{other['account_id']}/revoke",
        headers=service.auth(service.admin),
    )
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert c.get(me, headers=service.auth(fresh)).status_code == 401
    # Expiry.
    third = service.register("+375290007003")
    with service.engine.begin() as conn:
        conn.execute(
            update(t.intake_tokens)
            .where(t.intake_tokens.c.account_id == third["account_id"])
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    assert c.get(me, headers=service.auth(third["token"])).status_code == 401


def test_a_channel_that_looks_like_a_number_is_refused(service):
    voter = service.register("+375290007004")
    r = service.client.post(
        f"{API}/declarations",
        json={"option_id": "a"},
        headers=service.auth(voter["token"], **{"X-Channel": "375291234567"}),
    )
    assert r.status_code == 422
    assert "375291234567" not in everything_stored(service.engine)


# ---------------------------------------------------------------- 2. forwarded headers


def test_forwarded_for_is_not_believed_unless_the_proxy_is_trusted(db_url, tmp_path):
    api, svc = open_service(db_url, tmp_path, registrations_per_address_per_hour=6)
    try:
        # As `honestcount serve` runs by default: no trusted proxy, so no forwarded header.
        assert Settings().trusted_proxies == []
        codes = [
            svc.client.post(
                f"{API}/voters",
                json={"phone": f"+3752955{i:05d}", "station_id": "S2"},
                headers={"Idempotency-Key": key(), "X-Forwarded-For": f"10.0.{i}.1"},
            ).status_code
            for i in range(10)
        ]
        assert codes.count(201) == 1 and codes.count(429) == 9  # burst of 1, then 6 an hour
    finally:
        api.intake.close()
        svc.engine.dispose()


@pytest.mark.parametrize(
    ("budget", "stations", "phones"),
    [
        ("registrations_per_station_per_minute", ["S3"], "+3752966{i:05d}"),
        ("registrations_per_prefix_per_minute", STATIONS_ALL, "+3752977{i:05d}"),
        ("registrations_per_minute", STATIONS_ALL, "+{p}29{i:07d}"),
    ],
)
def test_budgets_bound_a_flood_from_many_addresses(db_url, tmp_path, budget, stations, phones):
    api, svc = open_service(db_url, tmp_path, **{budget: 12})
    # Behind a proxy that is trusted, each request names another address: the per-address
    # limit never bites; the budgets that no choice of address escapes do.
    client = TestClient(ProxyHeadersMiddleware(svc.client.app, trusted_hosts=["testclient"]))
    try:
        codes = [
            client.post(
                f"{API}/voters",
                json={
                    "phone": phones.format(i=i, p=40 + i),
                    "station_id": stations[i % len(stations)],
                },
                headers={"Idempotency-Key": key(), "X-Forwarded-For": f"10.1.0.{i}"},
            ).status_code
            for i in range(10)
        ]
        assert codes.count(201) == 2 and codes.count(429) == 8, codes  # a burst of 12/6
    finally:
        api.intake.close()
        svc.engine.dispose()


# ---------------------------------------------------------------- 4. memory exhaustion


def test_bodies_are_capped_before_they_are_read(service):
    voter = service.register("+375290007010")
    big = b'{"option_id": "' + b"a" * (2 * 2**20) + b'"}'
    r = service.client.post(
        f"{API}/declarations",
        content=big,
        headers=service.auth(voter["token"], **{"Content-Type": "application/json"}),
    )
    assert r.status_code == 413

    def chunks():  # no Content-Length: the body is counted as it arrives
        yield b'{"option_id": "'
        for _ in range(64):
            yield b"a" * 65536
        yield b'"}'

    r = service.client.post(
        f"{API}/declarations",
        content=chunks(),
        headers=service.auth(voter["token"], **{"Content-Type": "application/json"}),
    )
    assert r.status_code == 413


def test_a_refusal_never_echoes_the_input(service):
    long = "Z" * 50_000
    r = service.client.post(
        f"{API}/voters",
        json={"phone": "+375290007011", "station_id": long},
        headers={"Idempotency-Key": key()},
    )
    assert r.status_code == 422 and len(r.content) < 2000 and long[:100] not in r.text


def test_decoding_is_bounded_by_a_pixel_budget():
    image = Image.fromarray(np.zeros((1500, 1500, 4), dtype=np.uint8), "RGBA")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    with pytest.raises(TooLarge, match="MiB to decode"):
        sanitise(buf.getvalue(), max_decode_bytes=4 * 2**20)
    assert sanitise(buf.getvalue(), max_decode_bytes=16 * 2**20).width == 1500


# ---------------------------------------------------------------- 6. separation of duties


def test_one_admin_alone_cannot_staff_the_intake_or_make_a_protocol_official(service):
    c = service.client
    lone = service.admin
    made = c.post(
        "/api/v1/admin/accounts",
        json={"role": "observer", "election_id": ELECTION, "station_id": "S2"},
        headers=service.auth(lone),
    )
    assert made.status_code == 201 and made.json()["approved"] is False
    observer = made.json()
    pending = c.get("/api/v1/me", headers=service.auth(observer["token"]))
    assert pending.status_code == 401  # no second key yet
    own = c.post(
        f"/api/v1/admin/accounts/{observer['account_id']}/approve", headers=service.auth(lone)
    )
    assert own.status_code == 403
    # An admin the same admin made is no second key either.
    deputy = c.post(
        "/api/v1/admin/accounts", json={"role": "admin"}, headers=service.auth(lone)
    ).json()
    from honestcount.intake.organiser import issue_account

    _, outsider = issue_account(service.engine, "admin", "outsider", settings=service.settings)
    c.post(
        f"/api/v1/admin/accounts/{deputy['account_id']}/approve",
        headers=service.auth(outsider),
    )
    assert (
        c.post(
            f"/api/v1/admin/accounts/{observer['account_id']}/approve",
            headers=service.auth(deputy["token"]),
        ).status_code
        == 403
    )

    # Two digitisers of one creator (each approved by another admin) type the same invented
    # protocol: it does not become official.
    approvers = [
        issue_account(service.engine, "admin", f"approver {i}", settings=service.settings)[1]
        for i in range(3)
    ]
    c.post(
        f"/api/v1/admin/accounts/{observer['account_id']}/approve",
        headers=service.auth(approvers[2]),
    )
    shot = c.post(
        f"{API}/protocol-photos", content=photo(90), headers=service.auth(observer["token"])
    )
    assert shot.status_code == 201, shot.text
    invented = {"lines": {"votes_counted": 500}, "votes": {"a": 100, "b": 400}}
    answers = []
    for approver in approvers[:2]:
        d = c.post(
            "/api/v1/admin/accounts",
            json={"role": "digitiser", "election_id": ELECTION},
            headers=service.auth(lone),
        ).json()
        c.post(f"/api/v1/admin/accounts/{d['account_id']}/approve", headers=service.auth(approver))
        answers.append(
            c.post(
                f"/api/v1/digitisation/photos/{shot.json()['photo_id']}/entries",
                json=invented,
                headers=service.auth(d["token"]),
            ).json()
        )
    assert answers[-1].get("status") == "disputed", answers
    assert answers[-1]["official"] is None
    # Their creator also made the observer who sent the photo: they never count. Two
    # digitisers of other people agreeing make it official.
    outcomes = []
    for _ in range(2):
        other = service.account("digitiser")
        outcomes.append(
            c.post(
                f"/api/v1/digitisation/photos/{shot.json()['photo_id']}/entries",
                json=invented,
                headers=service.auth(other["token"]),
            ).json()
        )
    assert outcomes[0]["status"] == "disputed"
    assert outcomes[1]["status"] == "agreed" and outcomes[1]["official"] == "written"


# ---------------------------------------------------------------- 7. the rest


def test_a_lone_surrogate_and_non_integer_counts_are_422_not_500(service):
    observer = service.account("observer", station="S1")
    headers = service.auth(observer["token"], **{"Content-Type": "application/json"})
    note = '{"code": "1", "note": "\\ud800 broken"}'
    r = service.client.post(f"{API}/violations", content=note, headers=headers)
    assert r.status_code == 422, r.text
    for count in ('"12"', "true", "12.0"):
        body = '{"observed_at": "2025-08-09T12:00:00Z", "count": ' + count + "}"
        r = service.client.post(
            f"{API}/turnout",
            content=body,
            headers=service.auth(observer["token"], **{"Content-Type": "application/json"}),
        )
        assert r.status_code == 422, (count, r.text)
    ok = service.client.post(
        f"{API}/turnout",
        content=json.dumps({"observed_at": "2025-08-09T12:00:00Z", "count": 12}),
        headers=service.auth(observer["token"], **{"Content-Type": "application/json"}),
    )
    assert ok.status_code == 201
