"""Claims: numbers stated by officials, rights groups and the media, held against what the
ledger's cases support for the same kind, places and period.

The claims of 9 to 14 August 2020 ship with the package (``data/aftermath-2020/claims.csv``,
see its PROVENANCE.md); more are added to the database with :func:`add_claim`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from honestcount.errors import InputError
from honestcount.ledger.figures import load_facts, support
from honestcount.ledger.names import place_canonical
from honestcount.store import tables as t

CLAIM_KINDS = ("detained", "released", "injured", "killed", "died", "missing", "tried")
QUALIFIERS = (
    "exact",
    "about",
    "nearly",
    "more_than",
    "at_least",
    "at_most",
    "hundreds",
    "thousands",
)
SOURCE_KINDS = ("official_statement", "rights_group", "media", "volunteer_list", "other")
FIELDS = (
    "kind", "quantity", "qualifier", "quantity_text", "source", "source_kind", "reported_by",
    "stated_on", "period_start", "period_end", "places", "statement", "url", "note",
)  # fmt: skip


def bundled_path() -> Traversable:
    return resources.files("honestcount").joinpath("data/aftermath-2020/claims.csv")


def read_claims(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Claims from a CSV file with the columns of the bundled one (default: the bundled)."""
    source: Traversable | Path = bundled_path() if path is None else Path(path)
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"))))
    return [
        _validate(row, line=i + 2, file=str(path or "claims.csv")) for i, row in enumerate(rows)
    ]


def _date(
    value: object, *, field: str, line: int | None = None, file: str | None = None
) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as err:
        raise InputError(
            "dates are YYYY-MM-DD", file=file, line=line, column=field, value=value
        ) from err


def _validate(
    row: dict[str, Any], *, line: int | None = None, file: str | None = None
) -> dict[str, Any]:
    where: dict[str, Any] = {"file": file, "line": line}
    kind = (row.get("kind") or "").strip()
    if kind not in CLAIM_KINDS:
        raise InputError(
            f"kind must be one of {', '.join(CLAIM_KINDS)}", column="kind", value=kind, **where
        )
    try:
        quantity = int(str(row.get("quantity")).replace(",", "").strip())
    except ValueError as err:
        raise InputError(
            "quantity must be a whole number", column="quantity", value=row.get("quantity"), **where
        ) from err
    qualifier = (row.get("qualifier") or "exact").strip()
    if qualifier not in QUALIFIERS:
        raise InputError(
            f"qualifier must be one of {', '.join(QUALIFIERS)}",
            column="qualifier",
            value=qualifier,
            **where,
        )
    source_kind = (row.get("source_kind") or "other").strip()
    if source_kind not in SOURCE_KINDS:
        raise InputError(
            f"source_kind must be one of {', '.join(SOURCE_KINDS)}",
            column="source_kind",
            value=source_kind,
            **where,
        )
    if not (row.get("source") or "").strip():
        raise InputError("every claim needs its source", column="source", **where)
    stated = _date(row.get("stated_on"), field="stated_on", **where)
    if stated is None:
        raise InputError("every claim needs the date it was stated", column="stated_on", **where)
    places = []
    for p in str(row.get("places") or "").split(";"):
        if p.strip():
            places.append(place_canonical(p) or p.strip())
    return {
        "kind": kind,
        "quantity": quantity,
        "qualifier": qualifier,
        "quantity_text": (row.get("quantity_text") or "").strip() or None,
        "source": row["source"].strip(),
        "source_kind": source_kind,
        "reported_by": (row.get("reported_by") or "").strip() or None,
        "stated_on": stated,
        "period_start": _date(row.get("period_start"), field="period_start", **where),
        "period_end": _date(row.get("period_end"), field="period_end", **where) or stated,
        "places": ";".join(places),
        "statement": (row.get("statement") or "").strip() or None,
        "url": (row.get("url") or "").strip() or None,
        "note": (row.get("note") or "").strip() or None,
    }


def add_claim(engine: Engine, **fields: Any) -> dict[str, Any]:
    """Store one claim (fields as the CSV's columns); returns it with its id."""
    claim = _validate(fields)
    with engine.begin() as conn:
        claim_id = conn.execute(
            insert(t.ledger_claims).returning(t.ledger_claims.c.id),
            {**claim, "country": "Belarus", "added_at": dt.datetime.now(dt.UTC)},
        ).scalar_one()
    return {"id": claim_id, **_jsonable(claim)}


def stored_claims(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.ledger_claims).order_by(t.ledger_claims.c.id)).all()
    return [{c: getattr(r, c) for c in ("id", *FIELDS)} for r in rows]


def _jsonable(claim: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in claim.items()}


def claims_report(engine: Engine, *, include_bundled: bool = True) -> dict[str, Any]:
    """Every claim beside the number of people the ledger supports for it, and the gap.

    ``supported`` is the best reading; ``supported_range`` the low and high readings of
    linkage (see :mod:`honestcount.ledger.figures`); ``gap`` = quantity - supported (positive:
    the claim says more than the cases show).
    """
    claims: list[dict[str, Any]] = []
    if include_bundled:
        claims.extend({**c, "id": None, "bundled": True} for c in read_claims())
    claims.extend({**c, "bundled": False} for c in stored_claims(engine))
    with engine.connect() as conn:
        facts, readings = load_facts(conn)
    out = []
    for c in claims:
        places = [p for p in (c["places"] or "").split(";") if p]
        s = support(facts, c["kind"], places=places, start=c["period_start"], end=c["period_end"])
        out.append(
            {
                "id": c.get("id"),
                "bundled": c["bundled"],
                "kind": c["kind"],
                "quantity": c["quantity"],
                "qualifier": c["qualifier"],
                "quantity_text": c["quantity_text"],
                "source": c["source"],
                "source_kind": c["source_kind"],
                "reported_by": c["reported_by"],
                "date": _jsonable({"d": c["stated_on"]})["d"],
                "scope": {
                    "places": places or ["Belarus"],
                    "from": _jsonable({"d": c["period_start"]})["d"],
                    "to": _jsonable({"d": c["period_end"]})["d"],
                },
                "statement": c["statement"],
                "note": c["note"],
                "url": c["url"],
                "supported": s["best"],
                "supported_range": {"low": s["low"], "high": s["high"]},
                "gap": c["quantity"] - s["best"],
                "gap_range": {"low": c["quantity"] - s["high"], "high": c["quantity"] - s["low"]},
            }
        )
    people = {r: int(v.nunique()) for r, v in readings.items()}
    return {
        "claims": out,
        "ledger": {"records": int(len(readings["best"])), "people": people},
    }
