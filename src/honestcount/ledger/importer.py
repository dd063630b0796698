"""Importing a list: every row becomes a sealed record with its facts, in one transaction.

Names, birth years, every cell of the row as read, notes and contacts are sealed with the
organisation's key; only blind indexes of the normalised name (and year) and the facts that
the figures need (kind, date, city, facility, court, outcome numbers) are stored in the clear.
A list imported again under the same source name replaces the earlier import (records keep
their person when the same row holds the same name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, or_, select

from honestcount.errors import InputError
from honestcount.ledger import access
from honestcount.ledger.crypto import Vault
from honestcount.ledger.names import NameParts, name_parts
from honestcount.ledger.reading import Fact, Row, column_roles, parse_date, parse_row, read_list
from honestcount.store import tables as t

SOURCE_KINDS = {
    # kind of source: default confidence of what it reports
    "released_detainee": "high",
    "lawyer": "high",
    "court_record": "high",
    "medical_record": "high",
    "relative": "medium",
    "volunteer_list": "medium",
    "rights_group": "medium",
    "media": "medium",
    "official_statement": "medium",
    "hospital": "high",
    "unknown": "low",
}
CONFIDENCE = ("high", "medium", "low")
# a list's footer: "Итого: 345", "Разам", "Total"
_TOTALS = re.compile(r"^\s*(итого|всего|разам|усяго|total|totals|сумма|количество)\b", re.I)
FACT_KINDS = ("detained", "held", "charged", "tried", "released", "injured", "died", "missing")


def detained_day(facts: list[Fact]) -> int | None:
    """The day of the record's first dated detention (a day number), for linkage: two
    namesakes detained on different days are less likely one person."""
    days = [f.on_date for f in facts if f.kind in ("detained", "held") and f.on_date]
    return min(days).toordinal() if days else None


@dataclass
class ParsedRecord:
    row_no: int
    row: Row
    parts: NameParts

    def features(self, source: int = 0, unique_id: int = 0) -> dict[str, Any]:
        p = self.parts
        return {
            "unique_id": unique_id,
            "source": source,
            "surname": p.surname,
            "surname_skel": p.surname_skeleton,
            "given": p.given,
            "given_initial": p.given_initial,
            "patronymic": p.patronymic,
            "birth_year": self.row.birth_year,
            "place": self.row.place,
            "detained_day": detained_day(self.row.facts),
            "gender": p.gender,
        }


@dataclass
class ParsedList:
    records: list[ParsedRecord]
    skipped: dict[str, list[int]]
    roles: dict[str, str]
    list_date: dt.date
    header_line: int

    def report(self) -> dict[str, Any]:
        """What was read and what could not be, and why (no names)."""
        birth = Counter(r.row.birth_from or "none" for r in self.records)
        return {
            "header_line": self.header_line,
            "columns": self.roles,
            "records": len(self.records),
            "skipped": {reason: len(rows) for reason, rows in self.skipped.items()},
            "skipped_rows": self.skipped,
            "birth_year_from": dict(sorted(birth.items())),
        }


def parse_list(
    path: Path,
    *,
    kind: str | None = "detained",
    list_date: dt.date | None = None,
    place: str | None = None,
    columns: dict[str, str] | None = None,
) -> ParsedList:
    """Read and interpret a list without storing anything."""
    if kind is not None and kind not in FACT_KINDS:
        raise InputError(f"unknown kind {kind!r} (known: {', '.join(FACT_KINDS)})")
    frame = read_list(Path(path))
    roles = column_roles(list(frame.columns), columns)
    if not {"full_name", "surname", "given"} & set(roles):
        raise InputError("no column of names (ФИО, Прозвішча, Фамилия, Name...)", file=str(path))
    if list_date is None:
        list_date = _infer_list_date(frame, roles)
    records: list[ParsedRecord] = []
    skipped: dict[str, list[int]] = {}
    for i, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        cells = dict(zip(frame.columns, values, strict=True))
        row = parse_row(cells, roles, list_date=list_date, default_kind=kind, default_place=place)
        if not row.has_name:
            skipped.setdefault("no name", []).append(i)
            continue
        if _TOTALS.match(row.full_name or row.surname or row.given):
            skipped.setdefault("totals row", []).append(i)
            continue
        parts = name_parts(
            row.full_name or None, row.surname or None, row.given or None, row.patronymic or None
        )
        if not (parts.surname or parts.given):
            skipped.setdefault("name not readable", []).append(i)
            continue
        records.append(ParsedRecord(i, row, parts))
    return ParsedList(records, skipped, roles, list_date, frame.attrs.get("header_line", 1))


def _infer_list_date(frame: pd.DataFrame, roles: dict[str, str]) -> dt.date:
    """The latest full date in the list's date columns; today when there is none."""
    years: Counter[int] = Counter()
    latest: dt.date | None = None
    for role in ("detained_date", "released_date", "seen_date", "court_date"):
        header = roles.get(role)
        if not header:
            continue
        for value in frame[header]:
            text = str(value or "")
            if not any(ch.isdigit() for ch in text) or len(text) < 8:
                continue
            d, _ = parse_date(text, 1)
            if d and d.year > 1900:
                years[d.year] += 1
                latest = d if latest is None or d > latest else latest
    if latest:
        return latest
    return dt.date.today()


def blind_indexes(vault: Vault, parts: NameParts, year: int | None) -> dict[str, str | None]:
    """The keyed indexes of one name: full name; full name and year; skeleton and year."""
    if not parts.complete:
        return {"name_index": None, "name_year_index": None, "skeleton_year_index": None}
    return {
        "name_index": vault.blind("n", parts.given, parts.surname),
        "name_year_index": vault.blind("ny", parts.given, parts.surname, year) if year else None,
        "skeleton_year_index": (
            vault.blind("sy", parts.given, parts.surname_skeleton, year) if year else None
        ),
    }


def _sealed(
    vault: Vault, parsed: ParsedList, now: dt.datetime, purge_after: dt.date | None
) -> tuple[list[dict[str, Any]], list[list[Fact]]]:
    """Each record's row for the database (everything that names anyone sealed), and its
    facts."""
    records: list[dict[str, Any]] = []
    facts_per_record: list[list[Fact]] = []
    for rec in parsed.records:
        row = rec.row
        payload = {
            "v": 1,
            "name": row.full_name,
            "surname": row.surname,
            "given": row.given,
            "patronymic": row.patronymic,
            "birth_year": row.birth_year,
            "birth_from": row.birth_from,
            "cells": row.cells,
            "notes": row.notes,
            "f": rec.features(),
        }
        records.append(
            {
                "row_no": rec.row_no,
                "key_id": vault.key_id,
                "payload": vault.seal(payload),
                **blind_indexes(vault, rec.parts, row.birth_year),
                "pinned": False,
                "imported_at": now,
                "purge_after": purge_after,
            }
        )
        facts_per_record.append(row.facts)
    return records, facts_per_record


def import_list(
    engine: Engine,
    vault: Vault,
    path: Path | str,
    source: str,
    *,
    source_kind: str = "volunteer_list",
    kind: str | None = "detained",
    list_date: dt.date | None = None,
    place: str | None = None,
    confidence: str | None = None,
    columns: dict[str, str] | None = None,
    retention_days: int | None = None,
    note: str | None = None,
    actor: str = "cli",
) -> dict[str, Any]:
    """Import one list as source ``source``; returns a summary without any name in it."""
    path = Path(path)
    if source_kind not in SOURCE_KINDS:
        raise InputError(f"unknown source kind {source_kind!r} (known: {', '.join(SOURCE_KINDS)})")
    confidence = confidence or SOURCE_KINDS[source_kind]
    if confidence not in CONFIDENCE:
        raise InputError(f"confidence must be one of {', '.join(CONFIDENCE)}")
    if not source.strip():
        raise InputError("a source needs a name")
    parsed = parse_list(path, kind=kind, list_date=list_date, place=place, columns=columns)
    now = dt.datetime.now(dt.UTC)
    purge_after = now.date() + dt.timedelta(days=retention_days) if retention_days else None
    records, facts_per_record = _sealed(vault, parsed, now, purge_after)
    kinds = Counter(f.kind for facts in facts_per_record for f in facts)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with engine.begin() as conn:
        previous = conn.execute(
            select(t.ledger_sources.c.id).where(t.ledger_sources.c.name == source)
        ).scalar()
        carried, decisions = _previous(conn, previous)
        source_id = conn.execute(
            insert(t.ledger_sources).returning(t.ledger_sources.c.id),
            {
                "name": source,
                "kind": source_kind,
                "confidence": confidence,
                "list_date": parsed.list_date,
                "imported_at": now,
                "file_name": path.name,
                "file_sha256": digest,
                "rows": len(parsed.records),
                "note": note,
            },
        ).scalar_one()
        for r in records:
            r["source_id"] = source_id
            r["person_id"] = carried.get((r["row_no"], r["name_year_index"]), (None, None))[1]
        ids: list[int] = []
        for start in range(0, len(records), 5_000):
            chunk = records[start : start + 5_000]
            result = conn.execute(
                insert(t.ledger_records).returning(
                    t.ledger_records.c.id, sort_by_parameter_order=True
                ),
                chunk,
            )
            ids.extend(result.scalars().all())
        if decisions:
            _restore_decisions(conn, decisions, carried, records, ids)
        fact_rows = [
            _fact_row(vault, record_id, fact, confidence)
            for record_id, facts in zip(ids, facts_per_record, strict=True)
            for fact in facts
        ]
        for start in range(0, len(fact_rows), 10_000):
            conn.execute(insert(t.ledger_facts), fact_rows[start : start + 10_000])
        access.log(
            conn,
            actor,
            "import",
            detail={"source": source, "records": len(records), "replaced": previous is not None},
        )
    return {
        "source": source,
        "source_id": source_id,
        "file": path.name,
        "sha256": digest,
        "list_date": parsed.list_date.isoformat(),
        "header_line": parsed.header_line,
        "columns": parsed.roles,
        "records": len(records),
        "facts": dict(sorted(kinds.items())),
        "skipped": {reason: rows for reason, rows in parsed.skipped.items()},
        "replaced": previous is not None,
    }


def _previous(
    conn: Connection, previous: int | None
) -> tuple[dict[tuple[Any, Any], tuple[int, int | None]], list[Any]]:
    """For a list imported again: its old records by (row, name index) with their person,
    and reviewers' decisions on them; the old import is deleted."""
    carried: dict[tuple[Any, Any], tuple[int, int | None]] = {}
    decisions: list[Any] = []
    if previous is None:
        return carried, decisions
    # records keep their person, and reviewers' decisions, when the same row holds
    # the same name
    for old_id, row_no, index, person in conn.execute(
        select(
            t.ledger_records.c.id,
            t.ledger_records.c.row_no,
            t.ledger_records.c.name_year_index,
            t.ledger_records.c.person_id,
        ).where(t.ledger_records.c.source_id == previous)
    ):
        carried[(row_no, index)] = (old_id, person)
    old_ids = select(t.ledger_records.c.id).where(t.ledger_records.c.source_id == previous)
    decisions = list(
        conn.execute(
            select(t.ledger_links).where(
                t.ledger_links.c.status.in_(("confirmed", "rejected")),
                or_(
                    t.ledger_links.c.record_l.in_(old_ids),
                    t.ledger_links.c.record_r.in_(old_ids),
                ),
            )
        ).all()
    )
    conn.execute(delete(t.ledger_sources).where(t.ledger_sources.c.id == previous))
    return carried, decisions


def _restore_decisions(
    conn: Connection,
    decisions: list[Any],
    carried: dict[tuple[Any, Any], tuple[int, int | None]],
    records: list[dict[str, Any]],
    ids: list[int],
) -> None:
    """Reviewers' decisions on the old records, moved to the new records of the same rows."""
    renamed = {
        carried[(r["row_no"], r["name_year_index"])][0]: new_id
        for r, new_id in zip(records, ids, strict=True)
        if (r["row_no"], r["name_year_index"]) in carried
    }
    old_set = {old for old, _ in carried.values()}
    kept = []
    for d in decisions:
        ends = [renamed.get(e) if e in old_set else e for e in (d.record_l, d.record_r)]
        if None not in ends:
            a, b = sorted(int(e) for e in ends if e is not None)
            kept.append({**d._asdict(), "record_l": a, "record_r": b})
    if kept:
        conn.execute(insert(t.ledger_links), kept)


def _fact_row(vault: Vault, record_id: int, fact: Fact, confidence: str) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "kind": fact.kind,
        "on_date": fact.on_date,
        "at_time": fact.at_time,
        "place": fact.place,
        "facility": fact.facility,
        "agency": fact.agency,
        "court": fact.court,
        "article": fact.article,
        "arrest_days": fact.arrest_days,
        "fine": fact.fine,
        "fine_unit": fact.fine_unit,
        "medical_evidence": fact.medical_evidence,
        "confidence": confidence,
        "detail": vault.seal(fact.detail) if fact.detail else None,
    }
