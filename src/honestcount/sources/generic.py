"""The generic format: any polling-station table (CSV or Parquet) plus a small mapping file.

See ``docs/generic-format.md`` for the mapping file, with an example.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from honestcount.errors import InputError
from honestcount.model import (
    PROTOCOL_LINES,
    BallotOption,
    Election,
    ElectionData,
    OfficialSource,
    OptionKind,
)
from honestcount.sources.assemble import assemble, with_leader
from honestcount.sources.captions import NAME_LENGTH, slug
from honestcount.sources.tables import check_unique, counts, numbers, read_csv

STATION_FIELDS = ("region", "district", "settlement_type", "town", "name", "url")
_LINE_NAME = re.compile(rf"[a-z][a-z0-9_]{{0,{NAME_LENGTH - 1}}}")


def _mentioned(spec: dict, id_columns: list[str]) -> set[str]:
    """Every table column the mapping file names."""
    named = set(id_columns)
    named |= {v for k, v in spec["station"].items() if k != "id" and isinstance(v, str)}
    named |= {v for v in spec.get("lines", {}).values() if isinstance(v, str)}
    for item in spec["options"].values():
        named |= (
            {item} if isinstance(item, str) else {v for v in item.values() if isinstance(v, str)}
        )
    return named


def _other_columns(
    table: pd.DataFrame, spec: dict, id_columns: list[str], taken: set[str]
) -> dict[str, str]:
    """Columns the mapping does not name that hold whole numbers: kept as extra protocol
    lines (name from the header) rather than dropped; others (text, fractions) are ignored."""
    named = _mentioned(spec, id_columns)
    out: dict[str, str] = {}
    for col in table.columns:
        if col in named:
            continue
        values = pd.to_numeric(table[col], errors="coerce")
        known = table[col].notna()
        if not known.any() or values[known].isna().any() or (values[known] % 1 != 0).any():
            continue
        name = slug(str(col))[:NAME_LENGTH].strip("_") or "line"
        if not name[0].isalpha():
            name = f"x_{name}"[:NAME_LENGTH]
        base, n = name, 2
        while name in taken or name in out or name in PROTOCOL_LINES and name != base:
            name = f"{base[: NAME_LENGTH - 4]}_{n}"
            n += 1
        if name in PROTOCOL_LINES:  # a canonical name must be mapped on purpose
            name = f"x_{name}"
        out[name] = str(col)
    return out


def _mapping(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("mapping file not found", file=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"invalid mapping file: {exc}", file=str(path)) from None


def _table(path: Path, text_columns: list[str]) -> pd.DataFrame:
    if path.suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable Parquet file: {exc}", file=str(path)) from None
        for col in text_columns:
            if col in frame:
                frame[col] = frame[col].astype("string").astype(object).where(frame[col].notna())
        return frame
    return read_csv(path, text_columns=text_columns)


def _line_columns(
    table: pd.DataFrame, spec: dict, id_columns: list[str], where: str
) -> dict[str, str]:
    """Protocol line name -> column: the mapping's [lines], and (unless switched off) the
    columns of whole numbers it does not name."""
    lines_spec = dict(spec.get("lines", {}))
    bad = [k for k in lines_spec if not _LINE_NAME.fullmatch(k)]
    if bad:
        raise InputError(
            f"protocol line name(s) {bad} in [lines] must be snake_case, at most "
            f"{NAME_LENGTH} characters (canonical lines: {', '.join(PROTOCOL_LINES)})",
            file=where,
        )
    if spec["data"].get("keep_other_columns", True):
        lines_spec |= _other_columns(table, spec, id_columns, set(lines_spec))
    return lines_spec


def load_generic(mapping_path: Path, election_id: str | None = None) -> ElectionData:
    mapping_path = Path(mapping_path)
    spec = _mapping(mapping_path)
    where = str(mapping_path)
    for section in ("election", "data", "station", "options"):
        if section not in spec:
            raise InputError(f"missing section [{section}]", file=where)
    meta = spec["election"]
    eid = election_id or meta.get("id")
    if not eid:
        raise InputError("no election id: give --election or [election] id", file=where)
    date = meta.get("date")
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError(f"[election] date {date!r} is not YYYY-MM-DD", file=where) from None
    election = Election(
        eid,
        meta.get("name", eid),
        meta.get("country", ""),
        date,
        meta.get("protocol_schema", "generic"),
        meta.get("source", ""),
    )
    leader = meta.get("leader")

    station_spec = spec["station"]
    id_columns = station_spec.get("id")
    if not id_columns:
        raise InputError("[station] needs id = column or [columns]", file=where)
    id_columns = [id_columns] if isinstance(id_columns, str) else list(id_columns)
    data_path = (mapping_path.parent / spec["data"]["path"]).resolve()
    text = id_columns + [station_spec[f] for f in STATION_FIELDS if f in station_spec]
    table = _table(data_path, text)

    def column(name: str, section: str) -> str:
        if name not in table.columns:
            raise InputError(
                f"column {name!r} named in [{section}] is not in the data",
                file=str(data_path),
                line=1,
                column=name,
            )
        return name

    ids = table[column(id_columns[0], "station")].astype("string")
    for col in id_columns[1:]:
        ids = ids + " / " + table[column(col, "station")].astype("string")
    check_unique(ids.astype(object), data_path, "+".join(id_columns))
    index = pd.Index(ids.astype(str), name="station_id")

    stations = pd.DataFrame(index=index)
    for field in STATION_FIELDS:
        if field in station_spec:
            stations[field] = table[column(station_spec[field], "station")].to_numpy()
    for field in ("latitude", "longitude"):
        if field in station_spec:
            stations[field] = numbers(
                table, column(station_spec[field], "station"), data_path
            ).to_numpy()
    lines_spec = _line_columns(table, spec, id_columns, where)
    lines = pd.DataFrame(
        {
            line: counts(table, column(col, "lines"), data_path, allow_negative=True).to_numpy()
            for line, col in lines_spec.items()
        },
        index=index,
    )
    captions = {line: str(col) for line, col in lines_spec.items()}
    if "registered_voters" in station_spec:
        stations["registered_voters"] = counts(
            table, column(station_spec["registered_voters"], "station"), data_path
        ).to_numpy()
    elif "registered" in lines:
        stations["registered_voters"] = lines["registered"]

    options: list[BallotOption] = []
    official: dict[str, np.ndarray] = {}
    declared: dict[str, np.ndarray] = {}
    photo: dict[str, np.ndarray] = {}
    for position, (oid, item) in enumerate(spec["options"].items()):
        item = {"votes": item} if isinstance(item, str) else item
        try:
            kind = OptionKind(item.get("kind", "candidate"))
        except ValueError:
            raise InputError(
                f"option {oid!r}: unknown kind {item.get('kind')!r}", file=where
            ) from None
        options.append(BallotOption(oid, item.get("name", oid), kind, position))
        for key, target, negative in (
            ("votes", official, True),
            ("declared", declared, False),
            ("photo", photo, False),
        ):
            if key in item:
                target[oid] = counts(
                    table, column(item[key], "options"), data_path, allow_negative=negative
                ).to_numpy()
    source = spec["data"].get("source", OfficialSource.COMMISSION_FEED.value)
    if source not in {s.value for s in OfficialSource}:
        raise InputError(
            f"[data] source {source!r} is not one of {[s.value for s in OfficialSource]}",
            file=where,
        )
    return assemble(
        with_leader(election, leader, options, where),
        options,
        stations,
        lines=lines,
        official=pd.DataFrame(official, index=index),
        official_source=source,
        declared=pd.DataFrame(declared, index=index) if declared else None,
        photo=pd.DataFrame(photo, index=index) if photo else None,
        national_totals={k: float(v) for k, v in spec.get("national_totals", {}).items()},
        line_captions=captions,
    )
