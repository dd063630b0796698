"""The whole public site of one election as static files: for any web host, or straight from
disk (``file://``), so the findings survive the blocking of any one server.

Every link is relative, and data that pages need (the map layer, the search index) is a
``<script>`` file rather than JSON fetched at run time, which browsers block on ``file://``.
Layout of ``out_dir``::

    index.html               chooses a language (the browser's, else English)
    en/ be/ ru/              the pages in each language:
      index.html               overview            map.html       the map
      stations.html            stations by region  regions/*.html  a region's stations
      search.html              search (JavaScript) s/*.html        one page per station
      forensics.html           forensics           data.html       open data
    json/                    the JSON twin of every page (language-neutral)
    data/                    open data, manifest.json and SHA256SUMS
    assets/                  map layer, search index, forensic plots
    static/                  CSS, scripts, vendored Leaflet (with its licences)
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from honestcount.errors import NotFoundError
from honestcount.web import opendata, views
from honestcount.web.i18n import LANGUAGES, translator
from honestcount.web.render import STATIC, StaticUrls, region_key, render, station_keys
from honestcount.web.routes import map_config
from honestcount.web.site import VERDICT_CODE, Site

SEARCH_LIMIT = 200


def _write(path: Path, text: str | bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(data)
    return len(data)


def _json(doc) -> bytes:
    return views.dumps(doc)


def search_index(snap, keys: dict[str, str]) -> bytes:
    """The station index for the static search page, as a script (ids front-coded)."""
    ix = snap.index
    ids = ix.index.tolist()
    prefix, suffix, prev = [], [], ""
    for sid in ids:
        n = 0
        limit = min(len(sid), len(prev), 255)
        while n < limit and sid[n] == prev[n]:
            n += 1
        prefix.append(n)
        suffix.append(sid[n:])
        prev = sid
    towns = sorted({x for x in ix["town"].dropna().unique()})
    districts = sorted({x for x in ix["district"].dropna().unique()})
    town_pos = {x: i for i, x in enumerate(towns)}
    district_pos = {x: i for i, x in enumerate(districts)}
    region_pos = {x: i for i, x in enumerate(snap.regions)}
    type_pos = {x: i for i, x in enumerate(snap.settlement_types)}
    failed = ix["failed_checks"].fillna("")
    key_list = [keys[s] for s in ids]
    doc = {
        "p": prefix,
        "s": suffix,
        "keys": None
        if key_list == ids
        else [k if k != s else None for k, s in zip(key_list, ids, strict=True)],
        "name": [x if isinstance(x, str) else None for x in ix["name"]],
        "town": [town_pos.get(x, -1) for x in ix["town"]],
        "towns": towns,
        "district": [district_pos.get(x, -1) for x in ix["district"]],
        "districts": districts,
        "r": [region_pos.get(x, -1) for x in ix["region"]],
        "regions": snap.regions,
        "t": [type_pos.get(x, -1) for x in ix["settlement_type"]],
        "types": snap.settlement_types,
        "v": "".join(VERDICT_CODE.get(v, "U") for v in ix["verdict"]),
        "x": ix["proven_excess"].astype(int).tolist(),
        "f": {str(i): f for i, f in enumerate(failed) if f},
    }
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return ("window.HC_INDEX=" + body + ";\n").encode()


def publish(
    engine: Engine,
    election_id: str,
    out_dir: str | Path,
    *,
    languages: Iterable[str] = LANGUAGES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the public site of ``election_id`` into ``out_dir`` as static files.

    Returns what was written: ``{"election", "out_dir", "index", "languages", "pages",
    "stations", "files", "bytes", "seconds", "manifest"}`` (``manifest`` being the open-data
    manifest, with each file's SHA-256). Files already in ``out_dir`` are replaced; nothing
    else there is removed.
    """
    started = time.perf_counter()
    langs = [lang for lang in languages if lang in LANGUAGES] or ["en"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    with tempfile.TemporaryDirectory(prefix="honestcount-publish-") as tmp:
        site = Site(engine, tmp, background=False)
        try:
            result = _publish(site, election_id, out, langs, say)
        finally:
            site.close()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _publish(site: Site, eid: str, out: Path, langs: list[str], say) -> dict[str, Any]:
    snap = site.snapshot(eid)
    if snap is None:
        known = ", ".join(e["id"] for e in site.elections()) or "none"
        raise NotFoundError(f"no election {eid!r} in the store; it holds: {known}")
    written = {"files": 0, "bytes": 0, "pages": 0}

    def put(rel: str, content: str | bytes, page: bool = False) -> None:
        written["bytes"] += _write(out / rel, content)
        written["files"] += 1
        written["pages"] += int(page)

    keys = station_keys(snap.index.index)
    generated = dt.datetime.now(dt.UTC)

    say("estimates and forensics")
    overview = views.overview_doc(site, snap, wait=True)
    forensics = views.forensics_doc(site, snap, wait=True)
    plots = site.cache_dir(snap) / "plots"
    if plots.is_dir():
        for png in plots.iterdir():
            written["bytes"] += _copy(png, out / "assets" / "plots" / png.name)
            written["files"] += 1

    say("open data")
    from honestcount.store.verdicts import load_station_verdicts

    est = views.estimates(site, snap, wait=True)
    manifest = opendata.build(
        site.engine,
        eid,
        site.election_data(snap),
        load_station_verdicts(site.engine, eid) if snap.verified else None,
        est.get("result") if est.get("status") == "ready" else None,
        out / "data",
        stamp=snap.stamp,
        public=site.public_counts(eid),
    )
    written["files"] += len(manifest["files"]) + 2
    written["bytes"] += sum(f["bytes"] for f in manifest["files"])
    written["bytes"] += sum(
        (out / "data" / n).stat().st_size for n in (opendata.MANIFEST, opendata.SUMS)
    )
    data_doc = {"election": views.election_head(snap), "status": "ready", "manifest": manifest}

    say("assets")
    for path in STATIC.rglob("*"):
        if path.is_file():
            written["bytes"] += _copy(path, out / "static" / path.relative_to(STATIC))
            written["files"] += 1
    put("assets/map-layer.js", views.layer_js(snap, keys))
    put("assets/search-index.js", search_index(snap, keys))

    say("JSON twins")
    map_doc = views.map_doc(snap)
    put("json/overview.json", _json(overview))
    put("json/map.json", _json(map_doc))
    everything = snap.filter()
    put(
        "json/map.geojson", _json(views.geojson(snap, everything, per_page=max(1, len(everything))))
    )
    stations_all = views.station_rows(snap, everything)
    for row in stations_all:
        row["json"] = f"s/{keys[row['id']]}.json"
    put(
        "json/stations.json",
        _json(
            {
                "election": views.election_head(snap),
                "total": len(stations_all),
                "stations": stations_all,
            }
        ),
    )
    put("json/forensics.json", _json(forensics))
    put("json/data.json", _json(data_doc))
    regions = map_doc["regions"]
    region_docs = {}
    for r in regions:
        positions = (
            snap.filter(region=r["region"])
            if r["region"]
            else [i for i, x in enumerate(snap.index["region"]) if x is None]
        )
        doc = views.stations_doc(snap, region=r["region"], per_page=views.MAX_PER_PAGE)
        rows = views.station_rows(snap, positions)
        doc.update(total=len(rows), page=1, pages=1, per_page=len(rows), stations=rows)
        region_docs[region_key(r["region"])] = doc
        put(f"json/regions/{region_key(r['region'])}.json", _json(doc))

    say("pages")
    scale = views.chart_scale(overview)
    tr = {lang: translator(lang) for lang in langs}
    gen = {lang: tr[lang].datetime(generated) for lang in langs}

    def page(lang: str, rel: str, template: str, title: str, **context) -> None:
        u = StaticUrls(lang, f"{lang}/{rel}", keys, eid)
        html = render(
            template,
            t=tr[lang],
            u=u,
            title=title,
            election=snap.election,
            generated=gen[lang],
            languages=langs,
            **context,
        )
        put(f"{lang}/{rel}", html, page=True)

    choices = views.stations_doc(snap, per_page=1)["choices"]
    for lang in langs:
        t = tr[lang]
        page(
            lang,
            "index.html",
            "overview.html",
            snap.election["name"],
            doc=overview,
            page="overview",
            scale=scale,
        )
        config = map_config(t, map_doc, {"mode": "static", "prefix": "s/"}, None)
        page(
            lang,
            "map.html",
            "map.html",
            t("map.title"),
            doc=map_doc,
            page="map",
            filters={"verdict": [], "region": None, "settlement_type": None},
            config=config,
            layer_url="../assets/map-layer.js",
        )
        page(
            lang, "stations.html", "regions.html", t("stations.title"), doc=map_doc, page="stations"
        )
        search_cfg = {
            "lang": lang,
            "group": t.group,
            "prefix": "s/",
            "limit": SEARCH_LIMIT,
            "codes": VERDICT_CODE,
            "labels": {c: t(f"verdict.{v}.label") for v, c in VERDICT_CODE.items()},
            "regionLabels": [t.label("region", r) for r in snap.regions],
            "strings": {
                "count": t("stations.count"),
                "first": t("search.first"),
                "missing": t("search.missing"),
            },
        }
        page(
            lang,
            "search.html",
            "search.html",
            t("stations.title"),
            page="stations",
            doc={"election": views.election_head(snap), "choices": choices},
            config=search_cfg,
        )
        for rkey, doc in region_docs.items():
            page(
                lang,
                f"regions/{rkey}.html",
                "stations.html",
                t("stations.title"),
                doc=doc,
                page="stations",
                prev_url=None,
                next_url=None,
            )
        page(
            lang,
            "forensics.html",
            "forensics.html",
            t("forensics.title"),
            doc=forensics,
            page="forensics",
            options=snap.option_names,
        )
        page(lang, "data.html", "data.html", t("data.title"), doc=data_doc, page="data")

    say(f"{len(snap.index):,} station pages")
    for n, sid in enumerate(snap.index.index, 1):
        doc = views.station_doc(site, snap, sid)
        put(f"json/s/{keys[sid]}.json", _json(doc))
        for lang in langs:
            page(
                lang,
                f"s/{keys[sid]}.html",
                "station.html",
                tr[lang]("station.title", id=sid),
                doc=doc,
                page="stations",
            )
        if n % 10000 == 0:
            say(f"{n:,} stations")

    names = {lang: translator(lang)("lang.self") for lang in langs}
    choose = {lang: translator(lang)("static.choose") for lang in langs}
    index = render(
        "static_index.html",
        t=translator(langs[0]),
        u=None,
        election=snap.election,
        languages=langs,
        names=names,
        choose=choose,
    )
    put("index.html", index, page=True)
    return {
        "election": eid,
        "out_dir": str(out),
        "index": str(out / "index.html"),
        "languages": langs,
        "stations": len(snap.index),
        **written,
        "manifest": manifest,
    }


def _copy(src: Path, dst: Path) -> int:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst.stat().st_size
