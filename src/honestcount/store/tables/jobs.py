"""The job queue: work that runs after the request that asked for it (``honestcount.jobs``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from honestcount.store.tables.base import metadata

__all__ = ["jobs"]

# Jobs a worker may claim: waiting ones, and running ones whose lease may have run out.
_CLAIMABLE = text("state IN ('queued', 'running')")

jobs = Table(
    "jobs",
    metadata,
    # SQLite gives a rowid (autoincrement) only to an INTEGER PRIMARY KEY.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    # Enqueueing the same dedupe_key twice gives one job (e.g. "photo:123").
    Column("dedupe_key", String(128)),
    Column("state", String(16), nullable=False),  # queued, running, done, dead
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    # Fences a worker whose lease ran out: only the holder of the current token can finish.
    Column("lease_token", String(32)),
    Column("worker", String(128)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("dedupe_key", name="uq_jobs_dedupe_key"),
    Index("ix_jobs_state", "state", "finished_at"),
)

# In the order workers take jobs, over unfinished jobs only: a claim reads the first ready
# entries, not every waiting job (half a million photos may wait after the polls close).
Index(
    "ix_jobs_claimable",
    jobs.c.priority.desc(),
    jobs.c.id,
    postgresql_where=_CLAIMABLE,
    sqlite_where=_CLAIMABLE,
)
