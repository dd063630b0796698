"""Migration 0009 creates exactly the table of store.tables.jobs."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from honestcount.store.db import make_engine
from honestcount.store.tables import metadata
from honestcount.store.tables.jobs import jobs


def test_migration_matches_schema(db_url):
    assert jobs.metadata is metadata
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() >= "0009"
        diffs = compare_metadata(context, metadata)
        names = {ix["name"] for ix in conn.dialect.get_indexes(conn, "jobs")}
    ours = [d for d in diffs if "jobs" in repr(d)]
    assert ours == []
    assert {"ix_jobs_claimable", "ix_jobs_state"} <= names
    engine.dispose()
