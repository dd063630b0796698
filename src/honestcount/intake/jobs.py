"""The intake's side of the photo job: what a worker records once an upload is processed.

With ``photo_jobs`` on, a request keeps the upload sealed in the staging store and records
the photo as "processing" (:func:`honestcount.intake.photos.queue_photo`); a
``honestcount worker`` runs :mod:`honestcount.jobs.photo`, which re-encodes it and hands the
result to :class:`IntakePhotoSink`. The sink's writes share the job's transaction, so the
photo becomes visible to staff ("pending") exactly when its job is marked done, and a worker
killed before the commit leaves the photo "processing" for the next attempt.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, select

from honestcount.intake import audit, translog
from honestcount.intake.imaging import CleanPhoto
from honestcount.intake.photos import find_duplicate
from honestcount.jobs.photo import photo_kind
from honestcount.jobs.registry import Registry
from honestcount.settings import IntakeSettings, StorageSettings
from honestcount.store.tables import intake_photos

log = logging.getLogger("honestcount.intake")

WORKER_ROLE = "worker"
WORKER_CHANNEL = "worker"


class IntakePhotoSink:
    """Records the photo job's outcome on the ``intake_photos`` row, with its audit entry."""

    def __init__(self, settings: IntakeSettings | None = None) -> None:
        self.settings = settings or IntakeSettings()

    def _waiting(self, conn: Connection, photo_id: int):
        p = intake_photos.c
        return conn.execute(
            select(p.election_id, p.account_id, p.status).where(p.id == photo_id).with_for_update()
        ).first()

    def _audit(self, conn: Connection, job_id: int, photo_id: int, action: str, details: dict):
        audit.append(
            conn,
            chains=self.settings.audit_chains,
            actor=None,
            role=WORKER_ROLE,
            channel=WORKER_CHANNEL,
            action=action,
            target=f"photo:{photo_id}",
            details={"job_id": job_id, **details},
            chain=photo_id,  # spread over the chains: workers do not queue on one head
            rows=translog.rows(conn, "intake_photos", id=photo_id),
        )

    def processed(
        self, conn: Connection, job_id: int, photo_id: int, photo: CleanPhoto, key: str
    ) -> None:
        row = self._waiting(conn, photo_id)
        if row is None or row.status != "processing":
            log.warning("photo %s: not waiting for its job (%s)", photo_id, row and row.status)
            return
        duplicate = find_duplicate(conn, row.election_id, row.account_id, photo.dhash)
        p = intake_photos.c
        conn.execute(
            intake_photos.update()
            .where(p.id == photo_id, p.status == "processing")
            .values(
                storage_key=key,
                **photo.columns(),
                duplicate_of=duplicate,
                status="pending",
            )
        )
        self._audit(
            conn,
            job_id,
            photo_id,
            "photo.processed",
            {"sha256": photo.sha256, "duplicate_of": duplicate},
        )

    def rejected(self, conn: Connection, job_id: int, photo_id: int, reason: str) -> None:
        row = self._waiting(conn, photo_id)
        if row is None or row.status != "processing":
            log.warning("photo %s: not waiting for its job (%s)", photo_id, row and row.status)
            return
        p = intake_photos.c
        conn.execute(
            intake_photos.update()
            .where(p.id == photo_id, p.status == "processing")
            .values(status="rejected", reason=reason)
        )
        self._audit(conn, job_id, photo_id, "photo.unusable", {"reason": reason})


def register(registry: Registry) -> None:
    """Add the ``photo.process`` kind (a worker's registry; see ``jobs.registry``).

    Skipped, with a warning, where no staging key is configured: then no app process can
    queue photos either (``photo_jobs`` needs the same key)."""
    from honestcount.storage import photo_store, staging_store

    settings = IntakeSettings()
    storage = StorageSettings(photo_dir=settings.photo_dir)
    if storage.staging_key is None:
        log.warning("no HONESTCOUNT_STAGING_KEY: this worker does not process photos")
        return
    registry.add(
        photo_kind(
            staging=staging_store(storage),
            photos=photo_store(storage),
            sink=IntakePhotoSink(settings),
            settings=settings,
            lease_s=settings.photo_job_lease_s,
        )
    )
