"""Tables of the store. Evidence layers live in separate tables, each row with its source.

A count that is not known has no row (or a NULL): nothing is ever stored as zero for unknown.
Station rows get an integer key (``pk``) so the long evidence tables stay small; an election's
stations take one contiguous block of keys, so its evidence is a key range.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from honestcount.store.tables.base import election_fk, metadata, station_fk

elections = Table(
    "elections",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(64), nullable=False),
    Column("date", Date),
    Column("protocol_schema", String(64), nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("imported_at", DateTime(timezone=True)),
    Column("import_format", String(32)),
    Column("import_path", Text),
    Column("import_sha256", String(64)),
    Column("leader", String(128)),  # the option the forensics follow; NULL: most votes
)

options = Table(
    "options",
    metadata,
    election_fk(primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("position", Integer, nullable=False),
)

stations = Table(
    "stations",
    metadata,
    Column("pk", BigInteger, primary_key=True, autoincrement=False),
    election_fk(),
    Column("station_id", String(256), nullable=False),
    Column("region", Text),
    Column("district", Text),
    Column("settlement_type", String(64)),
    Column("town", Text),
    Column("name", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("registered_voters", BigInteger),
    Column("url", Text),
    UniqueConstraint("election_id", "station_id"),
)

protocol_lines = Table(
    "protocol_lines",
    metadata,
    station_fk(),
    Column("source", String(32), primary_key=True),
    Column("line", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

official_votes = Table(
    "official_votes",
    metadata,
    station_fk(),
    Column("source", String(32), primary_key=True),
    Column("option_id", String(128), primary_key=True),
    Column("votes", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

voter_evidence = Table(
    "voter_evidence",
    metadata,
    station_fk(),
    Column("option_id", String(128), primary_key=True),
    Column("declared", BigInteger),
    Column("photo", BigInteger),
    Column("source", String(64), nullable=False),
    sqlite_with_rowid=False,
)

observer_reports = Table(
    "observer_reports",
    metadata,
    station_fk(),
    Column("source", String(64), primary_key=True),
    Column("observers", Integer),
    Column("turnout_count", BigInteger),
)

observer_violations = Table(
    "observer_violations",
    metadata,
    station_fk(),
    Column("source", String(64), primary_key=True),
    Column("code", String(32), primary_key=True),
    sqlite_with_rowid=False,
)

violation_codes = Table(
    "violation_codes",
    metadata,
    election_fk(primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("reason", Text, nullable=False),
)

national_totals = Table(
    "national_totals",
    metadata,
    election_fk(primary_key=True),
    Column("line", String(128), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("note", Text),
)

data_quality = Table(
    "data_quality",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    election_fk(),
    Column("station_id", String(256)),
    Column("rule", String(128), nullable=False),
    Column("detail", Text, nullable=False),
    Column("values", JSON),
    Index("ix_data_quality_election", "election_id"),
)

Index("ix_stations_election", stations.c.election_id)

# Each protocol line's caption in the source and, for derived lines, what it was derived from.
protocol_captions = Table(
    "protocol_captions",
    metadata,
    election_fk(primary_key=True),
    Column("line", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("caption", Text),
    Column("derived_from", Text),
)

# A columnar copy (Arrow IPC) of an election's frames, written with its rows in one
# transaction: loading it is two orders of magnitude faster than rebuilding frames from rows.
# ``digest`` is the SHA-256 of ``frames``; ``rows`` the evidence row counts it was made from.
election_snapshots = Table(
    "election_snapshots",
    metadata,
    election_fk(primary_key=True),
    Column("format", String(32), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("rows", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("frames", LargeBinary, nullable=False),
)

verifications = Table(
    "verifications",
    metadata,
    election_fk(primary_key=True),
    Column("evidence_digest", String(64), nullable=False),
    Column("thresholds", JSON, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("report", JSON, nullable=False),
)

station_verdicts = Table(
    "station_verdicts",
    metadata,
    station_fk(),
    Column("verdict", String(32), nullable=False),
    Column("proven_excess", BigInteger, nullable=False),
    Column("details", JSON, nullable=False),
    sqlite_with_rowid=False,
)

__all__ = [
    "elections",
    "options",
    "stations",
    "protocol_lines",
    "official_votes",
    "voter_evidence",
    "observer_reports",
    "observer_violations",
    "violation_codes",
    "national_totals",
    "data_quality",
    "protocol_captions",
    "election_snapshots",
    "verifications",
    "station_verdicts",
]
