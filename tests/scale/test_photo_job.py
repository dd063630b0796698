"""The photo job through an S3 API server: uploads wait sealed, the worker strips and stores
them, and nothing stored carries metadata or a phone number."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select

from honestcount.jobs import Registry, Worker, counts
from honestcount.jobs.photo import (
    PHOTO_KIND,
    enqueue_photo,
    photo_kind,
    stage_upload,
    sweep_staged,
)
from honestcount.settings import IntakeSettings
from honestcount.storage import S3Store, SealedStore
from scale.photos import FORBIDDEN, GPS_MARKER, hostile_photo

SECRET = b"photo-job-staging-secret-" + b"q" * 16

meta = MetaData()
results = Table(
    "test_photo_results",
    meta,
    Column("photo_id", Integer, primary_key=True),  # a second record would fail loudly
    Column("job_id", Integer, nullable=False),
    Column("storage_key", String(64)),
    Column("sha256", String(64)),
    Column("dhash", String(16)),
    Column("width", Integer),
    Column("height", Integer),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
)


class RecordingSink:
    """Stands in for the intake: records the outcome in the job's transaction."""

    def processed(self, conn, job_id, photo_id, photo, key):
        conn.execute(
            insert(results).values(
                photo_id=photo_id,
                job_id=job_id,
                storage_key=key,
                sha256=photo.sha256,
                dhash=photo.dhash_hex,
                width=photo.width,
                height=photo.height,
                status="processed",
            )
        )

    def rejected(self, conn, job_id, photo_id, reason):
        conn.execute(
            insert(results).values(
                photo_id=photo_id, job_id=job_id, status="rejected", reason=reason
            )
        )


def _all_objects(client, bucket) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing
    }


@pytest.fixture
def stores(s3_bucket):
    client, bucket = s3_bucket
    photos = S3Store(client, bucket, "photos")
    staging = SealedStore(S3Store(client, bucket, "photos/incoming"), SECRET)
    return client, bucket, photos, staging


def test_object_store_path_keeps_no_metadata_and_no_phone_number(queue_engine, stores):
    client, bucket, photos, staging = stores
    meta.create_all(queue_engine)
    uploads = {
        1: hostile_photo(1),
        2: hostile_photo(2, fmt="PNG"),
        3: hostile_photo(3, size=(5000, 3000)),
        4: b"not a picture at all, but a phone: +375297654321" * 4,
        5: hostile_photo(1),  # the same file again, in another request
    }
    with queue_engine.begin() as conn:
        for photo_id, body in uploads.items():
            staged = stage_upload(staging, body, f"request-{photo_id}")
            assert stage_upload(staging, body, f"request-{photo_id}") == staged  # a retry
            enqueue_photo(conn, photo_id, staged)
            enqueue_photo(conn, photo_id, staged)  # a retried request: still one job
    waiting = _all_objects(client, bucket)
    assert len(waiting) == 5 and all(k.startswith("photos/incoming/") for k in waiting)
    for data in waiting.values():  # sealed while they wait
        assert not any(marker in data for marker in FORBIDDEN)

    registry = Registry([photo_kind(staging=staging, photos=photos, sink=RecordingSink())])
    report = Worker(queue_engine, registry, poll_s=0.01).run(burst=True)
    assert (report.done, report.dead) == (5, 0)

    with queue_engine.connect() as conn:
        rows = {r.photo_id: r for r in conn.execute(select(results))}
        assert counts(conn)[PHOTO_KIND]["done"] == 5
    assert [rows[i].status for i in (1, 2, 3, 4, 5)] == ["processed"] * 3 + [
        "rejected",
        "processed",
    ]
    assert "JPEG, PNG or WebP" in rows[4].reason
    assert max(rows[3].width, rows[3].height) <= IntakeSettings().max_stored_side
    assert rows[5].storage_key == rows[1].storage_key  # the same clean photo, stored once

    stored = _all_objects(client, bucket)  # every sealed upload is gone
    assert sorted(stored) == sorted(f"photos/{rows[i].storage_key}" for i in (1, 2, 3))
    assert assert_clean(stored.values()) == 3
    # The test's own inputs really carried what had to go.
    assert all(GPS_MARKER.encode() in body for body in list(uploads.values())[:3])


def test_sweep_removes_uploads_of_done_jobs_only(queue_engine, stores):
    _, _, photos, staging = stores
    meta.create_all(queue_engine)
    with queue_engine.begin() as conn:
        enqueue_photo(conn, 1, stage_upload(staging, hostile_photo(1), "r1"))
    registry = Registry([photo_kind(staging=staging, photos=photos, sink=RecordingSink())])
    Worker(queue_engine, registry, poll_s=0.01).run(burst=True)
    # A worker that stopped between its commit and the delete left its upload behind.
    left = stage_upload(staging, hostile_photo(1), "r1")
    with queue_engine.begin() as conn:
        waiting = stage_upload(staging, hostile_photo(2), "r2")
        enqueue_photo(conn, 2, waiting)
    assert sweep_staged(queue_engine, staging) == 1
    assert not staging.exists(left) and staging.exists(waiting)
    assert sweep_staged(queue_engine, staging) == 0


def assert_clean(blobs) -> int:
    n = 0
    for data in blobs:
        assert data[:2] == b"\xff\xd8" and data.rstrip(b"\x00")[-2:] == b"\xff\xd9"
        for marker in FORBIDDEN:
            assert marker not in data, marker
        n += 1
    return n


def test_a_lost_staged_upload_is_a_dead_letter_not_a_crash(queue_engine, stores):
    _, _, photos, staging = stores
    meta.create_all(queue_engine)
    with queue_engine.begin() as conn:
        enqueue_photo(conn, 9, "a" * 64)
    registry = Registry([photo_kind(staging=staging, photos=photos, sink=RecordingSink())])
    report = Worker(queue_engine, registry, poll_s=0.01).run(burst=True)
    assert (report.done, report.dead) == (0, 1)
