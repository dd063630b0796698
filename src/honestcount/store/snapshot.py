"""Columnar snapshots of an election's frames, kept inside the database.

Rebuilding the station x line frames of 100,000 stations from two million evidence rows
takes seconds; reading them back from one Arrow blob takes a few hundredths. A snapshot is
written in the same transaction as the rows it copies (so it is replaced atomically with
them), is checked by the SHA-256 of its bytes, and records how many evidence rows of each
table it was made from: a snapshot whose counts no longer match the rows (another writer
added or removed evidence) is ignored, and the rows are read instead.

Writers that change an election's evidence rows outside ``save_election`` should call
:func:`invalidate` in their transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, delete, exists, inspect, or_, select

from honestcount.model import STATION_COLUMNS, ElectionData
from honestcount.store import rows
from honestcount.store import tables as t

FORMAT = "arrow-ipc-zstd/1"
MAGIC = b"HCS1"
# The evidence tables a snapshot copies (with stations, keyed by station_pk).
EVIDENCE = (
    t.protocol_lines,
    t.official_votes,
    t.voter_evidence,
    t.observer_reports,
    t.observer_violations,
)
_TEXT = [c for c in STATION_COLUMNS if c not in ("latitude", "longitude", "registered_voters")]
_PREFIXES = {"lines": "l:", "official": "o:", "declared": "d:", "photo": "p:", "observers": "b:"}


@dataclass(frozen=True)
class Frames:
    """What a snapshot holds: the station-aligned frames of an election (before assembly)."""

    stations: pd.DataFrame  # indexed by station id
    lines: pd.DataFrame
    official: pd.DataFrame
    declared: pd.DataFrame
    photo: pd.DataFrame
    observers: pd.DataFrame
    official_source: pd.Series
    violations: pd.DataFrame | None


def _text(values: pd.Series) -> pa.Array:
    """Text as the database gives it back: str, or null."""
    if isinstance(values.dtype, pd.StringDtype):
        return pa.array(values, type=pa.string(), from_pandas=True)
    obj = values.astype(object)
    known = obj.notna()
    if pd.api.types.infer_dtype(obj[known], skipna=True) not in ("string", "empty"):
        obj = obj.where(~known, obj[known].map(str))
    return pa.array(obj.where(known, None).to_numpy(), type=pa.string(), from_pandas=True)


def stored_source(data: ElectionData) -> pd.Series:
    """Each station's protocol source as the rows record it ('unknown' where a protocol is
    known but its source is not, null where there is no protocol)."""
    known = data.lines.notna().any(axis=1) | data.official.notna().any(axis=1)
    source = data.official_source.astype(object)
    source = source.where(source.notna(), "unknown")
    return source.where(known, None)


def encode(data: ElectionData) -> bytes:
    """The frames of ``data`` as one blob: Arrow IPC streams for the stations and violations."""
    st = data.stations
    columns: dict[str, pa.Array] = {"station_id": _text(pd.Series(st.index))}
    for col in STATION_COLUMNS:
        values = st[col] if col in st else pd.Series([None] * len(st))
        if col in _TEXT:
            columns[f"s:{col}"] = _text(values)
        else:
            columns[f"s:{col}"] = pa.array(values.to_numpy(dtype="float64"))
    for name, prefix in _PREFIXES.items():
        frame = getattr(data, name)
        for col in frame.columns:
            columns[prefix + str(col)] = pa.array(frame[col].to_numpy(dtype="float64"))
    columns["source"] = _text(stored_source(data))
    parts = [pa.table(columns)]
    at = rows.station_positions(data)
    viol = (
        data.violations.assign(pos=at, code=data.violations["code"].astype(str))[at >= 0]
        .drop_duplicates(["station_id", "code"])
        .sort_values(["pos", "code"])
    )
    parts.append(pa.table({"station_id": _text(viol["station_id"]), "code": _text(viol["code"])}))
    out = io.BytesIO()
    out.write(MAGIC)
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    for table in parts:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        buf = sink.getvalue()
        out.write(struct.pack("<Q", buf.size))
        out.write(buf.to_pybytes())
    return out.getvalue()


def decode(blob: bytes) -> Frames:
    """The frames of a blob made by :func:`encode`."""
    if not blob.startswith(MAGIC):
        raise ValueError("not an honestcount snapshot")
    tables, offset = [], len(MAGIC)
    for _ in range(2):
        (size,) = struct.unpack_from("<Q", blob, offset)
        offset += 8
        reader = pa.ipc.open_stream(pa.py_buffer(blob[offset : offset + size]))
        tables.append(reader.read_all())
        offset += size
    main, viol = tables
    ids = pd.Index(main.column("station_id").to_pandas(), name="station_id")
    if not isinstance(ids.dtype, pd.StringDtype):
        ids = ids.astype(str)

    numeric = [n for n in main.column_names if n[:2] in _PREFIXES.values()]
    block = main.select(numeric).to_pandas(split_blocks=False) if numeric else pd.DataFrame()
    values = block.to_numpy(dtype="float64") if numeric else np.empty((len(ids), 0))

    def frame(prefix: str) -> pd.DataFrame:
        picked = [i for i, n in enumerate(numeric) if n.startswith(prefix)]
        return pd.DataFrame(
            values[:, picked], index=ids, columns=[numeric[i][len(prefix) :] for i in picked]
        )

    # object columns on purpose: pandas would otherwise convert each to Arrow strings and back
    stations = pd.DataFrame(
        {
            col: pd.Series(
                main.column(f"s:{col}").to_numpy(zero_copy_only=False),
                index=ids,
                dtype=object if col in _TEXT else "float64",
            )
            for col in STATION_COLUMNS
        },
        index=ids,
    )
    violations = (
        pd.DataFrame({"station_id": viol.column(0).to_pylist(), "code": viol.column(1).to_pylist()})
        if viol.num_rows
        else None
    )
    return Frames(
        stations=stations,
        lines=frame("l:"),
        official=frame("o:"),
        declared=frame("d:"),
        photo=frame("p:"),
        observers=frame("b:"),
        official_source=pd.Series(
            main.column("source").to_numpy(zero_copy_only=False).astype(object), index=ids
        ),
        violations=violations,
    )


def outside_writes(conn: Connection, election_id: str) -> bool:
    """Whether the citizens' intake holds evidence for the election: it writes evidence rows
    outside ``save_election`` (materialise, agreed protocols), so such an election is read
    from its rows (one query on indexed columns)."""
    probes = [
        exists().where(table.c.election_id == election_id)
        for table in (t.intake_declarations, t.intake_photos, t.intake_protocol_results)
    ]
    return bool(conn.execute(select(or_(*probes))).scalar())


def known_cells(data: ElectionData) -> dict[str, int]:
    """How many known values each layer has: recorded with a snapshot, for inspection."""
    return {
        name: int(getattr(data, name).notna().to_numpy().sum())
        for name in ("lines", "official", "declared", "photo", "observers")
    } | {"violations": len(data.violations)}


def write(conn: Connection, data: ElectionData) -> str:
    """Store the snapshot of ``data`` in ``conn``'s transaction, replacing any other; returns
    its digest."""
    blob = encode(data)
    digest = hashlib.sha256(blob).hexdigest()
    eid = data.election.id
    conn.execute(delete(t.election_snapshots).where(t.election_snapshots.c.election_id == eid))
    conn.execute(
        t.election_snapshots.insert().values(
            election_id=eid,
            format=FORMAT,
            digest=digest,
            rows=known_cells(data),
            created_at=dt.datetime.now(dt.UTC),
            frames=blob,
        )
    )
    return digest


def read(conn: Connection, election_id: str) -> Frames | None:
    """The election's snapshot if there is one, it is intact, and no other writer has touched
    the election's evidence."""
    s = t.election_snapshots.c
    row = conn.execute(
        select(s.format, s.digest, s.rows, s.frames).where(s.election_id == election_id)
    ).first()
    if row is None or row.format != FORMAT:
        return None
    blob = bytes(row.frames)
    if hashlib.sha256(blob).hexdigest() != row.digest:
        return None
    if outside_writes(conn, election_id):
        return None
    return decode(blob)


def intact(conn: Connection, election_id: str) -> bool:
    """Whether the election has a snapshot whose bytes match its digest."""
    s = t.election_snapshots.c
    row = conn.execute(
        select(s.format, s.digest, s.frames).where(s.election_id == election_id)
    ).first()
    return (
        row is not None
        and row.format == FORMAT
        and hashlib.sha256(bytes(row.frames)).hexdigest() == row.digest
    )


def invalidate(conn: Connection, election_id: str) -> None:
    """Drop an election's snapshot (its rows are about to change) in ``conn``'s transaction."""
    conn.execute(
        delete(t.election_snapshots).where(t.election_snapshots.c.election_id == election_id)
    )


def available(conn: Connection) -> bool:
    """Whether this database has the snapshot table (an open-data copy may not)."""
    return inspect(conn).has_table("election_snapshots")
