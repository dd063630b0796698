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

from honestcount.analyses import ESTIMATE, FORENSICS, StoredAnalysis
from honestcount.results import jsonable, plain
from honestcount.web.common import CODE_VERDICT, UNVERIFIED, VERDICT_CODE, VERDICTS, WITHHELD
from honestcount.web.districts import COLUMNS
from honestcount.web.districts import fields as district_fields
from honestcount.web.outlines import outlines
from honestcount.web.site import Site, Snapshot

BALLOT_KINDS = ("candidate", "party", "against", "invalid")
FORENSICS_TESTS = ("integer_peaks", "shpilkin", "fingerprint", "digits", "spatial")
PER_PAGE = 50
MAX_PER_PAGE = 1000
GEOJSON_PER_PAGE = 20_000
GEOJSON_MAX_PER_PAGE = 100_000


def dumps(doc: Any) -> bytes:
    """A page's JSON twin: compact strict JSON (:func:`honestcount.results.jsonable`; plain
    documents skip its walk, which costs more than the encoding)."""
    try:
        text = json.dumps(
            doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=jsonable
        )
    except ValueError:  # NaN or infinity somewhere: the full walk makes them null
        text = json.dumps(jsonable(doc), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode()


def election_head(snap: Snapshot) -> dict[str, Any]:
    return dict(snap.election)


# elections ------------------------------------------------------------------------------
def elections_doc(site: Site) -> dict[str, Any]:
    return {"elections": site.elections()}


# analyses -------------------------------------------------------------------------------
def _analysis(site: Site, snap: Snapshot, kind: str, wait: bool | None) -> dict[str, Any]:
    """``{"status", "result", "provenance"}`` of the stored analysis the pages show."""
    job = site.analysis(snap, kind, wait=wait)
    if job.get("status") != "ready":
        return {k: v for k, v in job.items() if k in ("status", "error")}
    stored: StoredAnalysis = job["stored"]
    return {"status": "ready", "result": stored.result, "provenance": stored.provenance()}


def estimates(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    """The stored estimate (``honestcount estimate``'s newest run, else the defaults)."""
    return _analysis(site, snap, ESTIMATE, wait)


def forensics(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    """The stored forensics battery, with its plots drawn into the cache folder."""
    job = _analysis(site, snap, FORENSICS, wait)
    if job["status"] == "ready":
        result = dict(job["result"])
        plots = site.job(snap, "forensics_plots", lambda: draw_plots(site, snap, result), wait=wait)
        names = plots.get("plots", {}) if plots.get("status") == "ready" else {}
        result["tests"] = {
            name: dict(test, plots=names.get(name, [])) if isinstance(test, dict) else test
            for name, test in result.get("tests", {}).items()
        }
        job["result"] = result
    return job


def draw_plots(site: Site, snap: Snapshot, result: dict[str, Any]) -> dict[str, Any]:
    """The forensic plots of a stored run, drawn from the evidence with the run's leader
    (drawing is not a new analysis: the figures on the page are the stored ones)."""
    try:
        from honestcount.forensics.battery import PLOTS
    except ImportError as exc:
        return {"status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"}
    folder = site.cache_dir(snap) / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    data = site.election_data(snap)
    drawn: dict[str, list[str]] = {}
    for name, test in result.get("tests", {}).items():
        if name not in PLOTS or not isinstance(test, dict) or "skipped" in test:
            continue
        if "error" in test:
            continue
        paths = PLOTS[name](data, result["leader"], folder)
        drawn[name] = [Path(p).name for p in paths]
    return {"status": "ready", "plots": drawn}


HONEST_PLOT = "honest-mixture-{lang}.png"
PLOT_KEYS = ("title", "xlabel", "ylabel", "observed", "honest", "falsified")


def honest_plot(site: Site, snap: Snapshot, lang: str) -> str | None:
    """The mixture estimate's plot in ``lang`` (drawn once from the stored run's histogram,
    no refit); its file name in the plots folder, or None where there is none."""
    from honestcount.web.i18n import LANGUAGES, translator

    if lang not in LANGUAGES:
        return None
    job = estimates(site, snap)
    mixture = (job.get("result") or {}).get("mixture") if job["status"] == "ready" else None
    if not isinstance(mixture, dict) or "histogram" not in mixture:
        return None
    name = HONEST_PLOT.format(lang=lang)

    def draw() -> dict[str, Any]:
        from honestcount.estimate.plots import plot_honest_mixture

        t = translator(lang)
        challenger = mixture.get("challenger", "")
        who = t.option(snap.id, challenger, str(snap.option_names.get(challenger, challenger)))
        labels = {k: t(f"plot.mixture.{k}").replace("{challenger}", who) for k in PLOT_KEYS}
        folder = site.cache_dir(snap) / "plots"
        folder.mkdir(parents=True, exist_ok=True)
        plot_honest_mixture(mixture, folder / name, labels=labels)
        return {"status": "ready", "name": name}

    drawn = site.job(snap, f"plot_{name}", draw, wait=True)
    return name if drawn.get("status") == "ready" else None


def compute_open_data(site: Site, snap: Snapshot, public: Any, folder: str) -> dict[str, Any]:
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
        est.get("result") if est["status"] == "ready" else None,
        site.cache_dir(snap) / folder,
        stamp=site.version(snap),
        public=public,
        provenance=est.get("provenance"),
    )
    return {"status": "ready", "manifest": manifest, "folder": folder}


def open_data(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    """The open-data files: built once per state of the election and of the intake's rules
    (an embargo lifted means new files)."""
    public = snap.public  # the rule this state of the election was built with
    folder = "data"
    if public.active:
        folder = "data-" + public.fingerprint()
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
        votes: dict[str, float | None] = {}
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


ESTIMATE_KEYS = (
    *("method", "share", "ci_low", "ci_high"),
    *("votes", "votes_ci_low", "votes_ci_high", "moe"),
)


def _option_row(o: dict[str, Any], official: dict[str, Any], est: dict | None) -> dict[str, Any]:
    """One ballot option on the overview: official, lower bound, recommended estimate first."""
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
    if est is None:
        return row
    lb = est.get("lower_bounds", {}).get(oid)
    if lb:
        keys = ("votes", "share", "photo_votes", "photo_share")
        row["lower_bound"] = {k: lb.get(k) for k in keys}
    best = (est.get("recommended") or {}).get(oid)
    for r in est.get("estimates", []):
        if r.get("option") != oid:
            continue
        item = {k: r.get(k) for k in ESTIMATE_KEYS if k in r}
        if row["estimate"] is None and r.get("method") == best:
            row["estimate"] = item
        else:
            row["other_estimates"].append(item)
    if row["estimate"] is None and row["other_estimates"]:
        row["estimate"] = row["other_estimates"].pop(0)
    return row


def _estimates_block(job: dict[str, Any]) -> dict[str, Any]:
    """What the overview says about the estimate: its status, and for a stored run the
    parameters it ran with and where it came from."""
    block: dict[str, Any] = {"status": job.get("status")}
    if job.get("status") in ("unavailable", "error"):
        block["reason"] = job.get("reason") or job.get("error")
    est = job.get("result")
    if job.get("status") != "ready" or est is None:
        return block
    provenance = job["provenance"]
    keys = ("recommended", "assumptions", "stations_used", "skipped", "clean_selection")
    block.update({k: est.get(k) for k in (*keys, "ballots_cast")})
    block["parameters"] = provenance["parameters"]
    block["method_parameters"] = est.get("parameters")
    block["provenance"] = provenance
    block["warnings"] = est.get("warnings") or []
    return block


def _verification(snap: Snapshot, report: dict[str, Any]) -> dict[str, Any]:
    verdicts = dict(report.get("verdicts", {}))
    unverified = int((snap.index["verdict"] == UNVERIFIED).sum())
    if unverified:
        verdicts[UNVERIFIED] = unverified
    rules = report.get("check_rules", {})
    return {
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


def headline(
    snap: Snapshot, report: dict[str, Any] | None, est: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The national finding in one sentence's worth of numbers (:mod:`honestcount.headline`
    picks them, for the terminal and the pages alike); the template words it per language."""
    from honestcount.headline import headline as pick

    candidates = [o["id"] for o in snap.options if o["kind"] in ("candidate", "party")]
    line = pick(report, est, snap.option_names, candidates)
    if line is None:
        return None
    return {
        "official": [
            {"id": line.leader, "name": line.leader_name, "share": line.leader_official},
            {
                "id": line.challenger,
                "name": line.challenger_name,
                "share": line.challenger_official,
            },
        ],
        "proven_stations": line.proven_stations,
        "proven_excess_votes": ((report or {}).get("proven_excess_votes")),
        "estimate": None
        if line.estimate is None
        else {
            "id": line.challenger,
            "name": line.challenger_name,
            "method": line.method,
            "share": line.estimate,
            "ci_low": line.ci_low,
            "ci_high": line.ci_high,
            "level": line.level,
        },
        "sentence_en": line.sentence(),
    }


def overview_doc(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    report = snap.report
    job = estimates(site, snap, wait)
    est = job.get("result") if job.get("status") == "ready" else None
    official = official_result(snap, est)
    rows = [_option_row(o, official, est) for o in snap.options if o["kind"] in BALLOT_KINDS]
    doc: dict[str, Any] = {
        "election": election_head(snap),
        "coverage": snap.coverage,
        "result": {
            "basis": official["basis"],
            "ballots_cast": official["ballots_cast"],
            "options": rows,
        },
        "estimates": _estimates_block(job),
        "verified": report is not None,
    }
    if report is not None:
        doc["verification"] = _verification(snap, report)
        doc["national_remainder"] = report.get("national_remainder")
    doc["headline"] = headline(snap, report, est)
    honest = (est or {}).get("honest_stations")
    doc["honest_stations"] = None
    if isinstance(honest, dict) and "skipped" not in honest:
        name = snap.option_names.get(honest.get("challenger", ""), honest.get("challenger"))
        # the list itself is open data (honest-stations.csv): the page stays light
        listed = len(honest.get("stations") or [])
        summary = {k: v for k, v in honest.items() if k != "stations"}
        doc["honest_stations"] = dict(summary, challenger_name=name, listed=listed)
    mixture = (est or {}).get("mixture")
    doc["estimates"]["mixture_plot"] = isinstance(mixture, dict) and "histogram" in mixture
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
    # "withheld" only where the intake's rule withholds a verdict
    verdicts = {v: int(counts.get(v, 0)) for v in VERDICTS if v != WITHHELD or counts.get(v, 0)}
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
    out.update(district_codes(loc))
    out["outlines"] = station_outlines(snap, out)  # the layer is built once per snapshot
    if keys is not None:
        out["keys"] = [keys[s] for s in loc.index]
    return out


def district_codes(ix: pd.DataFrame) -> dict[str, Any]:
    """Each station's district names as an index (``dn``) into ``dnames`` ([be, ru, en]):
    script files stay small, and one file serves every language."""
    columns = [ix[c] if c in ix.columns else [None] * len(ix) for c in COLUMNS]
    named = list(zip(*columns, strict=True))
    name_list = sorted({n for n in named if any(n)})
    pos = {n: i for i, n in enumerate(name_list)}
    return {"dn": [pos.get(n, -1) for n in named], "dnames": [list(n) for n in name_list]}


def station_outlines(snap: Snapshot, layer_doc: dict[str, Any]) -> dict[str, Any]:
    """The regions' and districts' station extents (:mod:`honestcount.web.outlines`), each
    district with its names' index into the layer's ``dnames``."""
    shapes = outlines(snap.index)
    first: dict[str, int] = {}
    ix = snap.index
    for sid, dn in zip(layer_doc["ids"], layer_doc["dn"], strict=True):
        if dn >= 0 and ix.at[sid, "region"] != "abroad":
            first.setdefault(str(ix.at[sid, "district"]), dn)
    for d in shapes["districts"]:
        d["dn"] = first.get(d["district"], -1)
    return shapes


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
    named = {c: part[c].tolist() if c in part.columns else [None] * len(part) for c in COLUMNS}
    verdicts = part["verdict"].tolist()
    excess = part["proven_excess"].tolist()
    return [
        {
            "id": sid,
            **{c: cols[c][i] for c in STATION_FIELDS},
            **district_fields({c: named[c][i] for c in COLUMNS}),
            "verdict": verdicts[i],
            "proven_excess_votes": None if verdicts[i] == WITHHELD else int(excess[i]),
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
                if v not in (UNVERIFIED, WITHHELD) or (snap.index["verdict"] == v).any()
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
def _get(doc: Any, *path: str) -> Any:
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def forensics_plain(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per test: how many stations it used and the few numbers its plain sentence quotes."""
    tests = result.get("tests", {})
    out: dict[str, dict[str, Any]] = {}
    for name, r in tests.items():
        if not isinstance(r, dict) or "skipped" in r or "error" in r:
            continue
        values: dict[str, Any] = {}
        stations = r.get("stations")
        if name == "integer_peaks":
            values = {k: r.get(k) for k in ("observed", "expected", "p_value")}
        elif name == "shpilkin":
            keys = ("anomalous_votes", "anomalous_fraction_of_leader", "corrected_share")
            values = {k: r.get(k) for k in (*keys, "official_share")}
        elif name == "digits":
            second = _get(r, "leader_votes", "second_digit")
            stations = _get(second, "n")
            values = {
                "p2": _get(second, "p_value"),
                "plast": _get(r, "leader_votes", "last_digit", "p_value"),
            }
        elif name == "spatial":
            stations = _get(r, "turnout", "n")
            values = {
                "i": _get(r, "turnout", "moran", "i"),
                "p": _get(r, "turnout", "moran", "p_value"),
                "hot": _get(r, "turnout", "hot_spots"),
                "cold": _get(r, "turnout", "cold_spots"),
            }
        out[name] = {"stations": stations, "values": values}
    return out


def forensics_doc(site: Site, snap: Snapshot, wait: bool | None = None) -> dict[str, Any]:
    job = forensics(site, snap, wait)
    doc: dict[str, Any] = {"election": election_head(snap), "status": job.get("status")}
    if job.get("status") == "ready":
        doc["result"] = job["result"]
        doc["provenance"] = job["provenance"]
        doc["plain"] = forensics_plain(job["result"])
        doc["stations_with_protocol"] = snap.coverage["stations_with_official_result"]
        doc["stations_total"] = snap.coverage["stations"]
    elif job.get("status") in ("unavailable", "error"):
        doc["reason"] = job.get("reason") or job.get("error")
    return doc
