"""Digitisation: protocol photos typed in twice; two identical entries make it official."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, exists, func, select

from honestcount.checks.rules import check_all
from honestcount.intake import audit, translog
from honestcount.intake.core import (
    Account,
    ElectionInfo,
    Intake,
    now,
    require_election,
    require_role,
)
from honestcount.intake.errors import Conflict, Forbidden, Invalid, NotFound
from honestcount.intake.security import Role
from honestcount.model import PROTOCOL_LINES, Election, OfficialSource
from honestcount.sources.assemble import assemble
from honestcount.store import tables as t
from honestcount.store.tables import (
    intake_accounts,
    intake_photos,
    intake_protocol_entries,
    intake_protocol_results,
)

PHOTO_SOURCE = OfficialSource.PHOTOGRAPHED_PROTOCOL.value


def digitisation_task(ix: Intake, digitiser: Account, election_id: str | None) -> dict | None:
    """The next protocol photo this digitiser has not typed (disputed ones first)."""
    require_role(digitiser, Role.DIGITISER, Role.ADMIN)
    if election_id is None:
        election_id = digitiser.election_id
    else:
        require_election(digitiser, election_id)
    p, e = intake_photos.c, intake_protocol_entries.c
    typed = intake_protocol_entries.alias("typed")
    mine = exists().where(typed.c.photo_id == p.id, typed.c.digitiser_id == digitiser.id)
    query = (
        select(p.id, p.election_id, p.station_id, p.status, func.count(e.id).label("n"))
        .select_from(intake_photos.outerjoin(intake_protocol_entries, e.photo_id == p.id))
        .where(
            p.kind == "protocol",
            p.status.in_(["pending", "disputed"]),
            p.account_id != digitiser.id,
            ~mine,
        )
        .group_by(p.id, p.election_id, p.station_id, p.status)
        .order_by(func.count(e.id).desc(), p.id)
        .limit(1)
    )
    if election_id is not None:
        query = query.where(p.election_id == election_id)
    with ix.reader.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    info = ix.election(row.election_id)
    names = {o.id: o.name for o in info.options}
    return {
        "photo_id": row.id,
        "election_id": row.election_id,
        "station_id": row.station_id,
        "status": row.status,
        "entries_so_far": row.n,
        "url": f"photos/{row.id}",
        "lines": [
            {"name": n, "description": PROTOCOL_LINES.get(n, n)} for n in info.protocol_lines
        ],
        "options": [{"id": o, "name": names[o]} for o in info.protocol_options],
    }


def protocol_checks(
    info: ElectionInfo, station_id: str, lines: dict[str, int], votes: dict[str, int]
) -> list[dict]:
    """The protocol rules of the election's schema, on one typed-in protocol."""
    election = Election(info.id, info.name, "", protocol_schema=info.protocol_schema)
    index = pd.Index([station_id], name="station_id")
    data = assemble(
        election,
        list(info.options),
        pd.DataFrame(index=index),
        lines=pd.DataFrame({k: [float(v)] for k, v in lines.items()}, index=index),
        official=pd.DataFrame({k: [float(v)] for k, v in votes.items()}, index=index),
        official_source=PHOTO_SOURCE,
    )
    out = []
    for outcome in check_all(data):
        left, right = outcome.left[0], outcome.right[0]
        out.append(
            {
                "rule": outcome.rule.id,
                "description": outcome.rule.description,
                "status": str(outcome.status[0]),
                "left": None if np.isnan(left) else float(left),
                "right": None if np.isnan(right) else float(right),
            }
        )
    return out


def _station_pk(conn: Connection, election_id: str, station_id: str) -> int | None:
    return conn.execute(
        select(t.stations.c.pk).where(
            t.stations.c.election_id == election_id, t.stations.c.station_id == station_id
        )
    ).scalar()


def _official_rows(conn: Connection, pk: int) -> dict:
    lines = dict(
        conn.execute(
            select(t.protocol_lines.c.line, t.protocol_lines.c.value).where(
                t.protocol_lines.c.station_pk == pk, t.protocol_lines.c.source == PHOTO_SOURCE
            )
        ).all()
    )
    votes = dict(
        conn.execute(
            select(t.official_votes.c.option_id, t.official_votes.c.votes).where(
                t.official_votes.c.station_pk == pk, t.official_votes.c.source == PHOTO_SOURCE
            )
        ).all()
    )
    return {"lines": lines, "votes": votes}


def write_official(conn: Connection, election_id: str, station_id: str, entry: dict) -> str:
    """Write an agreed protocol as the station's ``photographed_protocol``.

    Returns ``written``, ``same`` (already there), ``conflict`` (a different photographed
    protocol is stored; nothing written) or ``no_station`` (the election was re-imported
    without it).
    """
    pk = _station_pk(conn, election_id, station_id)
    if pk is None:
        return "no_station"
    existing = _official_rows(conn, pk)
    if existing["lines"] or existing["votes"]:
        return "same" if existing == entry else "conflict"
    for line, value in entry["lines"].items():
        conn.execute(
            t.protocol_lines.insert().values(
                station_pk=pk, source=PHOTO_SOURCE, line=line, value=value
            )
        )
    for option, value in entry["votes"].items():
        conn.execute(
            t.official_votes.insert().values(
                station_pk=pk, source=PHOTO_SOURCE, option_id=option, votes=value
            )
        )
    return "written"


def settle(
    conn: Connection, photo_id: int, photo: Any, entry: dict, agreed: str | None, typed: int
) -> tuple[str, str | None]:
    """The photo's status once an entry is in, and what became of the official protocol:
    written, the same as stored, a conflict with it, or nothing yet (no two agree)."""
    if agreed is None:
        return ("disputed" if typed >= 2 else "pending"), None
    text = audit.canonical(entry)
    r = intake_protocol_results.c
    stored = conn.execute(
        select(r.entry).where(r.election_id == photo.election_id, r.station_id == photo.station_id)
    ).first()
    if stored is not None:
        return ("agreed", "same") if stored.entry == text else ("conflict", "conflict")
    result = write_official(conn, photo.election_id, photo.station_id, entry)
    if result == "conflict":
        return "conflict", result
    conn.execute(
        intake_protocol_results.insert().values(
            election_id=photo.election_id,
            station_id=photo.station_id,
            photo_id=photo_id,
            entry=text,
            agreed_at=now(),
        )
    )
    return "agreed", result


def submit_entry(
    ix: Intake,
    digitiser: Account,
    photo_id: int,
    lines: dict[str, int],
    votes: dict[str, int],
    channel: str,
) -> dict:
    """One digitiser's typing of a protocol photo; two identical entries make it official."""
    require_role(digitiser, Role.DIGITISER, Role.ADMIN)
    with ix.reader.connect() as conn:
        photo = conn.execute(
            select(
                intake_photos.c.election_id, intake_photos.c.station_id, intake_photos.c.kind
            ).where(intake_photos.c.id == photo_id)
        ).first()
    if photo is None or photo.kind != "protocol":
        raise NotFound(f"no protocol photo {photo_id}")
    require_election(digitiser, photo.election_id)
    info = ix.election(photo.election_id)
    unknown_lines = sorted(set(lines) - set(info.protocol_lines))
    unknown_votes = sorted(set(votes) - set(info.protocol_options))
    if unknown_lines:
        raise Invalid(f"unknown protocol lines {unknown_lines}")
    if unknown_votes:
        raise Invalid(f"unknown options {unknown_votes}")
    if not lines and not votes:
        raise Invalid("the entry is empty")
    entry = {"lines": dict(sorted(lines.items())), "votes": dict(sorted(votes.items()))}
    text = audit.canonical(entry)
    entry_hash = hashlib.sha256(text.encode()).hexdigest()
    checks = protocol_checks(info, photo.station_id, lines, votes)
    failed = [c["rule"] for c in checks if c["status"] == "fail"]
    p, e = intake_photos.c, intake_protocol_entries.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(p.status, p.account_id).where(p.id == photo_id).with_for_update()
        ).one()
        if row.account_id == digitiser.id:
            raise Forbidden("nobody digitises their own submission")
        if row.status in ("agreed", "conflict"):
            raise Conflict(f"photo {photo_id} is already digitised ({row.status})")
        entry_id = conn.execute(
            intake_protocol_entries.insert()
            .returning(intake_protocol_entries.c.id)
            .values(
                photo_id=photo_id,
                digitiser_id=digitiser.id,
                entry=text,
                entry_hash=entry_hash,
                failed_rules=json.dumps(failed),
                created_at=now(),
            )
        ).scalar_one()
        typed = conn.execute(select(e.entry_hash, e.digitiser_id).where(e.photo_id == photo_id))
        found = [(h, d) for h, d in typed]
        hashes = [h for h, _ in found]
        agreed = agreed_entry(conn, found, row.account_id, ix.settings.two_person_rule)
        status, result = settle(conn, photo_id, photo, entry, agreed, len(hashes))
        conn.execute(
            intake_photos.update()
            .where(p.id == photo_id)
            .values(status=status, agreed_entry=agreed)
        )
        rows = translog.rows(conn, "intake_protocol_entries", id=entry_id)
        rows |= translog.rows(conn, "intake_photos", id=photo_id)
        if result == "written":
            rows |= translog.rows(
                conn,
                "intake_protocol_results",
                election_id=photo.election_id,
                station_id=photo.station_id,
            )
            rows |= translog.official_rows(conn, photo.election_id, photo.station_id)
        ix.audit(
            conn,
            digitiser,
            channel,
            "protocol.entry",
            f"photo:{photo_id}",
            {"entry_hash": entry_hash, "status": status, "official": result},
            rows=rows,
        )
        return {
            "photo_id": photo_id,
            "station_id": photo.station_id,
            "status": status,
            "entries": len(hashes),
            "official": result,
            "checks": checks,
            "failed_rules": failed,
        }

    return ix.write(work, conflict="you already typed this protocol")


def persons(conn: Connection, ids: set[int]) -> dict[int, set[int]]:
    """Each account with the admins who created and approved it: the people behind it."""
    a = intake_accounts.c
    found = conn.execute(
        select(a.id, a.created_by, a.approved_by).where(a.id.in_(sorted(ids)))
    ).all()
    return {r.id: {x for x in (r.id, r.created_by, r.approved_by) if x is not None} for r in found}


def agreed_entry(
    conn: Connection, entries: list[tuple[str, int]], uploader: int, per_person: bool
) -> str | None:
    """The entry two digitisers typed alike, or None.

    With ``per_person`` the two must stand for different people: no admin created or
    approved both of them, and none of them is (or was made by) the photo's sender, so one
    admin (or a pair) cannot make an invented protocol official with accounts of their own.
    """
    by_hash: dict[str, list[int]] = {}
    for h, digitiser in entries:
        by_hash.setdefault(h, []).append(digitiser)
    if not per_person:
        agreeing = [h for h, ids in by_hash.items() if len(ids) >= 2]
        return max(agreeing, key=lambda h: len(by_hash[h])) if agreeing else None
    people = persons(conn, {d for _, d in entries} | {uploader})
    sender = people.get(uploader, {uploader})
    for h, ids in by_hash.items():
        free = [people.get(d, {d}) for d in ids if not people.get(d, {d}) & sender]
        if any(not x & y for i, x in enumerate(free) for y in free[i + 1 :]):
            return h
    return None


def digitisation_conflicts(ix: Intake, admin: Account, election_id: str) -> list[dict]:
    require_role(admin, Role.ADMIN)
    p = intake_photos.c
    with ix.reader.connect() as conn:
        rows = conn.execute(
            select(p.id, p.station_id, p.agreed_entry)
            .where(p.election_id == election_id, p.kind == "protocol", p.status == "conflict")
            .order_by(p.id)
        ).all()
    return [
        {"photo_id": r.id, "station_id": r.station_id, "entry_hash": r.agreed_entry} for r in rows
    ]
