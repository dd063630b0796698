"""The one ``MetaData`` of the store and the column helpers every table module uses."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, MetaData, String

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def station_fk() -> Column:
    # No FOREIGN KEY on the million-row evidence tables: PostgreSQL checks one per row with a
    # trigger, which tripled import time. Rows are written and deleted only together with
    # their stations, in one transaction (store.repository), and a test checks for orphans.
    return Column("station_pk", BigInteger, primary_key=True)


def election_fk(primary_key: bool = False) -> Column:
    return Column(
        "election_id",
        String(64),
        ForeignKey("elections.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )
