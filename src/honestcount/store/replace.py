"""Re-importing an election in place: only the stations whose evidence changed are rewritten.

Replacing an election by deleting two million evidence rows and writing them again made a
re-import slower than the first import (dead rows, index and WAL churn on PostgreSQL). When
the store holds an intact snapshot of the election, nobody else has written its evidence, and
the new import has the same stations in the same order, the old frames (from the snapshot)
and the new ones are compared station by station, and only the rows of changed stations are
deleted and written; everything else about the election (options, findings, captions, stored
analyses and verdicts) is replaced exactly as a full re-import replaces it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, bindparam, delete, select, update

from honestcount.model import STATION_COLUMNS, ElectionData
from honestcount.store import rows, snapshot
from honestcount.store import tables as t
from honestcount.store.db import bulk_insert
from honestcount.store.queries import of_election

# Above this share of changed stations a full replacement is faster than row-by-row deletes.
MAX_CHANGED = 0.3
_TEXT = [c for c in STATION_COLUMNS if c not in ("latitude", "longitude", "registered_voters")]


def _differs(old: pd.DataFrame, new: pd.DataFrame) -> np.ndarray:
    """Per station: whether any cell differs (unknown equals unknown), over both columns."""
    columns = list(dict.fromkeys([*old.columns, *new.columns]))
    a = old.reindex(columns=columns).to_numpy(dtype="float64")
    b = new.reindex(columns=columns).to_numpy(dtype="float64")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return ~same.all(axis=1) if columns else np.zeros(len(old), dtype=bool)


def _text_differs(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Per station: whether a text field differs as stored (str, or null)."""
    # "\0" stands for null: it cannot occur in text read from a CSV or a database
    a = old.astype("string").fillna("\0").to_numpy(dtype=object)
    b = new.astype("string").fillna("\0").to_numpy(dtype=object)
    return np.asarray(a != b, dtype=bool)


def _station_changes(old: snapshot.Frames, data: ElectionData) -> np.ndarray:
    st = data.stations
    changed = np.zeros(len(st), dtype=bool)
    for col in STATION_COLUMNS:
        if col in _TEXT:
            changed |= _text_differs(old.stations[col], st[col])
        else:
            changed |= _differs(old.stations[[col]], st[[col]])
    return changed


def _violation_changes(old: snapshot.Frames, data: ElectionData) -> np.ndarray:
    ids = data.stations.index

    def codes(v: pd.DataFrame | None) -> pd.Series:
        if v is None or v.empty:
            return pd.Series("", index=ids)
        joined = v.astype(str).drop_duplicates().sort_values(["station_id", "code"])
        by = joined.groupby("station_id")["code"].agg("\0".join)
        return by.reindex(ids).fillna("")

    return (codes(old.violations).to_numpy() != codes(data.violations).to_numpy()).astype(bool)


def changes(old: snapshot.Frames, data: ElectionData) -> dict[str, np.ndarray] | None:
    """Per evidence table, the stations whose rows differ; None if the stations differ."""
    if len(old.stations) != len(data) or not old.stations.index.equals(data.stations.index):
        return None
    source = snapshot.stored_source(data).to_numpy(dtype=object)
    source_changed = old.official_source.to_numpy(dtype=object) != source
    return {
        "stations": _station_changes(old, data),
        t.protocol_lines.name: _differs(old.lines, data.lines) | source_changed,
        t.official_votes.name: _differs(old.official, data.official) | source_changed,
        t.voter_evidence.name: _differs(old.declared, data.declared)
        | _differs(old.photo, data.photo),
        t.observer_reports.name: _differs(old.observers, data.observers),
        t.observer_violations.name: _violation_changes(old, data),
    }


def _cascade_tables() -> list[Table]:
    """Tables whose rows go with an election row (ON DELETE CASCADE), stations aside."""
    out = []
    for table in t.metadata.sorted_tables:
        if table is t.stations or table is t.elections:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is t.elections and (fk.ondelete or "").upper() == "CASCADE":
                out.append(table)
                break
    return out


def replace_in_place(
    conn: Connection, data: ElectionData, findings: pd.DataFrame | None, meta: dict
) -> dict[str, int] | None:
    """Re-import ``data`` over the stored election inside ``conn``'s transaction, writing only
    what changed; returns the row counts of the election, or None (nothing done) when an
    in-place replacement is not possible or not worth it."""
    eid = data.election.id
    exists = conn.execute(select(t.elections.c.id).where(t.elections.c.id == eid)).first()
    old = snapshot.read(conn, eid) if exists else None
    diff = changes(old, data) if old is not None else None
    if diff is None or max(m.mean() for m in diff.values()) > MAX_CHANGED:
        return None
    pks = np.asarray(
        conn.execute(
            select(t.stations.c.pk).where(t.stations.c.election_id == eid).order_by(t.stations.c.pk)
        )
        .scalars()
        .all(),
        dtype="int64",
    )
    if len(pks) != len(data):
        return None
    e = data.election
    conn.execute(
        update(t.elections)
        .where(t.elections.c.id == eid)
        .values(
            name=e.name,
            country=e.country,
            date=e.date,
            protocol_schema=e.protocol_schema,
            source=e.source,
            leader=e.leader,
            imported_at=dt.datetime.now(dt.UTC),
            **meta,
        )
    )
    for table in _cascade_tables():
        conn.execute(delete(table).where(table.c.election_id == eid))
    in_election = of_election(conn, eid)
    conn.execute(delete(t.station_verdicts).where(in_election(t.station_verdicts)))
    written: dict[str, int] = {}
    for table, frame in rows.election_rows(data, pks, findings):
        written[table.name] = len(frame)
        if table is t.stations:
            _update_stations(conn, frame, diff["stations"], pks)
        elif table.name in diff:
            changed = pks[diff[table.name]]
            _delete_stations(conn, table, changed)
            bulk_insert(conn, table, frame[frame["station_pk"].isin(changed)])
        else:
            bulk_insert(conn, table, frame)
    return written


def _delete_stations(conn: Connection, table: Table, pks: np.ndarray) -> None:
    if len(pks):
        conn.execute(
            delete(table).where(table.c.station_pk == bindparam("pk")),
            [{"pk": int(pk)} for pk in pks],
        )


def _update_stations(conn: Connection, frame: pd.DataFrame, changed: np.ndarray, pks) -> None:
    if not changed.any():
        return
    columns = list(STATION_COLUMNS)
    picked = frame[frame["pk"].isin(pks[changed])]
    values = picked[columns].astype(object).where(picked[columns].notna(), None)
    params = [
        {"pk_": int(pk), **{f"v_{c}": _plain(v) for c, v in zip(columns, row, strict=True)}}
        for pk, row in zip(picked["pk"], values.itertuples(index=False), strict=True)
    ]
    conn.execute(
        update(t.stations)
        .where(t.stations.c.pk == bindparam("pk_"))
        .values({c: bindparam(f"v_{c}") for c in columns}),
        params,
    )


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value
