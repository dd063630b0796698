"""The public pages and their JSON twins, mounted at ``/`` by :mod:`honestcount.app`.

Every page has a twin at the same URL plus ``.json`` holding the same document the page was
rendered from (see ``docs/web.md``). Pages are chosen in English, Belarusian or Russian by
``?lang=``, then the ``hc_lang`` cookie the switch sets, then ``Accept-Language``.
"""

from __future__ import annotations

import gzip
import mimetypes
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from honestcount.web import views
from honestcount.web.i18n import LANGUAGES, Translator, negotiate, translator
from honestcount.web.render import STATIC, ServerUrls, render
from honestcount.web.site import VERDICT_CODE, Site, Snapshot

COOKIE = "hc_lang"
JSON = "application/json"
HTML_CACHE = "public, max-age=60"
IMMUTABLE = "public, max-age=31536000, immutable"


def tiles_from_env() -> dict | None:
    """A tile layer only if the operator names one (their own tile server): by default the map
    loads nothing from anyone else."""
    url = os.environ.get("HONESTCOUNT_TILES")
    if not url:
        return None
    return {"url": url, "attribution": os.environ.get("HONESTCOUNT_TILES_ATTRIBUTION", "")}


def security_headers(tiles: dict | None) -> dict[str, str]:
    """Pages load nothing from elsewhere (tiles aside, when the operator names a server), and
    following a link out does not tell the other site which page a visitor was reading."""
    images = "'self' data:"
    if tiles:
        parts = urlsplit(tiles["url"].replace("{s}", "a"))
        host = parts.netloc.split("{")[0] if "{" in parts.netloc else parts.netloc
        images += f" {parts.scheme}://{host}" if host and "{" not in host else " https:"
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def map_config(t: Translator, doc: dict, link: dict, tiles: dict | None) -> dict[str, Any]:
    """What the map script needs besides the layer: labels in the page's language, links."""
    view = dict(doc["view"])
    view["labels"] = [dict(r, label=t.label("region", r["region"])) for r in view["labels"]]
    return {
        "lang": t.lang,
        "group": t.group,
        "view": view,
        "link": link,
        "tiles": tiles,
        "codes": VERDICT_CODE,
        "labels": {code: t(f"verdict.{v}.label") for v, code in VERDICT_CODE.items()},
        "strings": {
            "open": t("map.open_station"),
            "shown": t("map.shown"),
            "loading": t("map.loading"),
            "proven": t("map.proven"),
            "cluster": t("map.cluster"),
            "attribution": t("map.attribution"),
        },
    }


def filters_of(request: Request) -> dict[str, Any]:
    p = request.query_params
    return {
        "verdict": [v for v in p.getlist("verdict") if v],
        "region": p.get("region") or None,
        "settlement_type": p.get("settlement_type") or None,
        "check": p.get("check") or None,
        "q": p.get("q") or None,
    }


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def router(
    engine: Engine,
    *,
    cache_dir: str | os.PathLike | None = None,
    background: bool = True,
    tiles: dict | None = None,
) -> APIRouter:
    """The public site on ``engine``'s store.

    ``cache_dir`` keeps computed estimates, forensics plots and open-data files (default: a
    folder under the system temp dir, or ``HONESTCOUNT_WEB_CACHE``); with ``background`` they
    are computed in a worker thread while pages say so, else on the request that needs them.
    ``tiles`` (``{"url", "attribution"}``, default ``HONESTCOUNT_TILES``) adds a base map.
    """
    site = Site(engine, cache_dir, background=background)
    tiles = tiles if tiles is not None else tiles_from_env()
    api = APIRouter(include_in_schema=False)
    security = security_headers(tiles)
    api.state_site = site  # type: ignore[attr-defined]  (tests and benchmarks reach it here)

    # helpers ----------------------------------------------------------------------------
    def language(request: Request) -> tuple[str, bool]:
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            return asked, True
        cookie = request.cookies.get(COOKIE)
        if cookie in LANGUAGES:
            return cookie, False
        return negotiate(request.headers.get("accept-language")), False

    def urls(request: Request, path: str) -> ServerUrls:
        root = request.scope.get("root_path", "")
        query: dict[str, Any] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, [])
            query[key].append(value)
        return ServerUrls(
            root, root + path, {k: v if len(v) > 1 else v[0] for k, v in query.items()}
        )

    def page(
        request: Request,
        path: str,
        template: str,
        *,
        title: str,
        status: int = 200,
        snap: Snapshot | None = None,
        **context,
    ) -> HTMLResponse:
        lang, chosen = language(request)
        t = translator(lang)
        u = urls(request, path)
        html = render(
            template,
            t=t,
            u=u,
            title=title(t) if callable(title) else title,
            election=snap.election if snap is not None else None,
            generated=None,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers.update(security)
        response.headers["Content-Language"] = lang
        response.headers["Vary"] = "Accept-Language, Cookie"
        response.headers["Cache-Control"] = HTML_CACHE
        if chosen:
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def data(
        request: Request, body: bytes | dict, media_type: str = JSON, cache: str = HTML_CACHE
    ) -> Response:
        if isinstance(body, dict):
            body = views.dumps(body)
        headers = {
            "Cache-Control": cache,
            "Vary": "Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
        }
        if len(body) > 1400 and "gzip" in request.headers.get("accept-encoding", ""):
            body = gzip.compress(body, 6)
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=media_type, headers=headers)

    def not_found(request: Request, message: str, as_json: bool = False) -> Response:
        if as_json:
            return Response(
                views.dumps({"error": "not_found", "message": message}),
                status_code=404,
                media_type=JSON,
            )
        return page(
            request,
            request.url.path,
            "error.html",
            status=404,
            title=lambda t: t("error.not_found"),
            message=message,
        )

    def election(eid: str) -> Snapshot | None:
        return site.snapshot(eid)

    def missing_election(request: Request, eid: str, as_json: bool = False) -> Response:
        lang, _ = language(request)
        return not_found(request, translator(lang)("error.no_election", id=eid), as_json)

    # home -------------------------------------------------------------------------------
    @api.get("/index.json")
    @api.get("/elections.json")
    def home_json(request: Request):
        doc = views.elections_doc(site)
        u = urls(request, "/")
        for x in doc["elections"]:
            x["links"] = {"html": u.overview(x["id"]), "json": u.overview(x["id"]) + ".json"}
        return data(request, doc)

    @api.get("/", response_class=HTMLResponse)
    def home(request: Request):
        return page(
            request,
            "/",
            "elections.html",
            title=lambda t: t("elections.title"),
            doc=views.elections_doc(site),
        )

    @api.get("/elections")
    def elections_list(request: Request):
        return RedirectResponse(str(request.url_for("home")), status_code=308)

    # overview ---------------------------------------------------------------------------
    @api.get("/elections/{eid}.json")
    def overview_json(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        doc = views.overview_doc(site, snap)
        u = urls(request, "")
        doc["links"] = {
            "html": u.overview(eid),
            "map": u.map(eid) + ".json",
            "geojson": u.geojson(eid),
            "stations": u.stations(eid) + ".json",
            "forensics": u.forensics(eid) + ".json",
            "data": u.data(eid) + ".json",
        }
        return data(request, doc)

    @api.get("/elections/{eid}", response_class=HTMLResponse)
    def overview(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid)
        doc = views.overview_doc(site, snap)
        scale = views.chart_scale(doc)
        return page(
            request,
            f"/elections/{views_q(eid)}",
            "overview.html",
            snap=snap,
            title=snap.election["name"],
            doc=doc,
            page="overview",
            scale=scale,
        )

    # map --------------------------------------------------------------------------------
    @api.get("/elections/{eid}/map.json")
    def map_json(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        doc = views.map_doc(snap)
        u = urls(request, "")
        doc["links"] = {
            "html": u.map(eid),
            "geojson": u.geojson(eid),
            "layer": u.layer(eid, snap.stamp),
        }
        return data(request, doc)

    @api.get("/elections/{eid}/map.geojson")
    def map_geojson(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        f = filters_of(request)
        p = request.query_params
        positions = snap.filter(
            verdict=f["verdict"], region=f["region"], settlement_type=f["settlement_type"]
        )
        doc = views.geojson(
            snap,
            positions,
            include_unlocated=p.get("include_unlocated") in ("1", "true", "yes"),
            page=_int(p.get("page"), 1),
            per_page=_int(p.get("per_page"), views.GEOJSON_PER_PAGE),
        )
        if doc["page"] < doc["pages"]:
            u = urls(request, "")
            params = {k: v for k, v in u.query.items() if k != "page"}
            doc["next"] = u.geojson(eid, **params, page=doc["page"] + 1)
        return data(request, doc, "application/geo+json")

    @api.get("/elections/{eid}/map-layer.js")
    def map_layer(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        raw = snap.memo("layer_js", lambda: views.layer_js(snap))
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = snap.memo("layer_js_gz", lambda: gzip.compress(raw, 6))
            return Response(
                body,
                media_type="text/javascript",
                headers={
                    "Content-Encoding": "gzip",
                    "Vary": "Accept-Encoding",
                    "Cache-Control": IMMUTABLE
                    if request.query_params.get("v") == snap.stamp
                    else HTML_CACHE,
                },
            )
        return Response(raw, media_type="text/javascript", headers={"Cache-Control": HTML_CACHE})

    @api.get("/elections/{eid}/map", response_class=HTMLResponse)
    def map_page(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid)
        doc = views.map_doc(snap)
        lang, _ = language(request)
        u = urls(request, "")
        config = map_config(
            translator(lang), doc, {"mode": "server", "prefix": u.stations(eid) + "/"}, tiles
        )
        return page(
            request,
            f"/elections/{views_q(eid)}/map",
            "map.html",
            snap=snap,
            title=lambda t: t("map.title"),
            doc=doc,
            page="map",
            filters=filters_of(request),
            config=config,
            layer_url=u.layer(eid, snap.stamp),
        )

    # stations ---------------------------------------------------------------------------
    def stations_for(request: Request, snap: Snapshot) -> dict:
        f = filters_of(request)
        p = request.query_params
        return views.stations_doc(
            snap,
            q=f["q"],
            verdict=f["verdict"],
            region=f["region"],
            settlement_type=f["settlement_type"],
            check=f["check"],
            page=_int(p.get("page"), 1),
            per_page=_int(p.get("per_page"), views.PER_PAGE),
        )

    def pages_of(request: Request, eid: str, doc: dict, suffix: str = "") -> tuple:
        u = urls(request, "")
        params = {k: v for k, v in u.query.items() if k not in ("page", "lang")}
        base = u.stations(eid)

        def at(n):
            from honestcount.web.render import _query

            return base + suffix + _query({**params, "page": n})

        prev_url = at(doc["page"] - 1) if doc["page"] > 1 else None
        next_url = at(doc["page"] + 1) if doc["page"] < doc["pages"] else None
        return prev_url, next_url

    @api.get("/elections/{eid}/stations.json")
    def stations_json(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        doc = stations_for(request, snap)
        u = urls(request, "")
        for s in doc["stations"]:
            s["links"] = {"html": u.station(eid, s["id"]), "json": u.station_json(eid, s["id"])}
        prev_url, next_url = pages_of(request, eid, doc, ".json")
        doc["links"] = {
            "html": u.stations(eid, **{k: v for k, v in u.query.items()}),
            "prev": prev_url,
            "next": next_url,
        }
        return data(request, doc)

    @api.get("/elections/{eid}/stations", response_class=HTMLResponse)
    def stations_page(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid)
        doc = stations_for(request, snap)
        q = doc["filters"]["q"]
        if (
            q
            and doc["total"] >= 1
            and doc["stations"]
            and doc["stations"][0]["id"] == q.strip()
            and doc["total"] == 1
        ):
            u = urls(request, "")
            return RedirectResponse(u.station(eid, q.strip()), status_code=303)
        prev_url, next_url = pages_of(request, eid, doc)
        return page(
            request,
            f"/elections/{views_q(eid)}/stations",
            "stations.html",
            snap=snap,
            title=lambda t: t("stations.title"),
            doc=doc,
            page="stations",
            prev_url=prev_url,
            next_url=next_url,
        )

    @api.get("/elections/{eid}/stations/{sid:path}")
    def station_page(request: Request, eid: str, sid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid)
        as_json = False
        doc = views.station_doc(site, snap, sid)
        if doc is None and sid.endswith(".json"):
            doc = views.station_doc(site, snap, sid[: -len(".json")])
            as_json = doc is not None
        if doc is None:
            lang, _ = language(request)
            return not_found(
                request, translator(lang)("error.no_station", id=sid), sid.endswith(".json")
            )
        u = urls(request, "")
        sid = doc["station"]["id"]
        if as_json:
            doc["links"] = {
                "html": u.station(eid, sid),
                "election": u.overview(eid) + ".json",
                "data": u.data(eid) + ".json",
            }
            return data(request, doc)
        return page(
            request,
            u.station(eid, sid),
            "station.html",
            snap=snap,
            title=lambda t: t("station.title", id=sid),
            doc=doc,
            page="stations",
        )

    # forensics --------------------------------------------------------------------------
    @api.get("/elections/{eid}/forensics.json")
    def forensics_json(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        doc = views.forensics_doc(site, snap)
        u = urls(request, "")
        for test in (doc.get("result") or {}).get("tests", {}).values():
            if isinstance(test, dict) and test.get("plots"):
                test["plot_urls"] = [u.plot(eid, p) for p in test["plots"]]
        doc["links"] = {"html": u.forensics(eid)}
        return data(request, doc)

    @api.get("/elections/{eid}/forensics/{name}")
    def forensics_plot(request: Request, eid: str, name: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        path = site.cache_dir(snap) / "plots" / name
        if "/" in name or name.startswith(".") or not path.is_file():
            return not_found(request, name, True)
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": HTML_CACHE})

    @api.get("/elections/{eid}/forensics", response_class=HTMLResponse)
    def forensics_page(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid)
        doc = views.forensics_doc(site, snap)
        return page(
            request,
            f"/elections/{views_q(eid)}/forensics",
            "forensics.html",
            snap=snap,
            title=lambda t: t("forensics.title"),
            doc=doc,
            page="forensics",
            options=snap.option_names,
        )

    # open data --------------------------------------------------------------------------
    @api.get("/elections/{eid}/data.json")
    def data_json(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        doc = views.data_doc(site, snap)
        u = urls(request, "")
        for f in (doc.get("manifest") or {}).get("files", []):
            f["url"] = u.data_file(eid, f["name"])
        doc["links"] = {
            "html": u.data(eid),
            "manifest": u.data_file(eid, "manifest.json"),
            "sha256sums": u.data_file(eid, "SHA256SUMS"),
        }
        return data(request, doc)

    @api.get("/elections/{eid}/data/{name}")
    def data_file(request: Request, eid: str, name: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid, True)
        job = views.open_data(site, snap, wait=True)
        if job.get("status") != "ready":
            return Response(
                views.dumps({"error": job.get("status"), "message": job.get("error")}),
                status_code=503,
                media_type=JSON,
            )
        known = {f["name"] for f in job["manifest"]["files"]} | {"manifest.json", "SHA256SUMS"}
        if name not in known:
            return not_found(request, name, True)
        from honestcount.web.opendata import media_type

        return FileResponse(
            site.cache_dir(snap) / job.get("folder", "data") / name,
            media_type=media_type(name),
            filename=name,
            headers={"Cache-Control": HTML_CACHE, "Access-Control-Allow-Origin": "*"},
        )

    @api.get("/elections/{eid}/data", response_class=HTMLResponse)
    def data_page(request: Request, eid: str):
        snap = election(eid)
        if snap is None:
            return missing_election(request, eid)
        doc = views.data_doc(site, snap)
        return page(
            request,
            f"/elections/{views_q(eid)}/data",
            "data.html",
            snap=snap,
            title=lambda t: t("data.title"),
            doc=doc,
            page="data",
        )

    # assets -----------------------------------------------------------------------------
    packed: dict[Path, bytes] = {}

    @api.get("/static/{path:path}")
    def static(request: Request, path: str):
        root = STATIC.resolve()
        target = (root / path).resolve()
        if not target.is_file() or root not in target.parents:
            return Response("not found", status_code=404, media_type="text/plain")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".js":
            kind = "text/javascript"
        headers = {"Cache-Control": IMMUTABLE}
        if target.suffix in (".js", ".css", ".svg") and "gzip" in request.headers.get(
            "accept-encoding", ""
        ):
            body = packed.get(target)
            if body is None:
                body = packed[target] = gzip.compress(target.read_bytes(), 9)
            headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(body, media_type=kind, headers=headers)
        return FileResponse(target, media_type=kind, headers=headers)

    return api


def views_q(eid: str) -> str:
    from honestcount.web.render import q

    return q(eid)
