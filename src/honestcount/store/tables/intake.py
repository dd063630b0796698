"""Tables of the intake service: accounts, submissions, photos, digitisation and the audit log.

They live in the same ``metadata`` as the evidence tables (one store, one migration chain).
Intake rows name their election and station by id, not by ``stations.pk`` and without a
foreign key to ``elections``: re-importing an election (which deletes and re-creates its
stations) must neither cascade into what citizens submitted nor be blocked by it. What the
intake proves is written into the evidence tables by ``honestcount.intake.evidence``.

No raw phone number is ever stored: an account holds HMAC(server secret, number), and the
photos stored are re-encoded copies with every piece of metadata dropped.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from honestcount.store.tables.base import metadata

ELECTION = 64  # lengths as in honestcount.store.tables.evidence
STATION = 256
OPTION = 128


def _account_fk(name: str = "account_id", nullable: bool = False) -> Column:
    return Column(name, Integer, ForeignKey("intake_accounts.id"), nullable=nullable)


intake_settings = Table(
    "intake_settings",
    metadata,
    Column("election_id", String(ELECTION), primary_key=True),
    Column("embargo_lifted_at", DateTime(timezone=True)),
    Column("min_group_size", Integer),
    Column("registration_deadline", DateTime(timezone=True)),
    Column("declaration_deadline", DateTime(timezone=True)),
    Column("upload_deadline", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The weakest verification tier whose evidence counts (NULL: every tier; see
    # honestcount.intake.verification). Weaker evidence is kept, not counted.
    Column("min_verification", String(24)),
)

intake_accounts = Table(
    "intake_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("role", String(16), nullable=False),
    Column("election_id", String(ELECTION)),
    Column("station_id", String(STATION)),
    Column("phone_hmac", String(64)),
    Column("label", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer),
    Column("disabled_at", DateTime(timezone=True)),
    # Staff accounts: a second admin (never the creator) approves before the account works.
    Column("approved_by", Integer),
    Column("approved_at", DateTime(timezone=True)),
    # How the phone number was proved (honestcount.intake.verification.TIERS); NULL: not at
    # all (a voter) or not by phone (staff, shown as "staff").
    Column("verification", String(24)),
    # One account per phone number per election (NULLs, i.e. staff, are never equal).
    UniqueConstraint("election_id", "phone_hmac", name="uq_intake_accounts_phone"),
)

# A web-registered voter's proof of the number through a trusted gateway (the bot): the
# challenge and the code are kept only as keyed hashes, for minutes.
intake_verifications = Table(
    "intake_verifications",
    metadata,
    Column("challenge_hash", String(64), primary_key=True),
    _account_fk(),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("code_hash", String(64)),
    Column("tier", String(24)),
    Column("attempts", Integer, nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_intake_verifications_account", "account_id"),
)

intake_tokens = Table(
    "intake_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _account_fk(),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Index("ix_intake_tokens_account", "account_id"),
)

intake_idempotency = Table(
    "intake_idempotency",
    metadata,
    Column("scope", String(96), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Rate-limit buckets shared by every app process (PostgreSQL): GCRA, one row per key. ``tat``
# is the theoretical arrival time (epoch seconds); a row whose tat has passed is a full bucket.
intake_rate_limits = Table(
    "intake_rate_limits",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("tat", Float, nullable=False),
    Index("ix_intake_rate_limits_tat", "tat"),
)

intake_declarations = Table(
    "intake_declarations",
    metadata,
    Column("account_id", Integer, ForeignKey("intake_accounts.id"), primary_key=True),
    Column("election_id", String(ELECTION), nullable=False),
    Column("station_id", String(STATION), nullable=False),
    Column("option_id", String(OPTION), nullable=False),
    Column("declared_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(32), nullable=False),
    Index("ix_intake_declarations_station", "election_id", "station_id"),
)

intake_photos = Table(
    "intake_photos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(ELECTION), nullable=False),
    Column("station_id", String(STATION), nullable=False),
    _account_fk(),
    Column("kind", String(16), nullable=False),  # ballot_front, ballot_back, protocol
    # Empty while the photo job runs (status "processing"; honestcount.intake.jobs).
    Column("storage_key", String(128)),
    Column("sha256", String(64)),
    Column("dhash", String(16)),
    # The 64-bit dHash in four 16-bit bands: two hashes within Hamming distance 3 share one.
    Column("dh0", Integer),
    Column("dh1", Integer),
    Column("dh2", Integer),
    Column("dh3", Integer),
    Column("width", Integer),
    Column("height", Integer),
    Column("size_bytes", Integer),
    Column("original_format", String(8)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("captured_at", DateTime(timezone=True)),
    # processing (queued), then ballots: pending, accepted, rejected; protocols: pending,
    # agreed, conflict
    Column("status", String(16), nullable=False),
    Column("duplicate_of", Integer),
    _account_fk("moderator_id", nullable=True),
    Column("moderated_at", DateTime(timezone=True)),
    Column("reason", Text),
    Column("agreed_entry", String(64)),
    Index("ix_intake_photos_queue", "election_id", "kind", "status"),
    Index("ix_intake_photos_account", "account_id"),
    Index("ix_intake_photos_dh0", "election_id", "dh0"),
    Index("ix_intake_photos_dh1", "election_id", "dh1"),
    Index("ix_intake_photos_dh2", "election_id", "dh2"),
    Index("ix_intake_photos_dh3", "election_id", "dh3"),
)

intake_protocol_entries = Table(
    "intake_protocol_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("photo_id", Integer, ForeignKey("intake_photos.id"), nullable=False),
    _account_fk("digitiser_id"),
    Column("entry", Text, nullable=False),  # canonical JSON {"lines": {...}, "votes": {...}}
    Column("entry_hash", String(64), nullable=False),
    Column("failed_rules", Text, nullable=False),  # JSON list of rule ids
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("photo_id", "digitiser_id", name="uq_intake_protocol_entries_digitiser"),
)

intake_protocol_results = Table(
    "intake_protocol_results",
    metadata,
    Column("election_id", String(ELECTION), primary_key=True),
    Column("station_id", String(STATION), primary_key=True),
    Column("photo_id", Integer, ForeignKey("intake_photos.id"), nullable=False),
    Column("entry", Text, nullable=False),
    Column("agreed_at", DateTime(timezone=True), nullable=False),
)

intake_turnout = Table(
    "intake_turnout",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(ELECTION), nullable=False),
    Column("station_id", String(STATION), nullable=False),
    _account_fk(),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_intake_turnout_station", "election_id", "station_id"),
)

intake_violations = Table(
    "intake_violations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(ELECTION), nullable=False),
    Column("station_id", String(STATION), nullable=False),
    _account_fk(),
    Column("code", String(32), nullable=False),
    Column("observed_at", DateTime(timezone=True)),
    Column("note", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_intake_violations_station", "election_id", "station_id"),
)

intake_audit = Table(
    "intake_audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("chain", Integer, nullable=False),
    Column("chain_seq", Integer, nullable=False),
    Column("at", String(40), nullable=False),  # ISO 8601 text: hashed exactly as stored
    Column("actor", Integer),
    Column("role", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(STATION + 64), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON, hashed exactly as stored
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The entry's leaf number in the transparency log's Merkle tree (set by a checkpoint).
    Column("leaf", Integer),
    UniqueConstraint("chain", "chain_seq", name="uq_intake_audit_chain_seq"),
    Index("ux_intake_audit_leaf", "leaf", unique=True),
    Index("ix_intake_audit_hash", "hash"),
)

intake_audit_heads = Table(
    "intake_audit_heads",
    metadata,
    Column("chain", Integer, primary_key=True, autoincrement=False),
    Column("chain_seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

intake_log_heads = Table(
    "intake_log_heads",
    metadata,
    Column("tree_size", Integer, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)

__all__ = [
    "intake_verifications",
    "intake_settings",
    "intake_accounts",
    "intake_tokens",
    "intake_idempotency",
    "intake_rate_limits",
    "intake_declarations",
    "intake_photos",
    "intake_protocol_entries",
    "intake_protocol_results",
    "intake_turnout",
    "intake_violations",
    "intake_audit",
    "intake_audit_heads",
    "intake_log_heads",
]
