"""Open data: every number behind the pages as files anyone can download, check and republish.

For one election :func:`build` writes stations, verdicts and estimates as CSV, Parquet and
(where it makes sense: stations and verdicts have places) GeoJSON, the whole public database
as one SQLite file, and a manifest with each file's size and SHA-256 (``manifest.json``, and
``SHA256SUMS`` for ``sha256sum -c``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Date, DateTime, Engine, create_engine, select

from honestcount import __version__
from honestcount.store import tables as t
from honestcount.store.db import bulk_insert
from honestcount.store.queries import of_election, read_frame
from honestcount.web.privacy import (
    INTAKE_SOURCE,
    NONE,
    WITHHELD,
    PublicCounts,
    mask_report,
    withheld_verdicts,
)

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
# What honestcount computed (verdicts, estimates) is published under this licence; the
# evidence itself stays under its source's terms, named in each file's provenance.
LICENCE = {
    "id": "CC-BY-4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "applies_to": "what honestcount computed: verdicts, estimates and their tables",
    "evidence": "the evidence is republished as its source published it; see provenance",
}

# The tables of the public database. Anything else the store holds (the intake API's
# submissions, for one) is never exported: this list is the whole of what is published.
PUBLIC_TABLES = (
    t.elections,
    t.options,
    t.stations,
    t.protocol_lines,
    t.official_votes,
    t.voter_evidence,
    t.observer_reports,
    t.observer_violations,
    t.violation_codes,
    t.national_totals,
    t.data_quality,
    t.protocol_captions,  # each protocol line's caption as the source printed it
    t.verifications,
    t.station_verdicts,
)
STATION_KEYED = {
    "protocol_lines",
    "official_votes",
    "voter_evidence",
    "observer_reports",
    "observer_violations",
    "station_verdicts",
}

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".sqlite": "application/vnd.sqlite3",
    "": "text/plain; charset=utf-8",
}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")


def _none(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _write_geojson(path: Path, frame: pd.DataFrame, lat: pd.Series, lon: pd.Series) -> None:
    """Point features (null geometry where a station has no coordinates), id = station id."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    lat_a, lon_a = lat.to_numpy(dtype=float), lon.to_numpy(dtype=float)
    with path.open("w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        for i, (sid, props) in enumerate(zip(frame.index, records, strict=True)):
            geometry = (
                None
                if math.isnan(lat_a[i]) or math.isnan(lon_a[i])
                else {"type": "Point", "coordinates": [round(lon_a[i], 6), round(lat_a[i], 6)]}
            )
            feature = {
                "type": "Feature",
                "id": sid,
                "geometry": geometry,
                "properties": {k: _none(v) for k, v in props.items()},
            }
            f.write(
                ("," if i else "")
                + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
                + "\n"
            )
        f.write("]}\n")


def _write_table(out: Path, stem: str, frame: pd.DataFrame, written: list[dict]) -> None:
    csv = out / f"{stem}.csv"
    frame.to_csv(csv, index=True)
    written.append({"name": csv.name, "rows": len(frame)})
    parquet = out / f"{stem}.parquet"
    pq = frame.copy()
    for col in pq.columns:
        if pq[col].dtype == object:
            pq[col] = pq[col].map(lambda v: None if v is None else str(v)).astype("string")
    pq.to_parquet(parquet, index=True)
    written.append({"name": parquet.name, "rows": len(frame)})


def stations_table(data, verdicts: pd.DataFrame | None) -> pd.DataFrame:
    """One row per station: place, official protocol, voters' and observers' evidence,
    verdict and proven excess votes."""
    from honestcount.summary import station_table

    table = station_table(data)
    table.index.name = "station_id"
    if verdicts is not None:
        table["verdict"] = verdicts["verdict"].reindex(table.index)
        table["proven_excess_votes"] = verdicts["proven_excess"].reindex(table.index)
    return table


def verdicts_table(data, verdicts: pd.DataFrame) -> pd.DataFrame:
    """One row per station: verdict and the numbers behind it (as ``honestcount verify
    --csv`` writes them), from the stored verification."""
    details = pd.DataFrame(list(verdicts["details"]), index=verdicts.index)
    front = pd.DataFrame(
        {
            "verdict": verdicts["verdict"],
            "proven_excess_votes": verdicts["proven_excess"],
        },
        index=verdicts.index,
    )
    table = pd.concat([front, details], axis=1)
    table.index.name = "station_id"
    place = data.stations.reindex(table.index)
    table.insert(2, "latitude", place["latitude"])
    table.insert(3, "longitude", place["longitude"])
    return table


def estimates_table(result: dict[str, Any]) -> pd.DataFrame:
    """Long table: for each option the official result, the lower bounds and every method's
    estimate with its 95% interval (shares are of ballots cast)."""
    rows = []
    for option in result.get("options", []):
        off = result.get("official", {}).get(option, {})
        rows.append(
            {
                "option": option,
                "method": "official",
                "share": off.get("share"),
                "votes": off.get("votes"),
            }
        )
        lb = result.get("lower_bounds", {}).get(option, {})
        rows.append(
            {
                "option": option,
                "method": "lower_bound",
                "share": lb.get("share"),
                "votes": lb.get("votes"),
            }
        )
        rows.append(
            {
                "option": option,
                "method": "lower_bound_photo",
                "share": lb.get("photo_share"),
                "votes": lb.get("photo_votes"),
            }
        )
    for r in result.get("estimates", []):
        rows.append(dict(r))
    frame = pd.DataFrame(rows)
    recommended = result.get("recommended", {})
    frame["recommended"] = [
        recommended.get(o) == m for o, m in zip(frame["option"], frame["method"], strict=True)
    ]
    columns = [
        "option",
        "method",
        "recommended",
        "share",
        "ci_low",
        "ci_high",
        "votes",
        "votes_ci_low",
        "votes_ci_high",
        "moe",
    ]
    frame = frame.reindex(columns=columns)
    return frame.set_index(["option", "method"])


def _native_rows(frame: pd.DataFrame, table) -> pd.DataFrame:
    """Values a fresh SQLite file accepts: JSON as Python objects, dates as ISO text."""
    for col in frame.columns:
        kind = table.c[col].type
        if isinstance(kind, JSON):
            frame[col] = frame[col].map(lambda v: json.loads(v) if isinstance(v, str) else v)
        elif isinstance(kind, Date | DateTime):
            frame[col] = frame[col].map(
                lambda v: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
            )
    return frame


def export_sqlite(
    engine: Engine,
    election_id: str,
    path: Path,
    public: PublicCounts = NONE,
    withheld: pd.DataFrame | None = None,
) -> dict[str, int]:
    """The election's public tables copied into a new SQLite file (same schema as the store);
    the intake's withheld counts are NULL there, withheld stations' verdicts ``withheld``
    and the report without them (``withheld``: their stored verdicts)."""
    if withheld is None:
        withheld = pd.DataFrame(columns=["verdict", "proven_excess", "details"])
    path.unlink(missing_ok=True)
    target = create_engine(f"sqlite:///{path}")
    t.metadata.create_all(target, tables=list(PUBLIC_TABLES))
    counts = {}
    station_of: dict = {}
    with engine.connect() as src, target.begin() as dst:
        in_election = of_election(src, election_id)
        for table in PUBLIC_TABLES:
            query = select(*table.columns)
            if table.name in STATION_KEYED:
                query = query.where(in_election(table))
            elif table.name == "elections":
                query = query.where(table.c.id == election_id)
            else:
                query = query.where(table.c.election_id == election_id)
            frame = read_frame(src, query)
            if table.name == "elections" and len(frame):
                # where the import was read from on the server says nothing to the public
                frame["import_path"] = frame["import_path"].map(
                    lambda p: os.path.basename(p) if isinstance(p, str) else p
                )
            if table.name == "stations":
                station_of = dict(zip(frame["pk"], frame["station_id"], strict=True))
            if public.active and table.name == "voter_evidence" and len(frame):
                frame = _mask_evidence(frame, station_of, public)
            if public.active and table.name == "verifications" and len(frame):
                report = mask_report(_as_dict(frame["report"].iloc[0]), withheld, public)
                frame["report"] = pd.Series([report], index=frame.index, dtype=object)
            if public.active and table.name == "station_verdicts" and len(frame):
                frame = _mask_station_verdicts(frame, station_of, public)
            counts[table.name] = bulk_insert(dst, table, _native_rows(frame, table))
    target.dispose()
    return counts


def _mask_station_verdicts(
    frame: pd.DataFrame, station_of: dict, public: PublicCounts
) -> pd.DataFrame:
    """``station_verdicts`` rows as they may be published: a withheld station's verdict is
    ``withheld`` with no details (its proven excess, NOT NULL in the schema, is 0)."""
    sids = [str(station_of.get(pk)) for pk in frame["station_pk"]]
    held = pd.Series([sid in public.withheld_stations for sid in sids], index=frame.index)
    frame = frame.copy()
    frame.loc[held, "verdict"] = WITHHELD
    frame.loc[held, "proven_excess"] = 0
    masked: list[Any] = [
        public.mask_details(sid, _as_dict(d)) for sid, d in zip(sids, frame["details"], strict=True)
    ]
    frame["details"] = pd.Series(masked, index=frame.index, dtype=object)
    return frame


def _as_dict(value) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _mask_evidence(frame: pd.DataFrame, station_of: dict, public: PublicCounts) -> pd.DataFrame:
    """``voter_evidence`` rows with the intake's withheld counts as NULL."""
    frame = frame.astype({"declared": object, "photo": object})
    for i, (pk, oid, source) in enumerate(
        zip(frame["station_pk"], frame["option_id"], frame["source"], strict=True)
    ):
        if source != INTAKE_SOURCE:
            continue
        d, p = public.cell(str(station_of.get(pk)), oid, None, None)
        frame.iloc[i, list(frame.columns).index("declared")] = d
        frame.iloc[i, list(frame.columns).index("photo")] = p
    return frame


def _provenance_kind(name: str) -> str:
    """Which provenance entry a file's content comes under."""
    for prefix, kind in (("stations", "stations"), ("verdicts", "verdicts")):
        if name.startswith(prefix):
            return kind
    if name.startswith(("estimates", "honest-stations")):
        return "estimates"
    return "honestcount"


def _provenance(
    engine: Engine, election_id: str, estimate: dict[str, Any] | None
) -> dict[str, Any]:
    """Where each kind of file comes from: the imported evidence, the stored verification,
    the stored estimate run (its parameters), and the whole database."""
    with engine.connect() as conn:
        e = conn.execute(select(t.elections).where(t.elections.c.id == election_id)).one()
        ver = conn.execute(
            select(t.verifications.c.computed_at, t.verifications.c.evidence_digest).where(
                t.verifications.c.election_id == election_id
            )
        ).first()
    evidence = {
        "evidence": e.source,
        "imported_at": e.imported_at.isoformat() if e.imported_at else None,
        "import": os.path.basename(e.import_path) if e.import_path else None,
    }
    verdicts = dict(evidence)
    if ver is not None:
        verdicts |= {
            "verification": "honestcount verify",
            "computed_at": ver.computed_at.isoformat(),
            "evidence_digest": ver.evidence_digest,
        }
    return {
        "stations": evidence,
        "verdicts": verdicts,
        "estimates": dict(evidence, analysis=estimate) if estimate else evidence,
        "honestcount": dict(verdicts, content="the public tables of the store"),
    }


def _file_entries(
    out: Path, written: list[dict[str, Any]], sources: dict[str, Any]
) -> list[dict[str, Any]]:
    """The manifest's entry of each written file: size, hash, type and provenance."""
    files = []
    for item in written:
        path = out / item["name"]
        files.append(
            {
                "name": item["name"],
                "bytes": path.stat().st_size,
                "sha256": sha256_file(path),
                "media_type": media_type(item["name"]),
                "content": item.get("content", item["name"].split(".")[0]),
                "format": path.suffix.lstrip("."),
                "rows": item["rows"],
                **({"tables": item["tables"]} if "tables" in item else {}),
                "provenance": sources[_provenance_kind(item["name"])],
            }
        )
    return files


def build(
    engine: Engine,
    election_id: str,
    data,
    verdicts: pd.DataFrame | None,
    estimates: dict[str, Any] | None,
    out: Path,
    *,
    stamp: str = "",
    public: PublicCounts = NONE,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write every open-data file of the election into ``out`` and return the manifest.

    ``public`` says what may be shown of the counts that came through the intake API: its
    withheld cells are left empty in every file (see :mod:`honestcount.web.privacy`)."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[dict] = []
    notes: list[str] = []
    codes: list[str] = []  # one per note, for the pages to say it in their language
    withheld = None
    if public.active:
        data = dataclasses.replace(data, declared=data.declared.copy(), photo=data.photo.copy())
        public.mask_frames(data.declared, data.photo)
        if verdicts is not None:
            with engine.connect() as conn:
                withheld = withheld_verdicts(conn, election_id, public)
            verdicts = public.mask_stored(verdicts)
        notes.append(
            "counts sent through the intake are published only as its rules allow "
            "(embargo, minimum group size): withheld cells are empty"
        )
        codes.append("intake_withheld")

    stations = stations_table(data, verdicts)
    _write_table(out, "stations", stations, written)
    place = data.stations
    geo_cols = [c for c in stations.columns if c not in ("latitude", "longitude", "url")]
    _write_geojson(
        out / "stations.geojson", stations[geo_cols], place["latitude"], place["longitude"]
    )
    written.append({"name": "stations.geojson", "rows": len(stations)})

    if verdicts is not None and len(verdicts):
        table = verdicts_table(data, verdicts)
        _write_table(out, "verdicts", table, written)
        geo = table.drop(columns=["latitude", "longitude"])
        _write_geojson(out / "verdicts.geojson", geo, table["latitude"], table["longitude"])
        written.append({"name": "verdicts.geojson", "rows": len(table)})
    else:
        notes.append("no stored verification: run honestcount verify to publish verdicts")
        codes.append("no_verification")

    if estimates is not None:
        table = estimates_table(estimates)
        _write_table(out, "estimates", table, written)
        (out / "estimates.json").write_text(
            json.dumps(estimates, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        written.append({"name": "estimates.json", "rows": len(table)})
        honest = estimates.get("honest_stations")
        if isinstance(honest, dict) and honest.get("stations"):
            table = pd.json_normalize(honest["stations"]).set_index("station")
            table.to_csv(out / "honest-stations.csv", index=True)
            written.append(
                {"name": "honest-stations.csv", "rows": len(table), "content": "honest_stations"}
            )
        by_region = pd.DataFrame(estimates.get("by_region", []))
        if len(by_region):
            _write_table(
                out, "estimates-by-region", by_region.set_index(["method", "region"]), written
            )
    else:
        notes.append("independent estimates are not available for this election yet")
        codes.append("no_estimates")

    db = out / f"honestcount-{election_id}.sqlite"
    counts = export_sqlite(engine, election_id, db, public, withheld)
    written.append(
        {"name": db.name, "rows": sum(counts.values()), "tables": counts, "content": "database"}
    )

    sources = _provenance(engine, election_id, provenance)
    files = _file_entries(out, written, sources)
    manifest = {
        "election": election_id,
        "stamp": stamp,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generator": f"honestcount {__version__}",
        "hash": "sha256",
        "licence": LICENCE,
        "provenance": sources,
        "files": files,
        "notes": notes,
        "note_codes": codes,
    }
    (out / SUMS).write_text(
        "".join(f"{f['sha256']}  {f['name']}\n" for f in files), encoding="utf-8"
    )
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest
