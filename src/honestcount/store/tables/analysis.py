"""Stored analyses: each estimate or forensics run, with its parameters and evidence digest.

Pages, open data and the static export read these rows and never recompute with parameters of
their own, so what a page shows is what a command printed (and the page says with which
parameters). A row is current while its ``evidence_digest`` equals the election's.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, String, Table

from honestcount.store.tables.base import election_fk, metadata

analyses = Table(
    "analyses",
    metadata,
    election_fk(primary_key=True),
    Column("kind", String(32), primary_key=True),  # estimate | forensics
    Column("parameters_digest", String(64), primary_key=True),
    Column("parameters", JSON, nullable=False),
    Column("evidence_digest", String(64), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("result", JSON, nullable=False),
    Index("ix_analyses_latest", "election_id", "kind", "computed_at"),
)

__all__ = ["analyses"]
