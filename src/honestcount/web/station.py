"""One station's page: everything the store holds about it, read straight from the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, and_, select

from honestcount.model import PROTOCOL_LINES
from honestcount.results import plain
from honestcount.store import tables as t
from honestcount.store.queries import SOURCE_PREFERENCE, of_election
from honestcount.web.common import UNVERIFIED, json_value, web_url
from honestcount.web.districts import names as district_names
from honestcount.web.privacy import INTAKE_SOURCE, WITHHELD, PublicCounts

if TYPE_CHECKING:
    from honestcount.web.site import Snapshot


def _read(engine: Engine, snap: Snapshot, pk: int, station_id: str) -> dict[str, Any]:
    """The station's rows in every evidence table."""
    with engine.connect() as conn:

        def of_station(table: Any, *columns: str) -> list[Any]:
            return list(
                conn.execute(
                    select(*[table.c[c] for c in columns]).where(table.c.station_pk == pk)
                ).all()
            )

        return {
            "row": conn.execute(select(t.stations).where(t.stations.c.pk == pk)).one(),
            "lines": of_station(t.protocol_lines, "source", "line", "value"),
            "official": of_station(t.official_votes, "source", "option_id", "votes"),
            "evidence": of_station(t.voter_evidence, "option_id", "declared", "photo", "source"),
            "observers": of_station(t.observer_reports, "source", "observers", "turnout_count"),
            "violations": of_station(t.observer_violations, "source", "code"),
            "verdict": conn.execute(
                select(
                    t.station_verdicts.c.verdict,
                    t.station_verdicts.c.proven_excess,
                    t.station_verdicts.c.details,
                ).where(t.station_verdicts.c.station_pk == pk)
            ).first(),
            "findings": conn.execute(
                select(t.data_quality.c.rule, t.data_quality.c.detail).where(
                    and_(
                        t.data_quality.c.election_id == snap.id,
                        t.data_quality.c.station_id == station_id,
                    )
                )
            ).all(),
        }


TABLES = {
    "lines": (t.protocol_lines, ("source", "line", "value")),
    "official": (t.official_votes, ("source", "option_id", "votes")),
    "evidence": (t.voter_evidence, ("option_id", "declared", "photo", "source")),
    "observers": (t.observer_reports, ("source", "observers", "turnout_count")),
    "violations": (t.observer_violations, ("source", "code")),
}


def _read_all(engine: Engine, snap: Snapshot) -> dict[int, dict[str, Any]]:
    """Every station's rows, one query per table (for the static copy)."""
    from collections import defaultdict

    by_pk: dict[int, dict[str, Any]] = defaultdict(
        lambda: {k: [] for k in (*TABLES, "findings")} | {"verdict": None}
    )
    s = t.stations
    with engine.connect() as conn:
        in_election = of_election(conn, snap.id)
        for row in conn.execute(select(s).where(s.c.election_id == snap.id)).all():
            by_pk[row.pk]["row"] = row
        for name, (table, columns) in TABLES.items():
            query = select(table.c.station_pk, *[table.c[c] for c in columns])
            for row in conn.execute(query.where(in_election(table))).all():
                by_pk[row.station_pk][name].append(row)
        v = t.station_verdicts
        query = select(v.c.station_pk, v.c.verdict, v.c.proven_excess, v.c.details)
        for row in conn.execute(query.where(in_election(v))).all():
            by_pk[row.station_pk]["verdict"] = row
        dq = t.data_quality
        findings = conn.execute(
            select(dq.c.station_id, dq.c.rule, dq.c.detail).where(dq.c.election_id == snap.id)
        ).all()
    pk_of = dict(zip(snap.index.index, snap.index["pk"], strict=True))
    for f in findings:
        if f.station_id in pk_of:
            by_pk[int(pk_of[f.station_id])]["findings"].append(f)
    return dict(by_pk)


def station_details(
    engine: Engine, snap: Snapshot, public: PublicCounts
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(station id, detail)`` for every station, as :func:`station_detail` gives them."""
    rows = _read_all(engine, snap)
    for sid, pk in zip(snap.index.index, snap.index["pk"], strict=True):
        yield sid, _detail(snap, sid, rows[int(pk)], public)


def _protocol(rows: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """The protocol of the preferred source (and the others beside it), official votes."""
    lines, official = rows["lines"], rows["official"]
    rank = {src: i for i, src in enumerate(SOURCE_PREFERENCE)}
    sources = sorted({r.source for r in (*lines, *official)}, key=lambda x: rank.get(x, 99))
    main = sources[0] if sources else None
    values = {r.line: int(r.value) for r in lines if r.source == main}
    ordered = [k for k in PROTOCOL_LINES if k in values] + sorted(
        k for k in values if k not in PROTOCOL_LINES
    )
    protocol = {
        "source": main,
        "lines": [{"line": k, "value": values[k]} for k in ordered],
        "other_sources": [
            {
                "source": src,
                "lines": {r.line: int(r.value) for r in lines if r.source == src},
                "official": {r.option_id: int(r.votes) for r in official if r.source == src},
            }
            for src in sources[1:]
        ],
    }
    return protocol, {r.option_id: int(r.votes) for r in official if r.source == main}


def _options(
    snap: Snapshot,
    rows: dict[str, Any],
    official: dict[str, int],
    details: dict[str, Any],
    public: PublicCounts,
    station_id: str,
) -> list[dict[str, Any]]:
    declared = {r.option_id: plain(r.declared) for r in rows["evidence"]}
    photo = {r.option_id: plain(r.photo) for r in rows["evidence"]}
    if public.active:
        for oid in list(declared):
            declared[oid], photo[oid] = public.cell(station_id, oid, declared[oid], photo[oid])
    for r in rows["evidence"]:  # written since the rule was read: withheld until read again
        if r.source == INTAKE_SOURCE and (station_id, r.option_id) not in public.pairs:
            declared[r.option_id] = photo[r.option_id] = None
    # at a withheld station even a shown count's difference from the official one would
    # restate what its verdict withholds
    differences = not _withheld(public, station_id, rows)
    out = []
    for o in snap.options:
        oid = o["id"]
        off, ph, de = official.get(oid), photo.get(oid), declared.get(oid)
        out.append(
            {
                "id": oid,
                "name": o["name"],
                "kind": o["kind"],
                "official": off,
                "photo_confirmed": ph,
                "declared": de,
                "photo_minus_official": None
                if off is None or ph is None or not differences
                else ph - off,
                "declared_minus_official": None
                if off is None or de is None or not differences
                else de - off,
                "verdict": details.get(f"{oid}_verdict") if differences else None,
            }
        )
    return out


def _withheld(public: PublicCounts, station_id: str, rows: dict[str, Any]) -> bool:
    """Whether the station's intake-derived figures are withheld (fails closed for intake
    rows the rule has not seen yet)."""
    if station_id in public.withheld_stations:
        return True
    return any(
        r.source == INTAKE_SOURCE and (station_id, r.option_id) not in public.pairs
        for r in rows["evidence"]
    )


def station_detail(
    engine: Engine, snap: Snapshot, station_id: str, public: PublicCounts
) -> dict[str, Any] | None:
    """Everything the store holds about one station, as plain JSON-ready values."""
    try:
        pos = snap.index.index.get_loc(station_id)
    except KeyError:
        return None
    if not isinstance(pos, int | np.integer):
        return None
    rows = _read(engine, snap, int(snap.index["pk"].iloc[pos]), station_id)
    return _detail(snap, station_id, rows, public)


def _district(election_id: str, code: str | None, region: str | None) -> dict[str, Any]:
    named = district_names(election_id, code, region)
    return {"district_name": named["en"] if named else None, "district_names": named}


def _photos_over_list(options: list[dict[str, Any]], listed: Any) -> dict[str, int] | None:
    """Where more ballots were photographed than the protocol lists voters: the figures the
    page's explanation quotes (``None`` elsewhere)."""
    photos = [o["photo_confirmed"] for o in options if o["photo_confirmed"] is not None]
    if not photos or listed is None or sum(photos) <= listed:
        return None
    declared = [o["declared"] for o in options if o["declared"] is not None]
    return {
        "photos": int(sum(photos)),
        "declared": int(sum(declared)),
        "registered_voters": int(listed),
    }


def _detail(
    snap: Snapshot, station_id: str, rows: dict[str, Any], public: PublicCounts
) -> dict[str, Any]:
    row, stored = rows["row"], rows["verdict"]
    protocol, official = _protocol(rows)
    verdict_name: str = UNVERIFIED
    excess: int | None = 0
    details: dict[str, Any] = {}
    if stored is not None:
        verdict_name = stored.verdict
        excess = int(stored.proven_excess)
        details = json_value(stored.details)
        if _withheld(public, station_id, rows):
            verdict_name, excess, details = WITHHELD, None, {}
        else:
            verdict_name, excess, details = public.verdict(
                station_id, verdict_name, excess, details
            )
    options = _options(snap, rows, official, details, public, station_id)
    rules = (snap.report or {}).get("check_rules", {})
    obs = rows["observers"][0] if rows["observers"] else None
    return {
        "station": {
            "id": station_id,
            **{k: getattr(row, k) for k in ("region", "district", "settlement_type", "town")},
            **_district(snap.id, row.district, row.region),
            **{k: getattr(row, k) for k in ("name", "latitude", "longitude")},
            "registered_voters": row.registered_voters,
            "url": row.url,
        },
        "verdict": {
            "verdict": verdict_name,
            "proven_excess_votes": excess,
            "proven_options": [r for r in (details.get("proven_options") or "").split(";") if r],
            "declared_exceeds_options": [
                o["id"] for o in options if o["verdict"] == "declared_exceeds_official"
            ],
            "official_voters": plain(details.get("official_voters")),
            "observer_turnout_count": plain(details.get("observer_turnout_count")),
            "turnout_excess": plain(details.get("turnout_excess")),
            "computed_at": snap.computed_at,
            "thresholds": snap.thresholds,
        },
        "options": options,
        "protocol": protocol,
        "failed_checks": [
            {"rule": r, "description": rules.get(r)}
            for r in (details.get("failed_checks") or "").split(";")
            if r
        ],
        "observers": {
            "observers": plain(obs.observers) if obs else None,
            "turnout_count": plain(obs.turnout_count) if obs else None,
            "source": obs.source if obs else None,
            "violations": [
                {"code": r.code, "reason": snap.violation_codes.get(r.code), "source": r.source}
                for r in sorted(rows["violations"], key=lambda r: (len(r.code), r.code))
            ],
        },
        "photos_over_list": _photos_over_list(options, row.registered_voters),
        "data_quality": [{"rule": r.rule, "detail": r.detail} for r in rows["findings"]],
        "protocol_photo": None,  # no data set carries protocol photos yet; see docs/web.md
        "source_url": web_url(row.url),
    }
