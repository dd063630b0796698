"""The intake as it is today, with its photos in an S3 API server instead of a folder: the
privacy check of tests/intake (no metadata, no phone number in any stored byte) holds there."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from intake.helpers import ELECTION, key, make_settings, small_election

from honestcount.intake.api import intake_router
from honestcount.storage import HashKeyedStore, S3Store
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election
from scale.photos import PHONE, hostile_photo, phone_forms
from scale.test_photo_job import _all_objects, assert_clean

API = f"/api/v1/elections/{ELECTION}"
PHONES = [PHONE, "+375 44 111-22-33"]


@pytest.fixture
def s3_intake(db_url, tmp_path, s3_bucket):
    client, bucket = s3_bucket
    engine = make_engine(db_url)
    save_election(engine, small_election())
    settings = make_settings(tmp_path / "unused-photo-dir")
    api = intake_router(engine, settings, HashKeyedStore(S3Store(client, bucket, "photos")))
    app = FastAPI()
    app.include_router(api, prefix="/api/v1")
    with TestClient(app) as http:
        yield http, client, bucket, tmp_path
    api.intake.close()  # type: ignore[attr-defined]
    engine.dispose()


def test_photos_in_the_object_store_carry_no_metadata_and_no_phone(s3_intake):
    http, client, bucket, tmp_path = s3_intake
    for i, phone in enumerate(PHONES):
        r = http.post(
            f"{API}/voters",
            json={"phone": phone, "station_id": "S2"},
            headers={"Idempotency-Key": key()},
        )
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        for side, fmt in (("front", "JPEG"), ("back", "PNG")):
            r = http.post(
                f"{API}/ballot-photos?side={side}",
                content=hostile_photo(10 + 2 * i + (side == "back"), fmt=fmt),
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key()},
            )
            assert r.status_code == 201, r.text
            back = http.get(
                f"/api/v1/photos/{r.json()['photo_id']}",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert back.content[:2] == b"\xff\xd8"  # read back from the object store
    stored = _all_objects(client, bucket)
    assert len(stored) == 4 and all(k.startswith("photos/") for k in stored)
    assert assert_clean(stored.values()) == 4
    for data in stored.values():
        for phone in PHONES:
            assert not any(form in data for form in phone_forms(phone))
    assert not (tmp_path / "unused-photo-dir").exists()  # nothing went to a local folder


def test_queued_photos_in_the_object_store_carry_no_metadata_and_no_phone(
    db_url, tmp_path, s3_bucket
):
    """``photo_jobs`` on, staging and photos both in the object store: what waits is sealed,
    what the worker stores is clean, and nothing went to a local folder."""
    from honestcount.intake.jobs import IntakePhotoSink
    from honestcount.jobs import Registry, Worker
    from honestcount.jobs.photo import photo_kind
    from honestcount.storage import SealedStore
    from scale.photos import FORBIDDEN

    client, bucket = s3_bucket
    engine = make_engine(db_url)
    save_election(engine, small_election())
    settings = make_settings(tmp_path / "unused-photo-dir", photo_jobs=True)
    photos = S3Store(client, bucket, "photos")
    staging = SealedStore(S3Store(client, bucket, "incoming"), b"s3-staging-secret-" + b"k" * 20)
    api = intake_router(engine, settings, photos, staging=staging)
    app = FastAPI()
    app.include_router(api, prefix="/api/v1")
    uploads = []
    with TestClient(app) as http:
        for i, phone in enumerate(PHONES):
            r = http.post(
                f"{API}/voters",
                json={"phone": phone, "station_id": "S2"},
                headers={"Idempotency-Key": key()},
            )
            token = r.json()["token"]
            for side, fmt in (("front", "JPEG"), ("back", "PNG")):
                r = http.post(
                    f"{API}/ballot-photos?side={side}",
                    content=hostile_photo(30 + 2 * i + (side == "back"), fmt=fmt),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key()},
                )
                assert r.status_code == 202 and r.json()["status"] == "processing", r.text
                uploads.append((token, r.json()["photo_id"]))
        waiting = _all_objects(client, bucket)
        assert len(waiting) == 4 and all(k.startswith("incoming/") for k in waiting)
        for data in waiting.values():
            assert not any(marker in data for marker in FORBIDDEN)
        kind = photo_kind(staging=staging, photos=photos, sink=IntakePhotoSink(settings))
        report = Worker(engine, Registry([kind]), poll_s=0.01).run(burst=True)
        assert (report.done, report.dead) == (4, 0)
        for token, photo_id in uploads:
            back = http.get(
                f"/api/v1/photos/{photo_id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert back.status_code == 200 and back.content[:2] == b"\xff\xd8"
    api.intake.close()  # type: ignore[attr-defined]
    engine.dispose()
    stored = _all_objects(client, bucket)
    assert len(stored) == 4 and all(k.startswith("photos/") for k in stored)
    assert assert_clean(stored.values()) == 4
    for data in stored.values():
        for phone in PHONES:
            assert not any(form in data for form in phone_forms(phone))
    assert not (tmp_path / "unused-photo-dir").exists()
