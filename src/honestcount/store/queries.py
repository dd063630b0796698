"""Query helpers every package may use: an election's rows, fast frames, source preference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Table, func, select

from honestcount.model import OfficialSource
from honestcount.store import tables as t

# When a station has protocols from several sources, analysis reads the first of these.
SOURCE_PREFERENCE = [s.value for s in OfficialSource]


def of_election(conn: Connection, election_id: str) -> Callable[[Table], ColumnElement[bool]]:
    """A filter on ``station_pk`` for an election's stations (a range when it is one block)."""
    s = t.stations.c
    lo, hi, n = conn.execute(
        select(func.min(s.pk), func.max(s.pk), func.count()).where(s.election_id == election_id)
    ).one()
    if n and hi - lo + 1 == n:  # one contiguous block, as save_election writes them
        return lambda table: table.c.station_pk.between(lo, hi)
    return lambda table: table.c.station_pk.in_(select(s.pk).where(s.election_id == election_id))


def read_frame(conn: Connection, query: Any) -> pd.DataFrame:
    """Run ``query`` on the driver's own cursor: 10x faster than Row objects for 1M rows."""
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection always has one
    cursor = driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def preferred_source(long: pd.DataFrame) -> pd.DataFrame:
    """Keep, per station, only the rows of its most preferred source."""
    if long.empty or long["source"].nunique() <= 1:
        return long
    rank = long["source"].map({s: i for i, s in enumerate(SOURCE_PREFERENCE)}).fillna(99)
    best = rank.groupby(long["station_pk"]).transform("min")
    return long[rank == best]
