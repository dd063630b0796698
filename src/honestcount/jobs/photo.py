"""The photo job: an upload waits sealed in the staging store; a worker re-encodes it (metadata
stripped), hashes it (SHA-256 key, dHash), stores the clean copy and hands the result to the
intake, which searches for duplicates and records it in the same transaction that marks the
job done.

The request side (the intake), in the transaction that records the upload::

    staged = stage_upload(staging, body, request)  # before the row: durable first
    photo_id = <insert the photo row, status "processing">
    enqueue_photo(conn, photo_id, staged)          # same transaction as the row

and, once per worker process, ``registry.add(photo_kind(staging=..., photos=..., sink=...))``
with a :class:`PhotoSink` of the intake's.

Exactly once: the sink's writes commit with the job's completion, fenced by the lease; the
clean copy is content-addressed (a re-run after a crash stores the same bytes under the same
key); the staged upload is deleted only after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, select

from honestcount.intake.errors import IntakeError
from honestcount.intake.imaging import CleanPhoto, sanitise
from honestcount.jobs.queue import DONE, enqueue
from honestcount.jobs.registry import JobContext, JobKind, Permanent
from honestcount.settings import IntakeSettings
from honestcount.storage.base import MissingObject, PhotoStore
from honestcount.storage.sealed import SealedStore
from honestcount.store.tables.jobs import jobs

PHOTO_KIND = "photo.process"
MAX_ATTEMPTS = 8


class PhotoSink(Protocol):
    """What the intake does with a processed upload, inside the job's transaction."""

    def processed(
        self, conn: Connection, job_id: int, photo_id: int, photo: CleanPhoto, key: str
    ) -> None:
        """Record the clean copy (``key`` in the photo store), search for duplicates by
        ``photo.dhash``, and make the photo visible to staff."""
        ...

    def rejected(self, conn: Connection, job_id: int, photo_id: int, reason: str) -> None:
        """The upload is not a usable picture: record why (the sender can be told)."""
        ...


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    max_side: int
    quality: int
    max_decode_bytes: int

    @classmethod
    def of(cls, settings: IntakeSettings) -> PhotoLimits:
        return cls(
            settings.max_photo_bytes,
            settings.max_photo_pixels,
            settings.max_stored_side,
            settings.jpeg_quality,
            settings.max_decode_bytes,
        )


def stage_upload(staging: SealedStore, data: bytes, request: str) -> str:
    """Keep an upload, sealed, until the worker has processed it; returns the staged key.

    ``request`` names the request (the intake's idempotency scope and key): a retry of one
    request stages one object, and two requests with the same bytes stage two, so that
    deleting one job's upload never takes another job's.
    """
    return staging.put(data, staging.key_of(data, request.encode()))


def enqueue_photo(conn: Connection, photo_id: int, staged_key: str, priority: int = 0) -> int:
    """The job that processes photo ``photo_id``; once per photo however often it is called."""
    return enqueue(
        conn,
        PHOTO_KIND,
        {"photo_id": photo_id, "staged_key": staged_key},
        dedupe_key=f"photo:{photo_id}",
        priority=priority,
        max_attempts=MAX_ATTEMPTS,
    )


def process_photo(
    ctx: JobContext,
    *,
    staging: PhotoStore,
    photos: PhotoStore,
    sink: PhotoSink,
    limits: PhotoLimits,
) -> None:
    """The handler (see the module's docstring)."""
    photo_id = int(ctx.payload["photo_id"])
    staged = str(ctx.payload["staged_key"])
    try:
        data = staging.get(staged)
    except MissingObject:
        # Deleted only after a committed run, so this job's photo cannot be recovered.
        raise Permanent(f"photo {photo_id}: the staged upload {staged} is gone") from None
    try:
        clean = sanitise(
            data,
            max_bytes=limits.max_bytes,
            max_pixels=limits.max_pixels,
            max_side=limits.max_side,
            quality=limits.quality,
            max_decode_bytes=limits.max_decode_bytes,
        )
    except IntakeError as exc:  # not a usable picture: an answer, not a failure
        sink.rejected(ctx.conn, ctx.job.id, photo_id, str(exc))
    else:
        key = photos.put(clean.data)  # durable before the row that points at it
        sink.processed(ctx.conn, ctx.job.id, photo_id, clean, key)
    ctx.after_commit(lambda: staging.delete(staged))


def photo_kind(
    *,
    staging: PhotoStore,
    photos: PhotoStore,
    sink: PhotoSink,
    settings: IntakeSettings | None = None,
    lease_s: float = 120.0,
) -> JobKind:
    """The ``photo.process`` kind, bound to its stores and the intake's sink."""
    limits = PhotoLimits.of(settings or IntakeSettings())

    def handler(ctx: JobContext) -> None:
        process_photo(ctx, staging=staging, photos=photos, sink=sink, limits=limits)

    return JobKind(PHOTO_KIND, handler, max_attempts=MAX_ATTEMPTS, lease_s=lease_s)


def sweep_staged(engine: Engine, staging: PhotoStore) -> int:
    """Delete staged uploads whose photo job is done (left behind when a worker stopped
    between its commit and the delete). Uploads of unfinished or dead jobs stay: a dead job
    can be retried. Returns how many were deleted."""
    waiting = set(staging.keys())
    if not waiting:
        return 0
    key = jobs.c.payload["staged_key"].as_string()
    with engine.connect() as conn:
        done = set(
            conn.execute(
                select(key).where(jobs.c.kind == PHOTO_KIND, jobs.c.state == DONE)
            ).scalars()
        )
        unfinished = set(
            conn.execute(
                select(key).where(jobs.c.kind == PHOTO_KIND, jobs.c.state != DONE)
            ).scalars()
        )
    leftovers = (waiting & done) - unfinished  # one job per staged key; this is a safeguard
    for staged in leftovers:
        staging.delete(staged)
    return len(leftovers)
