"""The generic format: any polling-station table (CSV or Parquet) plus a small mapping file.

See ``docs/generic-format.md`` for the mapping file, with an example.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

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
from honestcount.sources.assemble import assemble
from honestcount.sources.tables import check_unique, counts, numbers, read_csv

STATION_FIELDS = ("region", "district", "settlement_type", "town", "name", "url")


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
    lines_spec = spec.get("lines", {})
    unknown_lines = sorted(set(lines_spec) - set(PROTOCOL_LINES))
    if unknown_lines:
        raise InputError(
            f"unknown protocol line(s) {unknown_lines} in [lines]; known: "
            f"{', '.join(PROTOCOL_LINES)}",
            file=where,
        )
    lines = pd.DataFrame(
        {
            line: counts(table, column(col, "lines"), data_path, allow_negative=True).to_numpy()
            for line, col in lines_spec.items()
        },
        index=index,
    )
    if "registered_voters" in station_spec:
        stations["registered_voters"] = counts(
            table, column(station_spec["registered_voters"], "station"), data_path
        ).to_numpy()
    elif "registered" in lines:
        stations["registered_voters"] = lines["registered"]

    options, official, declared, photo = [], {}, {}, {}
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
        election,
        options,
        stations,
        lines=lines,
        official=pd.DataFrame(official, index=index),
        official_source=source,
        declared=pd.DataFrame(declared, index=index) if declared else None,
        photo=pd.DataFrame(photo, index=index) if photo else None,
        national_totals={k: float(v) for k, v in spec.get("national_totals", {}).items()},
    )
