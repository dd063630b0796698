"""The whole public site of one election as static files: for any web host, or straight from
disk (``file://``), so the findings survive the blocking of any one server.

Every link is relative, and data that pages need (the map layer, the search index) is a
``<script>`` file rather than JSON fetched at run time, which browsers block on ``file://``.
Layout of ``out_dir``::

    index.html               chooses a language (the browser's, else English)
    en/ be/ ru/              the pages in each language:
      index.html               overview            map.html       the map
      stations.html            stations by region  search.html    search, a region's list
      station.html?id=KEY      any station (JavaScript draws it from assets/s/KEY.js)
      forensics.html           forensics           data.html      open data
    json/                    the JSON twin of every page (language-neutral; json/s/KEY.json
                             for each station)
    data/                    open data, manifest.json and SHA256SUMS
    assets/                  map layer, search index, station data (s/), plots

Station pages and region lists are drawn in the browser from one data file each, not
written three times as HTML: the copy of Belarus 2020 stays small enough to mirror.
    static/                  CSS, scripts, vendored Leaflet (with its licences)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from honestcount.errors import NotFoundError
from honestcount.web import opendata, views
from honestcount.web.common import VERDICT_CODE
from honestcount.web.i18n import LANGUAGES, Translator, translator
from honestcount.web.pages_stations import map_config
from honestcount.web.render import STATIC, StaticUrls, render, station_keys
from honestcount.web.site import Site, Snapshot

SEARCH_LIMIT = 200
log = logging.getLogger(__name__)


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
        **views.district_codes(ix),
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


STATION_TEXT = (
    "station.", "filter.", "common.", "verdict.", "sources.", "lines.", "rules.",
    "violations.", "labels.region.", "labels.settlement.", "error.", "nav.",
)  # fmt: skip


def station_strings(t: Translator, eid: str) -> dict[str, str]:
    """The words a static station page needs, in ``t``'s language."""
    from honestcount.web.i18n import keys

    wanted = (*STATION_TEXT, f"labels.option.{eid}.", "labels.election.")
    return {k: t(k) for k in keys() if k.startswith(wanted)}


def _aftermath(engine: Engine) -> dict[str, Any] | None:
    """The aftermath ledger's public document, where the store holds a ledger."""
    try:
        from honestcount.ledger.web import aftermath_doc

        doc = aftermath_doc(engine)
    except Exception:  # no ledger tables in this store: the copy has no aftermath page
        log.info("no aftermath ledger in this store", exc_info=True)
        return None
    return doc if doc.get("records") or doc.get("claims") else None


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
    manifest, with each file's SHA-256). The estimates and forensics shown are the stored
    runs (:mod:`honestcount.analyses`). Files already in ``out_dir`` are replaced; nothing
    else there is removed.
    """
    started = time.perf_counter()
    langs = [lang for lang in languages if lang in LANGUAGES] or ["en"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="honestcount-publish-") as tmp:  # mode 0700
        site = Site(engine, tmp, background=False)
        try:
            snap = site.snapshot(election_id)
            if snap is None:
                known = ", ".join(e["id"] for e in site.elections()) or "none"
                raise NotFoundError(f"no election {election_id!r} in the store; it holds: {known}")
            writer = Writer(site, snap, out, langs, progress or (lambda _msg: None))
            result = writer.run()
        finally:
            site.close()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


class Writer:
    """One static copy being written (see :func:`publish`)."""

    def __init__(
        self, site: Site, snap: Snapshot, out: Path, langs: list[str], say: Callable[[str], None]
    ):
        self.site, self.snap, self.out, self.langs, self.say = site, snap, out, langs, say
        self.eid = snap.id
        self.written = {"files": 0, "bytes": 0, "pages": 0}
        self.keys = station_keys(snap.index.index)
        generated = dt.datetime.now(dt.UTC)
        self.tr = {lang: translator(lang) for lang in langs}
        self.aftermath = _aftermath(site.engine)
        self.generated = {lang: self.tr[lang].datetime(generated) for lang in langs}

    def put(self, rel: str, content: str | bytes, page: bool = False) -> None:
        self.written["bytes"] += _write(self.out / rel, content)
        self.written["files"] += 1
        self.written["pages"] += int(page)

    def copy(self, src: Path, rel: str) -> None:
        self.written["bytes"] += _copy(src, self.out / rel)
        self.written["files"] += 1

    def page(self, lang: str, rel: str, template: str, title: str, **context: Any) -> None:
        u = StaticUrls(lang, f"{lang}/{rel}", self.keys, self.eid, self.aftermath is not None)
        html = render(
            template,
            t=self.tr[lang],
            u=u,
            title=title,
            election=self.snap.election,
            generated=self.generated[lang],
            languages=self.langs,
            **context,
        )
        self.put(f"{lang}/{rel}", html, page=True)

    def run(self) -> dict[str, Any]:
        snap = self.snap
        self.say("estimates and forensics (stored runs)")
        overview = views.overview_doc(self.site, snap, wait=True)
        forensics = views.forensics_doc(self.site, snap, wait=True)
        for lang in self.langs:
            views.honest_plot(self.site, snap, lang)
        plots = self.site.cache_dir(snap) / "plots"
        if plots.is_dir():
            for png in plots.iterdir():
                self.copy(png, f"assets/plots/{png.name}")
        self.say("open data")
        manifest = self.open_data()
        data_doc = {"election": views.election_head(snap), "status": "ready", "manifest": manifest}
        self.say("assets")
        for path in STATIC.rglob("*"):
            if path.is_file():
                self.copy(path, f"static/{path.relative_to(STATIC)}")
        self.put("assets/map-layer.js", views.layer_js(snap, self.keys))
        self.put("assets/search-index.js", search_index(snap, self.keys))
        self.say("JSON twins")
        map_doc = views.map_doc(snap)
        self.twins(overview, forensics, data_doc, map_doc)
        self.say("pages")
        for lang in self.langs:
            self.language_pages(lang, overview, forensics, data_doc, map_doc)
        self.say(f"{len(snap.index):,} station pages")
        self.station_pages()
        if self.aftermath is not None:
            self.aftermath_pages(self.aftermath)
        self.index_page()
        return {
            "election": self.eid,
            "out_dir": str(self.out),
            "index": str(self.out / "index.html"),
            "languages": self.langs,
            "stations": len(snap.index),
            **self.written,
            "manifest": manifest,
        }

    def open_data(self) -> dict[str, Any]:
        from honestcount.store.verdicts import load_station_verdicts

        site, snap = self.site, self.snap
        est = views.estimates(site, snap, wait=True)
        manifest = opendata.build(
            site.engine,
            self.eid,
            site.election_data(snap),
            load_station_verdicts(site.engine, self.eid) if snap.verified else None,
            est.get("result") if est["status"] == "ready" else None,
            self.out / "data",
            stamp=site.version(snap),
            public=snap.public,
            provenance=est.get("provenance"),
        )
        self.written["files"] += len(manifest["files"]) + 2
        self.written["bytes"] += sum(f["bytes"] for f in manifest["files"])
        self.written["bytes"] += sum(
            (self.out / "data" / n).stat().st_size for n in (opendata.MANIFEST, opendata.SUMS)
        )
        return manifest

    def twins(self, overview: dict, forensics: dict, data_doc: dict, map_doc: dict) -> None:
        """The language-neutral JSON twins."""
        snap = self.snap
        self.put("json/overview.json", _json(overview))
        self.put("json/map.json", _json(map_doc))
        everything = snap.filter()
        whole = views.geojson(snap, everything, per_page=max(1, len(everything)))
        self.put("json/map.geojson", _json(whole))
        rows = views.station_rows(snap, everything)
        for row in rows:
            row["json"] = f"s/{self.keys[row['id']]}.json"
        head = views.election_head(snap)
        self.put(
            "json/stations.json", _json({"election": head, "total": len(rows), "stations": rows})
        )
        self.put("json/forensics.json", _json(forensics))
        self.put("json/data.json", _json(data_doc))

    def language_pages(
        self,
        lang: str,
        overview: dict,
        forensics: dict,
        data_doc: dict,
        map_doc: dict,
    ) -> None:
        snap, t, page = self.snap, self.tr[lang], self.page
        scale = views.chart_scale(overview)
        name = t.label("election", self.eid, snap.election["name"])
        page(lang, "index.html", "overview.html", name, doc=overview, page="overview", scale=scale)
        config = map_config(t, map_doc, {"mode": "static", "prefix": "station.html?id="}, None)
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
        choices = views.stations_doc(snap, per_page=1)["choices"]
        page(
            lang,
            "search.html",
            "search.html",
            t("stations.title"),
            page="stations",
            doc={"election": views.election_head(snap), "choices": choices},
            config=self.search_config(lang),
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

    def search_config(self, lang: str) -> dict[str, Any]:
        t = self.tr[lang]
        return {
            "lang": lang,
            "group": t.group,
            "prefix": "station.html?id=",
            "limit": SEARCH_LIMIT,
            "codes": VERDICT_CODE,
            "labels": {c: t(f"verdict.{v}.label") for v, c in VERDICT_CODE.items()},
            "regionLabels": [t.label("region", r) for r in self.snap.regions],
            "strings": {
                "count": t("stations.count"),
                "first": t("search.first"),
                "missing": t("search.missing"),
            },
        }

    def station_pages(self) -> None:
        """Each station's data once (its JSON twin and the script its page reads) and one
        page per language that draws any station."""
        from honestcount.web.station import station_details

        head = views.election_head(self.snap)
        details = station_details(self.site.engine, self.snap, self.snap.public)
        for n, (sid, detail) in enumerate(details, 1):
            body = _json({"election": head, **detail})
            self.put(f"json/s/{self.keys[sid]}.json", body)
            self.put(f"assets/s/{self.keys[sid]}.js", b"window.HC_STATION=" + body + b";\n")
            if n % 10000 == 0:
                self.say(f"{n:,} stations")
        for lang in self.langs:
            t = self.tr[lang]
            config = {
                "data": "../assets/s/",
                "lang": lang,
                "group": t.group,
                "decimal": t.decimal,
                "codes": VERDICT_CODE,
                "strings": station_strings(t, self.eid),
            }
            title = t("stations.title")
            self.page(
                lang, "station.html", "station_static.html", title, config=config, page="stations"
            )

    def aftermath_pages(self, doc: dict[str, Any]) -> None:
        """The aftermath figures and claims (not the relatives' search: it needs the key)."""
        from honestcount.ledger.web import timeline_svg

        public = {k: v for k, v in doc.items() if k != "links"}
        self.put("json/aftermath.json", _json(public))
        for lang in self.langs:
            t = self.tr[lang]
            chart = timeline_svg(doc["by_day"], t)
            self.page(
                lang,
                "aftermath.html",
                "ledger/aftermath.html",
                t("ledger.title"),
                doc=doc,
                chart=chart,
                page="aftermath",
            )

    def index_page(self) -> None:
        langs = self.langs
        index = render(
            "static_index.html",
            t=translator(langs[0]),
            u=None,
            election=self.snap.election,
            languages=langs,
            names={lang: translator(lang)("lang.self") for lang in langs},
            choose={lang: translator(lang)("static.choose") for lang in langs},
        )
        self.put("index.html", index, page=True)


def _copy(src: Path, dst: Path) -> int:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst.stat().st_size
