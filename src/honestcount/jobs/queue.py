"""A job queue in the database: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, one
writer at a time on SQLite.

A claimed job holds a *lease* (a deadline and a random token). The worker's heartbeat extends
it; a worker that dies stops extending it, and once it runs out another worker claims the job
again. Finishing a job checks the token inside the transaction that holds the handler's
database writes, so a worker whose lease was taken over cannot commit anything: each job's
effects are committed exactly once.

Time comes from the database's clock on PostgreSQL (hosts' clocks may disagree) and from this
process's clock on SQLite (one host).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Interval,
    and_,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from honestcount.store.tables.jobs import jobs

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
STATES = (QUEUED, RUNNING, DONE, DEAD)
_ERROR_CHARS = 4000


class LeaseLost(Exception):
    """This worker's lease on the job ran out and another worker holds the job now."""


@dataclass(frozen=True)
class Job:
    """A claimed job, as its worker sees it."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one
    max_attempts: int
    token: str
    worker: str


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now(conn: Connection) -> ColumnElement[dt.datetime]:
    if conn.dialect.name == "postgresql":
        return func.now()
    return literal(_utcnow(), DateTime(timezone=True))


def _later(conn: Connection, seconds: float) -> ColumnElement[dt.datetime]:
    delta = dt.timedelta(seconds=seconds)
    if conn.dialect.name == "postgresql":
        return func.now() + literal(delta, Interval())
    return literal(_utcnow() + delta, DateTime(timezone=True))


def enqueue(
    conn: Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    priority: int = 0,
    delay_s: float = 0.0,
    max_attempts: int = 5,
) -> int:
    """Add a job inside the caller's transaction (so it exists exactly when the caller's own
    writes do); returns its id. With ``dedupe_key``, a second enqueue returns the first id."""
    values = dict(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        state=QUEUED,
        priority=priority,
        attempts=0,
        max_attempts=max_attempts,
        run_after=_later(conn, delay_s),
        created_at=_now(conn),
    )
    if dedupe_key is None:
        return int(conn.execute(jobs.insert().values(**values).returning(jobs.c.id)).scalar_one())
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(jobs).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    got = conn.execute(stmt.returning(jobs.c.id)).scalar_one_or_none()
    if got is not None:
        return int(got)
    return int(conn.execute(select(jobs.c.id).where(jobs.c.dedupe_key == dedupe_key)).scalar_one())


def _reap(conn: Connection, kinds: list[str]) -> int:
    """Jobs whose last allowed attempt died with its worker go to the dead letters."""
    j = jobs.c
    result = conn.execute(
        update(jobs)
        .where(
            j.kind.in_(kinds),
            j.state == RUNNING,
            j.lease_until < _now(conn),
            j.attempts >= j.max_attempts,
        )
        .values(
            state=DEAD,
            lease_token=None,
            finished_at=_now(conn),
            last_error="the worker stopped (lease expired) on the last allowed attempt",
        )
    )
    return int(result.rowcount or 0)


def claim(
    engine: Engine, kinds: list[str], worker: str, lease_s: float, *, reap: bool = True
) -> Job | None:
    """The next ready job of ``kinds`` leased to ``worker``, or None; its own transaction.
    ``reap`` first buries jobs whose worker died on their last attempt (a busy worker does
    that now and then, not before every claim)."""
    j = jobs.c
    token = secrets.token_hex(16)
    with engine.begin() as conn:
        if reap:
            _reap(conn, kinds)
        now = _now(conn)
        ready = or_(
            and_(j.state == QUEUED, j.run_after <= now),
            and_(j.state == RUNNING, j.lease_until < now, j.attempts < j.max_attempts),
        )
        chosen = (
            select(j.id)
            .where(j.kind.in_(kinds), ready)
            .order_by(j.priority.desc(), j.id)  # the order of ix_jobs_claimable
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        row = conn.execute(
            update(jobs)
            .where(j.id == chosen)
            .values(
                state=RUNNING,
                attempts=j.attempts + 1,
                lease_until=_later(conn, lease_s),
                lease_token=token,
                worker=worker[:128],
            )
            .returning(j.id, j.kind, j.payload, j.attempts, j.max_attempts)
        ).first()
    if row is None:
        return None
    return Job(
        int(row.id), row.kind, dict(row.payload), row.attempts, row.max_attempts, token, worker
    )


def _held(job: Job) -> ColumnElement[bool]:
    return and_(jobs.c.id == job.id, jobs.c.state == RUNNING, jobs.c.lease_token == job.token)


def extend(engine: Engine, job: Job, lease_s: float) -> bool:
    """Extend the lease (the heartbeat); False once another worker holds the job."""
    with engine.begin() as conn:
        result = conn.execute(
            update(jobs).where(_held(job)).values(lease_until=_later(conn, lease_s))
        )
        return bool(result.rowcount)


def complete(conn: Connection, job: Job) -> None:
    """Mark the job done inside ``conn``'s transaction; raises :class:`LeaseLost` if this
    worker no longer holds it (the caller rolls back, and the handler's writes with it)."""
    result = conn.execute(
        update(jobs)
        .where(_held(job))
        .values(state=DONE, lease_token=None, lease_until=None, finished_at=_now(conn))
    )
    if not result.rowcount:
        raise LeaseLost(f"job {job.id}: the lease ran out and another worker holds it")


def fail(engine: Engine, job: Job, error: str, *, retry_in_s: float | None) -> str:
    """Record a failed attempt: back to the queue after ``retry_in_s`` (None: to the dead
    letters now; so too when it was the last allowed attempt). Returns the new state, or
    ``""`` when this worker no longer holds the job."""
    state = DEAD if retry_in_s is None or job.attempts >= job.max_attempts else QUEUED
    with engine.begin() as conn:
        values: dict[str, Any] = dict(
            state=state, lease_token=None, lease_until=None, last_error=error[-_ERROR_CHARS:]
        )
        if state == QUEUED:
            values["run_after"] = _later(conn, retry_in_s or 0.0)
        else:
            values["finished_at"] = _now(conn)
        result = conn.execute(update(jobs).where(_held(job)).values(**values))
    return state if result.rowcount else ""


def dead_letters(conn: Connection, kind: str | None = None, limit: int = 100) -> list[dict]:
    """The dead jobs, newest first: what failed, how often, and the last error."""
    j = jobs.c
    query = select(
        j.id, j.kind, j.payload, j.attempts, j.last_error, j.created_at, j.finished_at
    ).where(j.state == DEAD)
    if kind is not None:
        query = query.where(j.kind == kind)
    rows = conn.execute(query.order_by(j.finished_at.desc(), j.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def retry_dead(conn: Connection, ids: list[int] | None = None) -> int:
    """Return dead jobs (all, or those of ``ids``) to the queue with fresh attempts."""
    stmt = update(jobs).where(jobs.c.state == DEAD)
    if ids is not None:
        stmt = stmt.where(jobs.c.id.in_(ids))
    result = conn.execute(
        stmt.values(state=QUEUED, attempts=0, run_after=_now(conn), finished_at=None)
    )
    return int(result.rowcount or 0)


def counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Jobs by kind and state."""
    rows = conn.execute(
        select(jobs.c.kind, jobs.c.state, func.count()).group_by(jobs.c.kind, jobs.c.state)
    )
    out: dict[str, dict[str, int]] = {}
    for kind, state, n in rows:
        out.setdefault(kind, dict.fromkeys(STATES, 0))[state] = int(n)
    return out


def pending(conn: Connection, kinds: list[str]) -> int:
    """Jobs of ``kinds`` not yet finished (queued, or running under some worker's lease)."""
    query = select(func.count()).where(jobs.c.kind.in_(kinds), jobs.c.state.in_([QUEUED, RUNNING]))
    return int(conn.execute(query).scalar_one())


def prune(conn: Connection, older_than_s: float) -> int:
    """Delete done jobs finished more than ``older_than_s`` ago (dead ones are kept)."""
    cutoff = _later(conn, -older_than_s)
    result = conn.execute(jobs.delete().where(jobs.c.state == DONE, jobs.c.finished_at < cutoff))
    return int(result.rowcount or 0)
