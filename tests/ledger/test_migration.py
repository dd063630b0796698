"""Migration 0004 creates exactly the tables of ledger_schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from honestcount.store.db import make_engine
from honestcount.store.tables import ledger as ledger_schema
from honestcount.store.tables import metadata


def test_migration_matches_schema(db_url):
    assert ledger_schema.ledger_records.metadata is metadata
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() >= "0004"
        diffs = compare_metadata(context, metadata)
    ours = [d for d in diffs if "ledger_" in repr(d)]
    assert ours == []
    engine.dispose()
