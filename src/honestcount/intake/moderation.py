"""Moderation: a person other than the sender accepts or rejects each ballot photo."""

from __future__ import annotations

from sqlalchemy import Connection, select

from honestcount.intake import translog
from honestcount.intake.core import (
    Account,
    Intake,
    iso,
    now,
    require_election,
    require_role,
    utc,
)
from honestcount.intake.errors import Conflict, Forbidden, Invalid, NotFound
from honestcount.intake.security import Role
from honestcount.store.tables import intake_declarations, intake_photos


def moderation_queue(
    ix: Intake, moderator: Account, election_id: str | None, limit: int
) -> list[dict]:
    require_role(moderator, Role.MODERATOR, Role.ADMIN)
    if election_id is not None:
        require_election(moderator, election_id)
    elif moderator.election_id is not None:
        election_id = moderator.election_id
    p, d = intake_photos.c, intake_declarations.c
    query = (
        select(
            p.id,
            p.election_id,
            p.station_id,
            p.kind,
            p.duplicate_of,
            p.received_at,
            p.width,
            p.height,
            d.option_id,
        )
        .select_from(intake_photos.outerjoin(intake_declarations, d.account_id == p.account_id))
        .where(
            p.kind.in_(["ballot_front", "ballot_back"]),
            p.status == "pending",
            p.account_id != moderator.id,
        )
        .order_by(p.id)
        .limit(limit)
    )
    if election_id is not None:
        query = query.where(p.election_id == election_id)
    with ix.reader.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "photo_id": r.id,
            "election_id": r.election_id,
            "station_id": r.station_id,
            "side": r.kind.removeprefix("ballot_"),
            "declared_option": r.option_id,
            "duplicate_of": r.duplicate_of,
            "received_at": iso(utc(r.received_at)),
            "width": r.width,
            "height": r.height,
            "url": f"photos/{r.id}",
        }
        for r in rows
    ]


def moderate(
    ix: Intake, moderator: Account, photo_id: int, decision: str, reason: str | None, channel: str
) -> dict:
    require_role(moderator, Role.MODERATOR, Role.ADMIN)
    if decision not in ("accept", "reject"):
        raise Invalid("decision must be accept or reject")
    if decision == "reject" and not reason:
        raise Invalid("a rejection needs a reason")
    p = intake_photos.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(p.id, p.account_id, p.kind, p.status, p.election_id)
            .where(p.id == photo_id)
            .with_for_update()
        ).first()
        if row is None or not row.kind.startswith("ballot_"):
            raise NotFound(f"no ballot photo {photo_id}")
        require_election(moderator, row.election_id)
        if row.account_id == moderator.id:
            raise Forbidden("nobody moderates their own submission")
        if row.status != "pending":
            raise Conflict(f"photo {photo_id} was already moderated ({row.status})")
        # Lock the sender's declaration: a change of choice cannot slip past this decision.
        declared = conn.execute(
            select(intake_declarations.c.option_id)
            .where(intake_declarations.c.account_id == row.account_id)
            .with_for_update()
        ).first()
        status = "accepted" if decision == "accept" else "rejected"
        conn.execute(
            intake_photos.update()
            .where(p.id == photo_id)
            .values(status=status, moderator_id=moderator.id, moderated_at=now(), reason=reason)
        )
        ix.audit(
            conn,
            moderator,
            channel,
            f"photo.{status}",
            f"photo:{photo_id}",
            {"reason": reason, "declared_option": None if declared is None else declared[0]},
            rows=translog.rows(conn, "intake_photos", id=photo_id),
        )
        confirmed = status == "accepted" and row.kind == "ballot_front" and declared is not None
        return {
            "photo_id": photo_id,
            "status": status,
            "reason": reason,
            "vote_photo_confirmed": confirmed,
        }

    return ix.write(work)
