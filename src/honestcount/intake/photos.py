"""Photos sent to the intake: a voter's ballot (front or back), a station's protocol."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Connection, or_, select

from honestcount.intake import translog
from honestcount.intake.core import (
    Account,
    Intake,
    Outcome,
    deadline,
    iso,
    now,
    observed_station,
    require_election,
    require_role,
)
from honestcount.intake.errors import Invalid, NotFound
from honestcount.intake.imaging import CleanPhoto, check_header, dhash_bands, hamming, sanitise
from honestcount.intake.security import Role
from honestcount.jobs.photo import enqueue_photo, stage_upload
from honestcount.store.tables import intake_photos

DUPLICATE_DISTANCE = 3  # dHash bits; the four 16-bit bands find every pair within this


BALLOT_SIDES = ("front", "back")


def _photo_body(row) -> dict:
    return {
        "photo_id": row["id"],
        "election_id": row["election_id"],
        "station_id": row["station_id"],
        "kind": row["kind"],
        "status": row["status"],
        "sha256": row["sha256"],
        "width": row["width"],
        "height": row["height"],
        "duplicate_of": row["duplicate_of"],
    }


def find_duplicate(conn: Connection, election_id: str, account_id: int, value: int) -> int | None:
    """The first photo of another account whose dHash is within DUPLICATE_DISTANCE."""
    p = intake_photos.c
    b0, b1, b2, b3 = dhash_bands(value)
    rows = conn.execute(
        select(p.id, p.dhash)
        .where(
            p.election_id == election_id,
            p.account_id != account_id,
            or_(p.dh0 == b0, p.dh1 == b1, p.dh2 == b2, p.dh3 == b3),
        )
        .order_by(p.id)
        .limit(1000)
    ).all()
    for row in rows:
        if hamming(int(row.dhash, 16), value) <= DUPLICATE_DISTANCE:
            return int(row.id)
    return None


def store_photo(
    ix: Intake,
    account: Account,
    election_id: str,
    station_id: str,
    kind: str,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
) -> Outcome:
    """Sanitise, store and record a photo (ballot side or protocol) exactly once per key;
    with ``photo_jobs``, queue it for the photo worker instead."""
    request = "|".join([kind, station_id, iso(captured_at) or "", hashlib.sha256(data).hexdigest()])
    request = hashlib.sha256(request.encode()).hexdigest()
    if ix.staging is not None:
        return queue_photo(
            ix, account, election_id, station_id, kind, data, key, channel, captured_at, request
        )
    clean: list[CleanPhoto] = []

    def prepare() -> None:
        s = ix.settings
        # The bounded pool: decoded pixels of at most DECODE_CONCURRENCY photos at once.
        photo = ix.decode_pool.submit(
            sanitise,
            data,
            max_bytes=s.max_photo_bytes,
            max_pixels=s.max_photo_pixels,
            max_side=s.max_stored_side,
            quality=s.jpeg_quality,
            max_decode_bytes=s.max_decode_bytes,
        ).result()
        ix.store.put(photo.data)  # durable before the row that points at it
        clean.append(photo)

    def work(conn: Connection) -> tuple[int, dict]:
        photo = clean[0]
        duplicate = find_duplicate(conn, election_id, account.id, photo.dhash)
        values = dict(
            election_id=election_id,
            station_id=station_id,
            account_id=account.id,
            kind=kind,
            storage_key=photo.sha256,
            **photo.columns(),
            received_at=now(),
            captured_at=captured_at,
            status="pending",
            duplicate_of=duplicate,
        )
        photo_id = conn.execute(
            intake_photos.insert().returning(intake_photos.c.id).values(**values)
        ).scalar_one()
        entry = ix.audit(
            conn,
            account,
            channel,
            "photo.upload",
            f"photo:{photo_id}",
            {
                "kind": kind,
                "station_id": station_id,
                "sha256": photo.sha256,
                "duplicate_of": duplicate,
            },
            rows=translog.rows(conn, "intake_photos", id=photo_id),
        )
        # The sender learns that a close copy exists, never which photo (another account's).
        body = _photo_body({**values, "id": photo_id, "duplicate_of": None})
        return 201, {**body, "duplicate": duplicate is not None, "receipt": ix.receipt(entry)}

    return ix.submit(f"acct:{account.id}", key, request, work, prepare=prepare)


def queue_photo(
    ix: Intake,
    account: Account,
    election_id: str,
    station_id: str,
    kind: str,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
    request: str,
) -> Outcome:
    """Keep the upload sealed, record it as "processing" and queue its job, in one
    transaction; the photo worker (:mod:`honestcount.intake.jobs`) does the rest."""
    scope = f"acct:{account.id}"
    staged: list[str] = []
    staging = ix.staging
    assert staging is not None

    def prepare() -> None:  # only for a new key: a retry stages nothing
        s = ix.settings
        check_header(data, max_bytes=s.max_photo_bytes, max_pixels=s.max_photo_pixels)
        staged.append(stage_upload(staging, data, f"{scope}|{key}"))  # durable first

    def work(conn: Connection) -> tuple[int, dict]:
        values = dict(
            election_id=election_id,
            station_id=station_id,
            account_id=account.id,
            kind=kind,
            received_at=now(),
            captured_at=captured_at,
            status="processing",
        )
        photo_id = conn.execute(
            intake_photos.insert().returning(intake_photos.c.id).values(**values)
        ).scalar_one()
        enqueue_photo(conn, photo_id, staged[0])
        entry = ix.audit(
            conn,
            account,
            channel,
            "photo.upload",
            f"photo:{photo_id}",
            {"kind": kind, "station_id": station_id, "status": "processing"},
            rows=translog.rows(conn, "intake_photos", id=photo_id),
        )
        body = {
            "photo_id": photo_id,
            "election_id": election_id,
            "station_id": station_id,
            "kind": kind,
            "status": "processing",
            "sha256": None,
            "width": None,
            "height": None,
            "duplicate_of": None,
            "receipt": ix.receipt(entry),
        }
        return 202, body

    return ix.submit(scope, key, request, work, prepare=prepare)


def upload_ballot(
    ix: Intake,
    voter: Account,
    election_id: str,
    side: str,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
) -> Outcome:
    require_role(voter, Role.VOTER)
    require_election(voter, election_id)
    ix.election(election_id)
    if side not in BALLOT_SIDES:
        raise Invalid("side must be front or back")
    deadline(ix.election_rules(election_id).upload_deadline, "uploads")
    if voter.station_id is None:  # a voter registers with a station: never the case
        raise Invalid("this voter account has no station")
    return store_photo(
        ix, voter, election_id, voter.station_id, f"ballot_{side}", data, key, channel, captured_at
    )


def upload_protocol(
    ix: Intake,
    account: Account,
    election_id: str,
    station_id: str | None,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
) -> Outcome:
    require_role(account, Role.OBSERVER, Role.VOTER)
    require_election(account, election_id)
    ix.election(election_id)
    station_id = observed_station(ix, account, election_id, station_id)
    deadline(ix.election_rules(election_id).upload_deadline, "uploads")
    return store_photo(
        ix, account, election_id, station_id, "protocol", data, key, channel, captured_at
    )


def read_photo(ix: Intake, account: Account, photo_id: int) -> bytes:
    with ix.reader.connect() as conn:
        row = conn.execute(
            select(
                intake_photos.c.account_id, intake_photos.c.storage_key, intake_photos.c.election_id
            ).where(intake_photos.c.id == photo_id)
        ).first()
    staff = account.role in (Role.ADMIN, Role.MODERATOR, Role.DIGITISER)
    if row is None or (not staff and row.account_id != account.id):
        # Another account's photo answers as a missing one: its existence is not revealed.
        raise NotFound(f"no photo {photo_id}")
    if staff:
        require_election(account, row.election_id)
    if row.storage_key is None:  # its job has not run yet, or found no usable picture
        raise NotFound(f"photo {photo_id} has no processed copy (yet)")
    return ix.store.get(row.storage_key)
