"""The ledger's access log: every read of a person's record, every search, import, export,
review and purge, with who did it and why. It holds ids and counts, never a name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from honestcount.store import tables as t


def log(
    conn: Connection,
    actor: str,
    action: str,
    *,
    person_id: int | None = None,
    record_id: int | None = None,
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one access row in ``conn``'s transaction (so a read that fails is not logged as
    done, and a logged read cannot be rolled back without its log)."""
    conn.execute(
        insert(t.ledger_access),
        {
            "at": dt.datetime.now(dt.UTC),
            "actor": actor or "unknown",
            "action": action,
            "person_id": person_id,
            "record_id": record_id,
            "purpose": purpose,
            "detail": detail,
        },
    )


def log_many(
    conn: Connection,
    actor: str,
    action: str,
    person_ids: Iterable[int],
    purpose: str | None = None,
) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"at": now, "actor": actor or "unknown", "action": action, "person_id": int(p),
         "record_id": None, "purpose": purpose, "detail": None}
        for p in person_ids
    ]  # fmt: skip
    if rows:
        conn.execute(insert(t.ledger_access), rows)


def history(
    engine: Engine, *, person_id: int | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Access rows, newest first (for an organisation's own audit, not for the public)."""
    query = select(t.ledger_access).order_by(t.ledger_access.c.id.desc()).limit(limit)
    if person_id is not None:
        query = query.where(t.ledger_access.c.person_id == person_id)
    with engine.connect() as conn:
        return [
            {**row._asdict(), "at": row.at.isoformat() if row.at else None}
            for row in conn.execute(query)
        ]
