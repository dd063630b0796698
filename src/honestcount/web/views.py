"""The documents behind each page: one JSON-ready dict per page, rendered as HTML by a template
and served as-is as the page's JSON twin, so the two can never disagree.

Documents hold data, not links (links depend on where the page is served from: the live site
or a static copy); the caller adds ``links`` for the JSON twin.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from honestcount.results import plain
from honestcount.web.site import (
    CODE_VERDICT,
    UNVERIFIED,
    VERDICT_CODE,
    VERDICTS,
    Site,
    Snapshot,
    stamp_of,
)

BALLOT_KINDS = ("candidate", "party", "against", "invalid")
FORENSICS_TESTS = ("integer_peaks", "shpilkin", "fingerprint", "digits", "spatial")
PER_PAGE = 50
MAX_PER_PAGE = 1000
GEOJSON_PER_PAGE = 20_000
GEOJSON_MAX_PER_PAGE = 100_000


def strict(value):
    """Strict-JSON values: NaN and infinities become null, numpy scalars Python ones."""
    if isinstance(value, dict):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(doc) -> bytes:
    return json.dumps(strict(doc), ensure_ascii=False, separators=(",", ":")).encode()


def election_head(snap: Snapshot) -> dict[str, Any]:
    return dict(snap.election)


# elections ------------------------------------------------------------------------------
def elections_doc(site: Site) -> dict[str, Any]:
    return {"elections": site.elections()}


# analyses -------------------------------------------------------------------------------
def compute_estimates(site: Site, snap: Snapshot) -> dict:
    try:
        from honestcount.estimate import run_estimate
    except ImportError as exc:
        return {"status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"}
    data = site.election_data(snap)
    checks_ok = None
    if snap.verified:
        failed = snap.index["failed_checks"].reindex(data.stations.index)
        checks_ok = pd.Series(failed.fillna("").eq("").to_numpy(), index=data.stations.index)
    result = run_estimate(data, checks_ok=checks_ok)
    result.setdefault("parameters", {})["checks_ok"] = (
        "stored protocol checks" if checks_ok is not None else "all pass"
    )
    return {"status": "ready", "result": strict(result)}


def compute_forensics(site: Site, snap: Snapshot) -> dict:
    try:
        from honestcount.forensics import run_battery
    except ImportError as exc:
        return {"status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"}
    data = site.election_data(snap)
    plots = site.cache_dir(snap) / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    result = run_battery(data, plots_dir=plots)
    for test in result.get("tests", {}).values():
        if isinstance(test, dict) and test.get("plots"):
            test["plots"] = [Path(p).name for p in test["plots"]]
    return {"status": "ready", "result": strict(result)}


def compute_open_data(site: Site, snap: Snapshot, public, folder: str) -> dict:
    from honestcount.store.verdicts import load_station_verdicts
    from honestcount.web import opendata

    data = site.election_data(snap)
    verdicts = load_station_verdicts(site.engine, snap.id) if snap.verified else None
    est = estimates(site, snap, wait=True)
    manifest = opendata.build(
        site.engine,
        snap.id,
        data,
        verdicts,
        est.get("result") if est.get("status") == "ready" else None,
        site.cache_dir(snap) / folder,
        stamp=snap.stamp,
        public=public,
    )
    return {"status": "ready", "manifest": manifest, "folder": folder}


def open_data(site: Site, snap: Snapshot, wait: bool | None = None) -> dict:
    """The open-data files: built once per snapshot and per state of the intake's rules (an
    embargo lifted means new files)."""
    public = site.public_counts(snap.id)
    folder = "data"
    if public.active:
        state = (sorted(public.pairs), sorted(public.shown.items()), public.embargoed)
        folder = "data-" + stamp_of(repr(state))
    return site.job(
        snap, f"open_{folder}", lambda: compute_open_data(site, snap, public, folder), wait=wait
    )


def data_doc(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    job = open_data(site, snap, wait)
    doc: dict[str, Any] = {"election": election_head(snap), "status": job.get("status")}
    if job.get("status") == "ready":
        doc["manifest"] = job["manifest"]
    elif job.get("status") == "error":
        doc["reason"] = job.get("error")
    return doc


def estimates(site: Site, snap: Snapshot, wait: bool | None = None) -> dict:
    return site.job(snap, "estimates", lambda: compute_estimates(site, snap), wait=wait)


def forensics(site: Site, snap: Snapshot, wait: bool | None = None) -> dict:
    return site.job(snap, "forensics", lambda: compute_forensics(site, snap), wait=wait)


# overview -------------------------------------------------------------------------------
def official_result(snap: Snapshot, est: dict | None) -> dict[str, Any]:
    """The official result per ballot option: the announced national totals where the data
    has them, else the sum of station protocols (said so in ``basis``)."""
    ballot = [o for o in snap.options if o["kind"] in BALLOT_KINDS]
    totals = snap.national_totals
    remainder = (snap.report or {}).get("national_remainder") or {}
    derived = remainder.get("options", {})
    cov = snap.coverage
    if any(o["id"] in totals for o in ballot):
        basis = "national_totals"
        votes = {}
        for o in ballot:
            if o["id"] in totals:
                votes[o["id"]] = totals[o["id"]]
            elif o["id"] in derived and derived[o["id"]].get("national") is not None:
                votes[o["id"]] = float(derived[o["id"]]["national"])  # remainder of ballots
            else:
                votes[o["id"]] = None
        cast = totals.get("ballots_cast")
    else:
        complete = cov["stations_with_official_result"] == cov["stations"]
        basis = "station_sum" if complete else "known_stations_sum"
        votes = {o["id"]: snap.official_sums.get(o["id"]) for o in ballot}
        cast = snap.ballots_cast_sum
    if not cast:
        known = [v for v in votes.values() if v is not None]
        cast = sum(known) if known else None
    return {
        "basis": basis,
        "ballots_cast": plain(cast),
        "options": {
            oid: {"votes": plain(v), "share": (v / cast) if (v is not None and cast) else None}
            for oid, v in votes.items()
        },
    }


def overview_doc(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    report = snap.report
    est_job = estimates(site, snap, wait)
    est = est_job.get("result") if est_job.get("status") == "ready" else None
    official = official_result(snap, est)
    rows = []
    for o in snap.options:
        if o["kind"] not in BALLOT_KINDS:
            continue
        oid = o["id"]
        row: dict[str, Any] = {
            "id": oid,
            "name": o["name"],
            "kind": o["kind"],
            "official_votes": official["options"][oid]["votes"],
            "official_share": official["options"][oid]["share"],
            "lower_bound": None,
            "estimate": None,
            "other_estimates": [],
        }
        if est is not None:
            lb = est.get("lower_bounds", {}).get(oid)
            if lb:
                row["lower_bound"] = {
                    "votes": lb.get("votes"),
                    "share": lb.get("share"),
                    "photo_votes": lb.get("photo_votes"),
                    "photo_share": lb.get("photo_share"),
                }
            mine = [r for r in est.get("estimates", []) if r.get("option") == oid]
            best = est.get("recommended", {}).get(oid)
            for r in mine:
                item = {
                    k: r.get(k)
                    for k in (
                        "method",
                        "share",
                        "ci_low",
                        "ci_high",
                        "votes",
                        "votes_ci_low",
                        "votes_ci_high",
                        "moe",
                    )
                    if k in r
                }
                if row["estimate"] is None and r.get("method") == best:
                    row["estimate"] = item
                else:
                    row["other_estimates"].append(item)
            if row["estimate"] is None and row["other_estimates"]:
                row["estimate"] = row["other_estimates"].pop(0)
        rows.append(row)
    doc: dict[str, Any] = {
        "election": election_head(snap),
        "coverage": snap.coverage,
        "result": {
            "basis": official["basis"],
            "ballots_cast": official["ballots_cast"],
            "options": rows,
        },
        "estimates": {"status": est_job.get("status")},
        "verified": report is not None,
    }
    if est_job.get("status") in ("unavailable", "error"):
        doc["estimates"]["reason"] = est_job.get("reason") or est_job.get("error")
    if est is not None:
        doc["estimates"].update(
            {
                "recommended": est.get("recommended"),
                "assumptions": est.get("assumptions"),
                "stations_used": est.get("stations_used"),
                "skipped": est.get("skipped"),
                "clean_selection": est.get("clean_selection"),
                "parameters": est.get("parameters"),
                "ballots_cast": est.get("ballots_cast"),
            }
        )
    if report is not None:
        verdicts = dict(report.get("verdicts", {}))
        unverified = int((snap.index["verdict"] == UNVERIFIED).sum())
        if unverified:
            verdicts[UNVERIFIED] = unverified
        rules = report.get("check_rules", {})
        doc["verification"] = {
            "computed_at": snap.computed_at,
            "thresholds": report.get("thresholds"),
            "verdicts": verdicts,
            "verdict_order": report.get("verdict_order", list(VERDICTS)),
            "proven_excess_votes": report.get("proven_excess_votes"),
            "proven_by_option": report.get("proven_by_option", {}),
            "check_failures": [
                {"rule": rule, "description": rules.get(rule), "stations": n}
                for rule, n in report.get("check_failures", {}).items()
            ],
            "observers": report.get("observers"),
        }
        doc["national_remainder"] = report.get("national_remainder")
    return doc


def chart_scale(doc: dict[str, Any]) -> float:
    """The right end of the result chart: a little beyond the largest share shown."""
    shares = [0.05]
    for o in doc["result"]["options"]:
        shares.append(o["official_share"] or 0)
        if o["estimate"]:
            shares.append(o["estimate"].get("ci_high") or o["estimate"].get("share") or 0)
        if o["lower_bound"]:
            shares.append(o["lower_bound"].get("share") or 0)
    return min(1.0, max(shares) * 1.08)


# map ------------------------------------------------------------------------------------
def region_table(snap: Snapshot) -> list[dict[str, Any]]:
    """Per region: stations, located stations and stations per verdict (memoised)."""

    def build():
        ix = snap.index
        region = ix["region"].fillna("")
        counts = pd.crosstab(region, ix["verdict"])
        located = (ix["latitude"].notna() & ix["longitude"].notna()).groupby(region).sum()
        order = [*VERDICTS, UNVERIFIED]
        rows = []
        for name in sorted(counts.index, key=lambda r: (r == "", r)):
            c = counts.loc[name]
            rows.append(
                {
                    "region": name or None,
                    "stations": int(c.sum()),
                    "located": int(located.get(name, 0)),
                    "verdicts": {v: int(c.get(v, 0)) for v in order if c.get(v, 0)},
                }
            )
        return rows

    return snap.memo("regions", build)


def map_view(snap: Snapshot) -> dict[str, Any]:
    """Initial view: the box holding the middle 98% of located stations, and where to put
    each region's label (the median of its stations)."""

    def build():
        ix = snap.index
        loc = ix[ix["latitude"].notna() & ix["longitude"].notna()]
        if loc.empty:
            return {"bounds": None, "labels": []}
        lat, lon = loc["latitude"].to_numpy(), loc["longitude"].to_numpy()
        lo = [float(np.percentile(lat, 1)), float(np.percentile(lon, 1))]
        hi = [float(np.percentile(lat, 99)), float(np.percentile(lon, 99))]
        grouped = loc.groupby(loc["region"].fillna(""))
        med = grouped[["latitude", "longitude"]].median()
        size = grouped.size()
        labels: list[dict] = []
        for r in size.sort_values(ascending=False).index:  # biggest first; nudge the others
            if not r:
                continue
            lat_r, lon_r = float(med.loc[r, "latitude"]), float(med.loc[r, "longitude"])
            if not (lo[0] <= lat_r <= hi[0] and lo[1] <= lon_r <= hi[1]):
                continue
            step = (hi[0] - lo[0]) / 25 or 0.1
            while any(
                abs(lat_r - x["lat"]) < step and abs(lon_r - x["lon"]) < 6 * step for x in labels
            ):
                lat_r -= step
            labels.append({"region": r, "lat": round(lat_r, 4), "lon": round(lon_r, 4)})
        return {"bounds": [lo, hi], "labels": labels}

    return snap.memo("map_view", build)


def map_doc(snap: Snapshot) -> dict[str, Any]:
    ix = snap.index
    counts = ix["verdict"].value_counts()
    verdicts = {v: int(counts.get(v, 0)) for v in VERDICTS}
    if counts.get(UNVERIFIED, 0):
        verdicts[UNVERIFIED] = int(counts[UNVERIFIED])
    return {
        "election": election_head(snap),
        "stations": len(ix),
        "located": snap.coverage["stations_located"],
        "unlocated": len(ix) - snap.coverage["stations_located"],
        "verdicts": verdicts,
        "verdict_codes": {c: v for c, v in CODE_VERDICT.items()},
        "regions": region_table(snap),
        "settlement_types": snap.settlement_types,
        "view": map_view(snap),
    }


def layer(snap: Snapshot, keys: dict[str, str] | None = None) -> dict[str, Any]:
    """The compact map layer: located stations as parallel arrays (one letter per verdict)."""
    ix = snap.index
    loc = ix[ix["latitude"].notna() & ix["longitude"].notna()]
    regions = snap.regions
    types = snap.settlement_types
    rpos = {r: i for i, r in enumerate(regions)}
    tpos = {s: i for i, s in enumerate(types)}
    out = {
        "election": snap.id,
        "stamp": snap.stamp,
        "ids": loc.index.tolist(),
        "lat": np.round(loc["latitude"].to_numpy(), 5).tolist(),
        "lon": np.round(loc["longitude"].to_numpy(), 5).tolist(),
        "v": "".join(VERDICT_CODE.get(v, "U") for v in loc["verdict"]),
        "r": [rpos.get(r, -1) for r in loc["region"]],
        "t": [tpos.get(s, -1) for s in loc["settlement_type"]],
        "x": loc["proven_excess"].astype(int).tolist(),
        "regions": regions,
        "types": types,
    }
    if keys is not None:
        out["keys"] = [keys[s] for s in loc.index]
    return out


def layer_js(snap: Snapshot, keys: dict[str, str] | None = None) -> bytes:
    body = json.dumps(layer(snap, keys), ensure_ascii=False, separators=(",", ":"))
    return ("window.HC_LAYER=" + body + ";\n").encode()


def geojson(
    snap: Snapshot,
    positions: np.ndarray,
    *,
    include_unlocated: bool = False,
    page: int = 1,
    per_page: int = GEOJSON_PER_PAGE,
) -> dict[str, Any]:
    """A compact GeoJSON FeatureCollection of the stations at ``positions``: each feature's
    ``id`` is the station id; properties ``v`` (verdict) and ``x`` (proven excess votes, when
    any). Stations without coordinates are left out unless ``include_unlocated`` (then their
    geometry is null)."""
    ix = snap.index.iloc[positions]
    if not include_unlocated:
        ix = ix[ix["latitude"].notna() & ix["longitude"].notna()]
    total = len(ix)
    per_page = max(1, min(int(per_page), GEOJSON_MAX_PER_PAGE))
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(int(page), pages))
    part = ix.iloc[(page - 1) * per_page : page * per_page]
    lat, lon = part["latitude"].to_numpy(), part["longitude"].to_numpy()
    features = []
    for i, (sid, verdict, excess) in enumerate(
        zip(part.index, part["verdict"], part["proven_excess"], strict=True)
    ):
        props = {"v": verdict}
        if excess:
            props["x"] = int(excess)
        geometry = (
            None
            if math.isnan(lat[i]) or math.isnan(lon[i])
            else {
                "type": "Point",
                "coordinates": [round(float(lon[i]), 5), round(float(lat[i]), 5)],
            }
        )
        features.append({"type": "Feature", "id": sid, "geometry": geometry, "properties": props})
    return {
        "type": "FeatureCollection",
        "election": snap.id,
        "total": total,
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "features": features,
    }


# stations -------------------------------------------------------------------------------
STATION_FIELDS = ("region", "district", "settlement_type", "town", "name")


def station_rows(snap: Snapshot, positions: np.ndarray) -> list[dict[str, Any]]:
    part = snap.index.iloc[positions]
    cols = {c: part[c].tolist() for c in STATION_FIELDS}
    verdicts = part["verdict"].tolist()
    excess = part["proven_excess"].tolist()
    return [
        {
            "id": sid,
            **{c: cols[c][i] for c in STATION_FIELDS},
            "verdict": verdicts[i],
            "proven_excess_votes": int(excess[i]),
        }
        for i, sid in enumerate(part.index)
    ]


def stations_doc(
    snap: Snapshot,
    *,
    q: str | None = None,
    verdict: list[str] | None = None,
    region: str | None = None,
    settlement_type: str | None = None,
    check: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> dict[str, Any]:
    positions = snap.filter(
        verdict=verdict, region=region, settlement_type=settlement_type, check=check, q=q
    )
    total = len(positions)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(int(page), pages))
    shown = positions[(page - 1) * per_page : page * per_page]
    return {
        "election": election_head(snap),
        "filters": {
            "q": q or None,
            "verdict": list(verdict or []),
            "region": region or None,
            "settlement_type": settlement_type or None,
            "check": check or None,
        },
        "total": total,
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "stations": station_rows(snap, shown),
        "choices": {
            "verdicts": [
                v
                for v in (*VERDICTS, UNVERIFIED)
                if v != UNVERIFIED or (snap.index["verdict"] == UNVERIFIED).any()
            ],
            "regions": snap.regions,
            "settlement_types": snap.settlement_types,
            "checks": sorted((snap.report or {}).get("check_rules", {})),
        },
    }


def station_doc(site: Site, snap: Snapshot, station_id: str) -> dict[str, Any] | None:
    detail = site.station(snap, station_id)
    if detail is None:
        return None
    return {"election": election_head(snap), **detail}


# forensics ------------------------------------------------------------------------------
def forensics_doc(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    job = forensics(site, snap, wait)
    doc: dict[str, Any] = {"election": election_head(snap), "status": job.get("status")}
    if job.get("status") == "ready":
        doc["result"] = job["result"]
    elif job.get("status") in ("unavailable", "error"):
        doc["reason"] = job.get("reason") or job.get("error")
    return doc
