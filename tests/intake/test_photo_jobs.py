"""Photos through the job queue (``photo_jobs``): the upload answers at once, "processing";
the photo worker strips and stores it, and only then do staff see it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from honestcount.intake import audit_verify
from honestcount.intake.api import router
from honestcount.intake.jobs import IntakePhotoSink
from honestcount.intake.organiser import issue_account
from honestcount.jobs import Registry, Worker, counts
from honestcount.jobs.photo import PHOTO_KIND, photo_kind
from honestcount.storage import LocalStore, SealedStore
from honestcount.store import tables as t
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election
from intake.helpers import ELECTION, GPS_MARKER, Service, key, make_settings, photo, small_election

API = f"/api/v1/elections/{ELECTION}"
STAGING_SECRET = b"intake-photo-jobs-staging-secret-" + b"z" * 8


@pytest.fixture
def queued(db_url, tmp_path):
    engine = make_engine(db_url)
    save_election(engine, small_election())
    settings = make_settings(tmp_path / "photos", photo_jobs=True)
    staging = SealedStore(LocalStore(tmp_path / "incoming"), STAGING_SECRET)
    api = router(engine, settings, staging=staging)
    app = FastAPI()
    app.include_router(api, prefix="/api/v1")
    _, admin = issue_account(engine, "admin", "first admin", settings=settings)
    svc = Service(TestClient(app), engine, settings, admin, db_url)
    ix = api.intake  # type: ignore[attr-defined]
    kind = photo_kind(
        staging=staging, photos=ix.store, sink=IntakePhotoSink(settings), settings=settings
    )

    def work() -> tuple[int, int]:
        report = Worker(engine, Registry([kind]), poll_s=0.01).run(burst=True)
        return report.done, report.dead

    with svc.client:
        yield svc, staging, work
    ix.close()
    engine.dispose()


def _upload(svc: Service, token: str, body: bytes, idem: str | None = None):
    headers = svc.auth(token)
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return svc.client.post(f"{API}/ballot-photos?side=front", content=body, headers=headers)


def test_upload_answers_processing_and_the_worker_publishes_it_to_staff(queued):
    svc, staging, work = queued
    voter = svc.register("+375291110001")["token"]
    moderator = svc.account("moderator")["token"]
    idem = key()
    r = _upload(svc, voter, photo(1, gps=True), idem)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "processing" and body["sha256"] is None
    again = _upload(svc, voter, photo(1, gps=True), idem)  # a retry: the same answer, one job
    assert again.status_code == 202 and again.json()["photo_id"] == body["photo_id"]
    waiting = list(staging.keys())
    assert len(waiting) == 1  # sealed while it waits
    assert all(GPS_MARKER.encode() not in staging.inner.get(k) for k in waiting)

    # Not visible to staff before its job ran; the sender sees it is being processed.
    queue = svc.client.get("/api/v1/moderation/queue", headers=svc.auth(moderator))
    assert queue.status_code == 200 and queue.json() == []
    read = svc.client.get(f"/api/v1/photos/{body['photo_id']}", headers=svc.auth(moderator))
    assert read.status_code == 404
    me = svc.client.get("/api/v1/me", headers=svc.auth(voter)).json()
    assert [p["status"] for p in me["photos"]] == ["processing"]

    assert work() == (1, 0)
    queue = svc.client.get("/api/v1/moderation/queue", headers=svc.auth(moderator)).json()
    assert [q["photo_id"] for q in queue] == [body["photo_id"]]
    read = svc.client.get(f"/api/v1/photos/{body['photo_id']}", headers=svc.auth(moderator))
    assert read.status_code == 200 and read.content[:2] == b"\xff\xd8"
    assert GPS_MARKER.encode() not in read.content and b"Exif" not in read.content
    assert list(staging.keys()) == []  # the sealed upload went with the commit
    with svc.engine.connect() as conn:
        row = conn.execute(select(t.intake_photos)).one()
        assert row.status == "pending" and row.width == 640 and row.sha256 == row.storage_key
        assert counts(conn)[PHOTO_KIND]["done"] == 1
    assert work() == (0, 0)  # nothing is done twice
    assert audit_verify(svc.engine).ok


def test_a_near_copy_from_another_account_is_found_by_the_worker(queued):
    svc, _, work = queued
    first = svc.register("+375291110002")["token"]
    second = svc.register("+375291110003")["token"]
    a = _upload(svc, first, photo(7)).json()["photo_id"]
    assert work() == (1, 0)
    b = _upload(svc, second, photo(7, gps=True)).json()["photo_id"]
    c = _upload(svc, second, photo(8, fmt="PNG")).json()["photo_id"]
    assert work() == (2, 0)
    with svc.engine.connect() as conn:
        rows = conn.execute(select(t.intake_photos.c.id, t.intake_photos.c.duplicate_of)).all()
    dup = {r.id: r.duplicate_of for r in rows}
    assert dup == {a: None, b: a, c: None}


def test_cheap_checks_answer_in_the_request_and_the_rest_in_the_worker(queued):
    svc, staging, work = queued
    voter = svc.register("+375291110004")["token"]
    r = _upload(svc, voter, b"<?php system($_GET['c']); ?>" * 10)
    assert r.status_code == 415  # the type, from the header, before anything is queued
    assert list(staging.keys()) == []
    whole = photo(9, size=(1200, 900))
    r = _upload(svc, voter, whole[: len(whole) // 3])  # a valid header, a truncated picture
    assert r.status_code == 202, r.text
    assert work() == (1, 0)  # not a failure of the job: an answer for the sender
    me = svc.client.get("/api/v1/me", headers=svc.auth(voter)).json()
    assert me["photos"][0]["status"] == "rejected" and "decoded" in me["photos"][0]["reason"]
    assert audit_verify(svc.engine).ok
