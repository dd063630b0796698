"""Cases: a person's records and facts, read only through logged functions; entry by hand;
disclosure (consent); the relatives' search; retention.

Every function that opens a sealed value about a person writes a row in ``ledger_access``
in the same transaction. Nothing here returns a partial-name listing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, select, update

from honestcount.errors import InputError, NotFoundError
from honestcount.ledger import access
from honestcount.ledger.crypto import Vault
from honestcount.ledger.importer import CONFIDENCE, FACT_KINDS, SOURCE_KINDS, blind_indexes
from honestcount.ledger.names import facility_canonical, name_parts, place_canonical
from honestcount.ledger.reading import Fact
from honestcount.ledger.runs import assign_persons, drop_empty_persons
from honestcount.store import tables as t

DISCLOSURE = ("private", "consented", "public")


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def read_case(
    engine: Engine, vault: Vault, person_id: int, *, actor: str, purpose: str
) -> dict[str, Any]:
    """Everything the ledger holds on one person: each record (list, row, name and birth year
    as written), each fact with its source and confidence, agreeing facts grouped with all
    their sources, and disagreements side by side. Logged."""
    if not purpose:
        raise InputError("say why the case is being read (purpose)")
    with engine.begin() as conn:
        person = conn.execute(
            select(t.ledger_persons).where(t.ledger_persons.c.id == person_id)
        ).first()
        if person is None:
            raise NotFoundError(f"no person {person_id} in the ledger")
        rows = conn.execute(
            select(
                t.ledger_records.c.id,
                t.ledger_records.c.key_id,
                t.ledger_records.c.payload,
                t.ledger_records.c.row_no,
                t.ledger_records.c.pinned,
                t.ledger_sources.c.name,
                t.ledger_sources.c.kind,
                t.ledger_sources.c.list_date,
            )
            .join(t.ledger_sources)
            .where(t.ledger_records.c.person_id == person_id)
            .order_by(t.ledger_records.c.id)
        ).all()
        record_ids = [r.id for r in rows]
        facts = conn.execute(
            select(t.ledger_facts)
            .where(t.ledger_facts.c.record_id.in_(record_ids))
            .order_by(t.ledger_facts.c.on_date, t.ledger_facts.c.id)
        ).all()
        access.log(conn, actor, "read_case", person_id=person_id, purpose=purpose)
    records, source_of = [], {}
    for r in rows:
        vault.check(r.key_id)
        p = vault.open(r.payload)
        source_of[r.id] = r.name
        records.append(
            {
                "id": r.id,
                "source": r.name,
                "source_kind": r.kind,
                "list_date": _iso(r.list_date),
                "row": r.row_no,
                "pinned": bool(r.pinned),
                "name": p.get("name")
                or " ".join(
                    x for x in (p.get("surname"), p.get("given"), p.get("patronymic")) if x
                ),
                "birth_year": p.get("birth_year"),
                "birth_from": p.get("birth_from"),
                "notes": p.get("notes") or None,
                "cells": p.get("cells"),
            }
        )
    fact_list = []
    for f in facts:
        fact_list.append(
            {
                "id": f.id,
                "record": f.record_id,
                "source": source_of[f.record_id],
                "kind": f.kind,
                "date": _iso(f.on_date),
                "time": f.at_time,
                "place": f.place,
                "facility": f.facility,
                "agency": f.agency,
                "court": f.court,
                "article": f.article,
                "arrest_days": f.arrest_days,
                "fine": f.fine,
                "fine_unit": f.fine_unit,
                "medical_evidence": f.medical_evidence,
                "confidence": f.confidence,
                "detail": vault.open(f.detail) if f.detail is not None else None,
            }
        )
    return {
        "person": person_id,
        "disclosure": person.disclosure,
        "hold_until": _iso(person.hold_until),
        "records": records,
        "facts": fact_list,
        "events": _events(fact_list),
        "conflicts": _conflicts(fact_list),
    }


_RANK = {"high": 3, "medium": 2, "low": 1}


def _events(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facts that agree (same kind, date and facility or place) as one event, with every
    source that reports it; an event reported by two or more sources is corroborated."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for f in facts:
        groups[(f["kind"], f["date"], f["facility"] or f["place"])].append(f)
    out = []
    for (kind, date, where), group in groups.items():
        sources = sorted({f["source"] for f in group})
        best = max(group, key=lambda f: _RANK.get(f["confidence"], 0))
        out.append(
            {
                "kind": kind,
                "date": date,
                "where": where,
                "sources": sources,
                "confidence": best["confidence"],
                "corroborated": len(sources) >= 2,
                "facts": [f["id"] for f in group],
            }
        )
    return sorted(out, key=lambda e: (e["date"] or "9999", e["kind"]))


def _conflicts(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where sources disagree on one kind of event: different dates, places or outcomes,
    each value with the sources that give it. Nothing is resolved: both stay on record."""
    out = []
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in facts:
        by_kind[f["kind"]].append(f)
    for kind, group in by_kind.items():
        for field in ("date", "place", "facility", "arrest_days", "fine"):
            values: dict[str, set[str]] = defaultdict(set)
            for f in group:
                if f[field] is not None:
                    values[str(f[field])].add(f["source"])
            if len(values) > 1 and kind in ("detained", "released", "died", "tried"):
                out.append(
                    {
                        "kind": kind,
                        "field": field,
                        "values": {v: sorted(s) for v, s in values.items()},
                    }
                )
    return out


def add_record(
    engine: Engine,
    vault: Vault,
    *,
    source: str,
    source_kind: str,
    name: str,
    birth_year: int | None = None,
    facts: list[dict[str, Any]] | None = None,
    person_id: int | None = None,
    notes: str | None = None,
    confidence: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """Enter one report by hand (a lawyer's call, a released detainee's account): a record
    under source ``source`` (created if new), with its facts. With ``person_id`` the record
    is pinned to that person; otherwise the next linkage decides."""
    if source_kind not in SOURCE_KINDS:
        raise InputError(f"unknown source kind {source_kind!r}")
    confidence = confidence or SOURCE_KINDS[source_kind]
    if confidence not in CONFIDENCE:
        raise InputError(f"confidence must be one of {', '.join(CONFIDENCE)}")
    parts = name_parts(name)
    if not (parts.surname or parts.given):
        raise InputError("the name cannot be read")
    fact_objs = [_fact_from_dict(f) for f in (facts or [])]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        source_id = conn.execute(
            select(t.ledger_sources.c.id).where(t.ledger_sources.c.name == source)
        ).scalar()
        if source_id is None:
            source_id = conn.execute(
                insert(t.ledger_sources).returning(t.ledger_sources.c.id),
                {"name": source, "kind": source_kind, "confidence": confidence,
                 "imported_at": now, "rows": 0, "list_date": now.date()},
            ).scalar_one()  # fmt: skip
        if (
            person_id is not None
            and conn.execute(
                select(t.ledger_persons.c.id).where(t.ledger_persons.c.id == person_id)
            ).first()
            is None
        ):
            raise NotFoundError(f"no person {person_id} in the ledger")
        row_no = (
            conn.execute(
                select(func.max(t.ledger_records.c.row_no)).where(
                    t.ledger_records.c.source_id == source_id
                )
            ).scalar()
            or 0
        ) + 1
        place = next((f.place for f in fact_objs if f.place), None)
        features = {
            "unique_id": 0, "source": source_id, "surname": parts.surname,
            "surname_skel": parts.surname_skeleton, "given": parts.given,
            "given_initial": parts.given_initial,
            "patronymic": parts.patronymic, "birth_year": birth_year, "place": place,
            "gender": parts.gender,
        }  # fmt: skip
        payload = {"v": 1, "name": name, "surname": "", "given": "", "patronymic": "",
                   "birth_year": birth_year, "birth_from": "year" if birth_year else None,
                   "cells": {}, "notes": notes or "", "f": features}  # fmt: skip
        record_id = conn.execute(
            insert(t.ledger_records).returning(t.ledger_records.c.id),
            {
                "source_id": source_id,
                "row_no": row_no,
                "key_id": vault.key_id,
                "payload": vault.seal(payload),
                **blind_indexes(vault, parts, birth_year),
                "person_id": person_id,
                "pinned": person_id is not None,
                "imported_at": now,
            },
        ).scalar_one()
        for f in fact_objs:
            conn.execute(
                insert(t.ledger_facts),
                {
                    "record_id": record_id, "kind": f.kind, "on_date": f.on_date,
                    "at_time": f.at_time, "place": f.place, "facility": f.facility,
                    "agency": f.agency, "court": f.court, "article": f.article,
                    "arrest_days": f.arrest_days, "fine": f.fine, "fine_unit": f.fine_unit,
                    "medical_evidence": f.medical_evidence, "confidence": confidence,
                    "detail": vault.seal(f.detail) if f.detail else None,
                },
            )  # fmt: skip
        conn.execute(
            update(t.ledger_sources)
            .where(t.ledger_sources.c.id == source_id)
            .values(rows=t.ledger_sources.c.rows + 1)
        )
        if person_id is None:
            assign_persons(conn)
        person = conn.execute(
            select(t.ledger_records.c.person_id).where(t.ledger_records.c.id == record_id)
        ).scalar()
        access.log(conn, actor, "add_record", record_id=record_id, person_id=person)
    return {"record": record_id, "person": person, "facts": len(fact_objs)}


def _fact_from_dict(d: dict[str, Any]) -> Fact:
    kind = d.get("kind")
    if kind not in FACT_KINDS:
        raise InputError(f"unknown fact kind {kind!r} (known: {', '.join(FACT_KINDS)})")
    on = d.get("date")
    if isinstance(on, str):
        try:
            on = dt.date.fromisoformat(on)
        except ValueError as err:
            raise InputError("dates are YYYY-MM-DD", value=on) from err
    facility = facility_canonical(d.get("facility")) if d.get("facility") else None
    return Fact(
        kind=kind,
        on_date=on,
        at_time=d.get("time"),
        place=place_canonical(d.get("place")) or d.get("place"),
        facility=facility,
        agency=d.get("agency"),
        court=d.get("court"),
        article=d.get("article"),
        arrest_days=d.get("arrest_days"),
        fine=d.get("fine"),
        fine_unit=d.get("fine_unit"),
        medical_evidence=d.get("medical_evidence"),
        detail=d.get("detail"),
    )


def set_disclosure(
    engine: Engine,
    vault: Vault,
    person_id: int,
    disclosure: str,
    *,
    note: str | None = None,
    hold_until: dt.date | None = None,
    actor: str,
) -> dict[str, Any]:
    """Record consent to publish (``consented``), that a case is already public
    (``public``), or withdraw either (``private``); ``hold_until`` keeps the case from purges
    (a legal case in progress). ``note`` (who agreed, when, how) is sealed."""
    if disclosure not in DISCLOSURE:
        raise InputError(f"disclosure must be one of {', '.join(DISCLOSURE)}")
    with engine.begin() as conn:
        found = conn.execute(
            update(t.ledger_persons)
            .where(t.ledger_persons.c.id == person_id)
            .values(
                disclosure=disclosure,
                disclosure_note=vault.seal(note) if note else None,
                hold_until=hold_until,
                updated_at=dt.datetime.now(dt.UTC),
            )
        ).rowcount
        if not found:
            raise NotFoundError(f"no person {person_id} in the ledger")
        access.log(conn, actor, "disclose", person_id=person_id, detail={"disclosure": disclosure})
    return {"person": person_id, "disclosure": disclosure, "hold_until": _iso(hold_until)}


# --- relatives' search ----------------------------------------------------------------------


def relatives_search(
    engine: Engine,
    vault: Vault,
    full_name: str,
    birth_year: int | str | None,
    *,
    actor: str = "relatives-search",
    purpose: str = "relatives' search",
) -> dict[str, Any]:
    """Whether a person with this full name and year of birth is in the ledger, and where
    they were last recorded (date, city, facility). Nothing else: no status, no other
    record, no list of similar names.

    The name must hold at least a surname and a given name; spellings are matched through the
    same normalisation as linkage (Cyrillic or Latin, Belarusian or Russian forms, any word
    order), then by keyed blind index, so the search never decrypts a name. When two
    different people match (namesakes born the same year), the answer is ``found`` without a
    place: the organisation has to tell them apart.
    """
    year = _year(birth_year)
    parts = name_parts(full_name or "")
    if year is None or not parts.complete:
        with engine.begin() as conn:  # incomplete queries are logged too (probing shows)
            access.log(conn, actor, "relatives_search", purpose=purpose, detail={"complete": False})
        return {"found": False, "needs": "surname, given name and year of birth"}
    indexes = blind_indexes(vault, parts, year)
    with engine.begin() as conn:
        hits = conn.execute(
            select(t.ledger_records.c.id, t.ledger_records.c.person_id).where(
                or_(
                    t.ledger_records.c.name_year_index == indexes["name_year_index"],
                    t.ledger_records.c.skeleton_year_index == indexes["skeleton_year_index"],
                )
            )
        ).all()
        people = {p if p is not None else -rid for rid, p in hits}
        if not people:
            access.log(conn, actor, "relatives_search", purpose=purpose, detail={"found": False})
            return {"found": False}
        if len(people) > 1:
            access.log(conn, actor, "relatives_search", purpose=purpose,
                       detail={"found": True, "ambiguous": True})  # fmt: skip
            return {"found": True, "last_recorded": None, "ambiguous": True}
        (key,) = people
        record_filter = (
            t.ledger_records.c.person_id == key if key > 0 else t.ledger_records.c.id == -key
        )
        effective = func.coalesce(t.ledger_facts.c.on_date, t.ledger_sources.c.list_date)
        last = conn.execute(
            select(effective.label("on"), t.ledger_facts.c.place, t.ledger_facts.c.facility)
            .select_from(t.ledger_facts.join(t.ledger_records).join(t.ledger_sources))
            .where(record_filter)
            .order_by(effective.desc().nulls_last(), t.ledger_facts.c.id.desc())
            .limit(1)
        ).first()
        access.log(
            conn, actor, "relatives_search", person_id=key if key > 0 else None,
            record_id=-key if key < 0 else None, purpose=purpose, detail={"found": True},
        )  # fmt: skip
    where = None
    if last is not None:
        on = last.on
        if isinstance(on, str):  # SQLite returns COALESCE of dates as text
            on = dt.date.fromisoformat(on[:10])
        where = {"date": _iso(on), "place": last.place, "facility": last.facility}
    return {"found": True, "last_recorded": where}


def _year(value: object) -> int | None:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return year if 1900 <= year <= dt.date.today().year else None


# --- retention ------------------------------------------------------------------------------


def purge(
    engine: Engine,
    *,
    older_than_days: int | None = None,
    today: dt.date | None = None,
    actor: str,
) -> dict[str, Any]:
    """Delete records past their retention: those whose ``purge_after`` date has come, and
    with ``older_than_days`` those imported longer ago than that. Records of people whose
    case is consented or public, or under a hold, are kept. Facts and links go with their
    records; people left without records go too. Returns counts; logged."""
    today = today or dt.date.today()
    conditions = [t.ledger_records.c.purge_after <= today]
    if older_than_days is not None:
        if older_than_days < 0:
            raise InputError("older_than_days must not be negative")
        cutoff = dt.datetime.combine(
            today - dt.timedelta(days=older_than_days), dt.time(), tzinfo=dt.UTC
        )
        conditions.append(t.ledger_records.c.imported_at < cutoff)
    kept_people = select(t.ledger_persons.c.id).where(
        or_(
            t.ledger_persons.c.disclosure.in_(("consented", "public")),
            t.ledger_persons.c.hold_until >= today,
        )
    )
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete=ON")  # overwrite freed pages
        doomed = select(t.ledger_records.c.id).where(
            or_(*conditions),
            or_(
                t.ledger_records.c.person_id.is_(None),
                t.ledger_records.c.person_id.not_in(kept_people),
            ),
        )
        ids = conn.execute(doomed).scalars().all()
        for start in range(0, len(ids), 5_000):
            chunk = ids[start : start + 5_000]
            conn.execute(delete(t.ledger_records).where(t.ledger_records.c.id.in_(chunk)))
        before = conn.execute(select(func.count()).select_from(t.ledger_persons)).scalar() or 0
        drop_empty_persons(conn)
        after = conn.execute(select(func.count()).select_from(t.ledger_persons)).scalar() or 0
        access.log(conn, actor, "purge", detail={"records": len(ids), "people": before - after})
    return {
        "records_deleted": len(ids),
        "people_deleted": before - after,
        "today": today.isoformat(),
    }


# --- public ---------------------------------------------------------------------------------


def public_cases(engine: Engine, vault: Vault, *, actor: str = "public") -> list[dict[str, Any]]:
    """Cases that may be published: consented or already public. Each with one name as
    written in its sources, and its events (kind, date, city, facility), nothing else."""
    with engine.begin() as conn:
        persons = conn.execute(
            select(t.ledger_persons.c.id, t.ledger_persons.c.disclosure)
            .where(t.ledger_persons.c.disclosure.in_(("consented", "public")))
            .order_by(t.ledger_persons.c.id)
        ).all()
        out = []
        for person_id, disclosure in persons:
            rows = conn.execute(
                select(
                    t.ledger_records.c.id, t.ledger_records.c.key_id, t.ledger_records.c.payload
                ).where(t.ledger_records.c.person_id == person_id)
            ).all()
            names = []
            for _, key_id, payload in rows:
                vault.check(key_id)
                p = vault.open(payload)
                names.append(
                    p.get("name") or " ".join(x for x in (p.get("surname"), p.get("given")) if x)
                )
            facts = conn.execute(
                select(t.ledger_facts.c.kind, t.ledger_facts.c.on_date, t.ledger_facts.c.place,
                       t.ledger_facts.c.facility)
                .where(t.ledger_facts.c.record_id.in_([r[0] for r in rows]))
                .distinct()
            ).all()  # fmt: skip
            events = sorted(
                ({"kind": k, "date": _iso(d), "place": p, "facility": f} for k, d, p, f in facts),
                key=lambda e: (e["date"] or "9999", e["kind"]),
            )
            name = max(set(names), key=names.count) if names else None
            out.append(
                {"person": person_id, "disclosure": disclosure, "name": name, "events": events}
            )
        access.log_many(conn, actor, "publish", [c["person"] for c in out], purpose="public cases")
    return out
