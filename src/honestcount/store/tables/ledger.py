"""Tables of the aftermath ledger: who was detained, held, tried, released, hurt or killed.

They live in the same ``metadata`` as the evidence tables (one store, one migration chain,
revision 0004). What identifies a person (names, birth year, contacts, free-text notes,
injury descriptions) is stored only sealed (``LargeBinary`` columns, encrypted with the
organisation's key, see ``honestcount.ledger.crypto``) or as keyed blind indexes; what the
figures need (kinds of event, dates, cities, facilities, courts) is stored in the clear.

* ``ledger_sources``: one per list or statement imported (a volunteer list, a lawyer's note).
* ``ledger_records``: one per person named in a source: the sealed name and birth year, the
  blind indexes, and the person (case) that linkage assigned the record to.
* ``ledger_facts``: events that a record reports (detained, held, charged, tried, released,
  injured, died, missing), each with its confidence; the source is the record's.
* ``ledger_persons``: a case: a person's records and facts, with the disclosure status.
* ``ledger_links``: scored record pairs from linkage; uncertain ones await review.
* ``ledger_apart``: record pairs the last linkage run found cannot be one person (birth
  years or given names disagree), so that people are recomputed the same without the key.
* ``ledger_runs``: linkage runs, with the trained model and thresholds.
* ``ledger_claims``: numbers stated by officials, rights groups and media.
* ``ledger_access``: every read of a person's record, every search, export and purge.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from honestcount.store.tables.base import metadata

BLIND = 32  # hex characters of a blind index (128 bits)

ledger_sources = Table(
    "ledger_sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("confidence", String(16), nullable=False),
    Column("list_date", Date),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("file_name", Text),
    Column("file_sha256", String(64)),
    Column("rows", Integer, nullable=False, default=0),
    Column("note", Text),
    UniqueConstraint("name"),
)

ledger_persons = Table(
    "ledger_persons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # private (default) | consented (the person or family agreed to publication) |
    # public (the case is already public: named by the media or by the authorities)
    Column("disclosure", String(16), nullable=False, default="private"),
    Column("disclosure_note", LargeBinary),  # sealed: who consented, when, how
    Column("hold_until", Date),  # retention exemption (legal case): not purged before
)

ledger_records = Table(
    "ledger_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "source_id",
        Integer,
        ForeignKey("ledger_sources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("row_no", Integer, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("payload", LargeBinary, nullable=False),  # sealed: name, birth year, row as read
    Column("name_index", String(BLIND)),  # given|surname
    Column("name_year_index", String(BLIND)),  # given|surname|birth year
    Column("skeleton_year_index", String(BLIND)),  # given|surname skeleton|birth year
    Column("person_id", Integer, ForeignKey("ledger_persons.id", ondelete="SET NULL")),
    Column("pinned", Boolean, nullable=False, default=False),  # person set by hand
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("purge_after", Date),
    Index("ix_ledger_records_source", "source_id"),
    Index("ix_ledger_records_person", "person_id"),
    Index("ix_ledger_records_name_year", "name_year_index"),
    Index("ix_ledger_records_skeleton_year", "skeleton_year_index"),
    Index("ix_ledger_records_name", "name_index"),
)

ledger_facts = Table(
    "ledger_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "record_id",
        Integer,
        ForeignKey("ledger_records.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # detained | held | charged | tried | released | injured | died | missing
    Column("kind", String(16), nullable=False),
    Column("on_date", Date),
    Column("at_time", String(5)),  # HH:MM when the source gives it
    Column("place", String(64)),  # canonical city
    Column("facility", Text),
    Column("agency", Text),  # by whom: OMON, district police...
    Column("court", Text),
    Column("article", String(64)),
    Column("arrest_days", Integer),
    Column("fine", BigInteger),
    Column("fine_unit", String(16)),
    Column("medical_evidence", String(32)),  # none | photo | medical_record | forensic
    Column("confidence", String(16), nullable=False),  # high | medium | low
    Column("detail", LargeBinary),  # sealed: injury description, outcome text, notes
    Index("ix_ledger_facts_record", "record_id"),
    Index("ix_ledger_facts_kind_date", "kind", "on_date"),
)

ledger_runs = Table(
    "ledger_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("records", Integer, nullable=False),
    Column("pairs", Integer, nullable=False, default=0),
    Column("review_low", Float, nullable=False),
    Column("review_high", Float, nullable=False),
    Column("trained", Boolean, nullable=False),
    Column("model", JSON),
    Column("summary", JSON),
)


def _record_pair() -> tuple[Column, Column]:
    """The two records of a pair (``record_l`` < ``record_r``), the table's primary key."""

    def record(name: str) -> Column:
        return Column(
            name, Integer, ForeignKey("ledger_records.id", ondelete="CASCADE"), primary_key=True
        )

    return record("record_l"), record("record_r")


ledger_links = Table(
    "ledger_links",
    metadata,
    *_record_pair(),
    Column("probability", Float, nullable=False),
    Column("weight", Float),
    # auto (at or above the upper threshold) | review (between the thresholds) |
    # confirmed / rejected (a reviewer's decision, kept across runs)
    Column("status", String(16), nullable=False),
    Column("run_id", Integer),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Index("ix_ledger_links_status", "status"),
)

ledger_claims = Table(
    "ledger_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # detained | released | injured | killed | died
    Column("quantity", BigInteger, nullable=False),
    Column("qualifier", String(16), nullable=False),  # exact | about | nearly | more_than ...
    Column("quantity_text", Text),
    Column("source", Text, nullable=False),
    Column("source_kind", String(32), nullable=False),
    Column("reported_by", Text),
    Column("stated_on", Date, nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("places", Text, nullable=False, default=""),  # canonical cities, ';'; '' = country
    Column("country", String(64), nullable=False, default="Belarus"),
    Column("statement", Text),
    Column("url", Text),
    Column("note", Text),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

ledger_access = Table(
    "ledger_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    # read_case | review | relatives_search | export | purge | import | link | disclose
    Column("action", String(32), nullable=False),
    # no foreign keys: the log outlives what it logs (purges)
    Column("person_id", Integer),
    Column("record_id", Integer),
    Column("purpose", Text),
    Column("detail", JSON),
    Index("ix_ledger_access_person", "person_id"),
    # an organisation's audit of one reviewer or operator: what they read and decided, when
    Index("ix_ledger_access_actor_at", "actor", "at"),
)

ledger_apart = Table(
    "ledger_apart",
    metadata,
    *_record_pair(),
    Column("run_id", Integer),
)

__all__ = [
    "ledger_sources",
    "ledger_persons",
    "ledger_records",
    "ledger_facts",
    "ledger_runs",
    "ledger_links",
    "ledger_apart",
    "ledger_claims",
    "ledger_access",
]
