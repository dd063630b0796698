"""Plain descriptions of what the store holds: the election summary and station listings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from honestcount.model import PROTOCOL_LINES, ElectionData


def _clean(value):
    """JSON-safe scalar: NaN -> None, numpy -> Python, whole floats -> int."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def summarise(data: ElectionData, findings: pd.DataFrame | None = None) -> dict:
    """What was loaded: stations, evidence coverage, official sums, data-quality findings."""
    official = data.official
    has_official = data.has_official
    has_voters = (data.declared.notna() | data.photo.notna()).any(axis=1).to_numpy()
    has_observers = (data.observers["observers"].fillna(0) > 0).to_numpy()
    e = data.election
    out = {
        "election": e.id,
        "name": e.name,
        "country": e.country,
        "date": e.date.isoformat() if e.date else None,
        "protocol_schema": e.protocol_schema,
        "stations": len(data),
        "registered_voters": _clean(data.stations["registered_voters"].sum(min_count=1)),
        "stations_with_official_result": int(has_official.sum()),
        "stations_with_voter_evidence": int(has_voters.sum()),
        "stations_with_observers": int(has_observers.sum()),
        "stations_with_violations": int(data.violations["station_id"].nunique()),
        "options": [
            {
                "id": o.id,
                "name": o.name,
                "kind": str(o.kind),
                "official_votes": _clean(official[o.id].sum(min_count=1)),
                "declared": _clean(data.declared[o.id].sum(min_count=1)),
                "photo_confirmed": _clean(data.photo[o.id].sum(min_count=1)),
                "national_total": _clean(data.national_totals.get(o.id)),
            }
            for o in data.options
        ],
        "national_totals": {k: _clean(v) for k, v in data.national_totals.items()},
        "leader": data.leader() if data.choice_option_ids and has_official.any() else None,
        "protocol_lines": protocol_lines(data),
        "extra_lines": data.extra_lines,
        "notes": notes(data),
    }
    if findings is not None:
        counts = findings.groupby("rule").size() if len(findings) else pd.Series(dtype=int)
        out["data_quality"] = {str(k): int(v) for k, v in counts.items()}
    return out


def protocol_lines(data: ElectionData) -> list[dict]:
    """Each protocol line: its meaning (None for an extra line the loader did not know), its
    caption in the source, how it was derived, and its sum over the stations that have it."""
    out = []
    for line in data.lines.columns:
        values = data.lines[line]
        out.append(
            {
                "line": line,
                "meaning": PROTOCOL_LINES.get(line),
                "caption": data.line_captions.get(line),
                "derived_from": data.line_derivations.get(line),
                "stations_known": int(values.notna().sum()),
                "sum": _clean(values.sum(min_count=1)),
            }
        )
    return out


def notes(data: ElectionData) -> list[str]:
    """What the loader derived or kept without knowing it, in plain words."""
    out = []
    for line, parts in data.line_derivations.items():
        label = PROTOCOL_LINES.get(line, line)
        out.append(f"{line} is not printed in the source: derived as {parts} ({label})")
    if "ballots_cast" in data.lines and data.lines["ballots_cast"].isna().all() and len(data):
        out.append(
            "ballots_cast (voters who took part) is unknown: the source has neither box lines "
            "nor valid and invalid ballots"
        )
    for line in data.extra_lines:
        caption = data.line_captions.get(line)
        shown = f" ({caption!r})" if caption else ""
        out.append(
            f"{line}{shown}: a line of no known meaning, kept as it is (no estimate or "
            "forensic test reads it)"
        )
    if data.election.leader:
        out.append(f"leader set at import: {data.election.leader}")
    return out


def station_records(data: ElectionData, mask: np.ndarray | None = None) -> list[dict]:
    """One JSON-ready record per station (unknown values are null)."""
    idx = np.arange(len(data)) if mask is None else np.flatnonzero(mask)
    stations = data.stations.iloc[idx]
    ids = stations.index.to_numpy()
    violations = data.violations.groupby("station_id")["code"].agg(list).to_dict()

    def per_option(frame: pd.DataFrame) -> list[dict | None]:
        values = frame.iloc[idx]
        known = values.notna().any(axis=1).to_numpy()
        rows = values.astype(object).where(values.notna(), None).to_dict("records")
        return [
            {k: _clean(v) for k, v in row.items()} if ok else None
            for row, ok in zip(rows, known, strict=True)
        ]

    official, declared, photo = (
        per_option(data.official),
        per_option(data.declared),
        per_option(data.photo),
    )
    lines = per_option(data.lines)
    base = stations.astype(object).where(stations.notna(), None).to_dict("records")
    observers = data.observers.iloc[idx].to_numpy()
    source = data.official_source.iloc[idx].to_numpy()
    return [
        {
            "id": sid,
            **{k: _clean(v) for k, v in row.items()},
            "official_source": source[i],
            "protocol": lines[i],
            "official": official[i],
            "declared": declared[i],
            "photo_confirmed": photo[i],
            "observers": _clean(observers[i, 0]),
            "observer_turnout_count": _clean(observers[i, 1]),
            "violations": violations.get(sid, []),
        }
        for i, (sid, row) in enumerate(zip(ids, base, strict=True))
    ]


def station_table(data: ElectionData) -> pd.DataFrame:
    """A flat table for CSV export: station fields, then official/declared/photo per option."""
    parts = [data.stations, data.lines.add_prefix("protocol_")]
    parts += [
        data.official.add_prefix("official_"),
        data.declared.add_prefix("declared_"),
        data.photo.add_prefix("photo_"),
        data.observers,
    ]
    table = pd.concat(parts, axis=1)
    table.insert(len(data.stations.columns), "official_source", data.official_source)
    return table
