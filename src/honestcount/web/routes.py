"""The public pages and their JSON twins, mounted at ``/`` by :mod:`honestcount.app`.

Every page has a twin at the same URL plus ``.json`` holding the same document the page was
rendered from (see ``docs/web.md``); one route serves both. The routers here are module-level
and reach the site through ``Depends`` (:mod:`honestcount.web.http`); :func:`router` binds
them to a store. They need nothing of the intake: the public site serves without its secret.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from honestcount.web import views
from honestcount.web.assets import assets, odd
from honestcount.web.http import (
    COOKIE,
    HTML_CACHE,
    JSON,
    Ctx,
    Public,
    ctx,
    security_headers,
    tiles_from_settings,
)
from honestcount.web.pages_stations import filters_of, map_config, number, stations
from honestcount.web.render import q
from honestcount.web.site import Site

__all__ = [
    "COOKIE",
    "HTML_CACHE",
    "JSON",
    "filters_of",
    "map_config",
    "number",
    "router",
    "security_headers",
]

pages = APIRouter(include_in_schema=False)
Request_ = Depends(ctx)


# home and overview ------------------------------------------------------------------------
@pages.get("/", name="home")
@pages.get("/index.json")
@pages.get("/elections.json")
def home(c: Ctx = Request_) -> Response:
    def build() -> Any:
        doc = views.elections_doc(c.site)
        if not c.twin:
            return c.page("/", "elections.html", title=lambda t: t("elections.title"), doc=doc)
        u = c.urls("/")
        for x in doc["elections"]:
            x["links"] = {"html": u.overview(x["id"]), "json": u.overview(x["id"]) + ".json"}
        return c.data(doc)

    return c.answer(None, build)


@pages.get("/elections")
def elections_list(request: Request) -> Response:
    return RedirectResponse(str(request.url_for("home")), status_code=308)


@pages.get("/elections/{eid}")
@pages.get("/elections/{eid}.json")
def overview(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)

    def build() -> Any:
        doc = views.overview_doc(c.site, snap)
        if not c.twin:
            return c.page(
                f"/elections/{q(eid)}",
                "overview.html",
                snap=snap,
                title=lambda t: t.label("election", eid, snap.election["name"]),
                doc=doc,
                page="overview",
                scale=views.chart_scale(doc),
            )
        u = c.urls()
        doc["links"] = {
            "html": u.overview(eid),
            "map": u.map(eid) + ".json",
            "geojson": u.geojson(eid),
            "stations": u.stations(eid) + ".json",
            "forensics": u.forensics(eid) + ".json",
            "data": u.data(eid) + ".json",
        }
        return c.data(doc)

    return c.answer(snap, build)


# forensics ------------------------------------------------------------------------------------
@pages.get("/elections/{eid}/forensics")
@pages.get("/elections/{eid}/forensics.json")
def forensics(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)

    def build() -> Any:
        doc = views.forensics_doc(c.site, snap)
        if not c.twin:
            return c.page(
                f"/elections/{q(eid)}/forensics",
                "forensics.html",
                snap=snap,
                title=lambda t: t("forensics.title"),
                doc=doc,
                page="forensics",
                options=snap.option_names,
            )
        u = c.urls()
        for test in (doc.get("result") or {}).get("tests", {}).values():
            if isinstance(test, dict) and test.get("plots"):
                test["plot_urls"] = [u.plot(eid, p) for p in test["plots"]]
        doc["links"] = {"html": u.forensics(eid)}
        return c.data(doc)

    return c.answer(snap, build)


@pages.get("/elections/{eid}/forensics/{name}")
def forensics_plot(eid: str, name: str, c: Ctx = Request_) -> Response:
    from fastapi.responses import FileResponse

    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)
    if odd(name) or "/" in name or name.startswith("."):
        return c.not_found("no such plot", True)
    if name.startswith("honest-mixture-") and name.endswith(".png"):
        views.honest_plot(c.site, snap, name[len("honest-mixture-") : -len(".png")])
    else:
        views.forensics(c.site, snap)  # the plots of this state, drawn once
    path = c.site.cache_dir(snap) / "plots" / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return c.not_found(name, True)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": HTML_CACHE})


# open data ------------------------------------------------------------------------------------
@pages.get("/elections/{eid}/data")
@pages.get("/elections/{eid}/data.json")
def open_data(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)

    def build() -> Any:
        doc = views.data_doc(c.site, snap)
        if not c.twin:
            path = f"/elections/{q(eid)}/data"
            title = lambda t: t("data.title")  # noqa: E731
            return c.page(path, "data.html", snap=snap, title=title, doc=doc, page="data")
        u = c.urls()
        for f in (doc.get("manifest") or {}).get("files", []):
            f["url"] = u.data_file(eid, f["name"])
        doc["links"] = {
            "html": u.data(eid),
            "manifest": u.data_file(eid, "manifest.json"),
            "sha256sums": u.data_file(eid, "SHA256SUMS"),
        }
        return c.data(doc)

    return c.answer(snap, build)


@pages.get("/elections/{eid}/data/{name}")
def data_file(eid: str, name: str, c: Ctx = Request_) -> Response:
    from fastapi.responses import FileResponse

    from honestcount.web.opendata import media_type

    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)
    job = views.open_data(c.site, snap, wait=True)
    if job.get("status") != "ready":
        body = {"error": job.get("status"), "message": job.get("error")}
        return c.send(c.data(body, status=503))
    known = {f["name"] for f in job["manifest"]["files"]} | {"manifest.json", "SHA256SUMS"}
    if name not in known:
        return c.not_found(name, True)
    return FileResponse(
        c.site.cache_dir(snap) / job.get("folder", "data") / name,
        media_type=media_type(name),
        filename=name,
        headers={"Cache-Control": HTML_CACHE, "Access-Control-Allow-Origin": "*"},
    )


def router(
    engine: Engine,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    background: bool = True,
    tiles: dict[str, str] | None = None,
    freshness: float = 1.0,
) -> APIRouter:
    """The public site on ``engine``'s store: the module-level routers bound to one
    :class:`Site`.

    ``cache_dir`` keeps forensic plots and open-data files (default: ``Settings.cache_dir``,
    else a private folder made for this process); with ``background`` the default analyses
    are computed in a worker thread while pages say so, else on the request that needs them.
    ``tiles`` (``{"url", "attribution"}``, default ``HONESTCOUNT_TILES``) adds a base map.
    ``freshness``: seconds a page may lag behind the store.
    """
    site = Site(engine, cache_dir, background=background, freshness=freshness)
    bound = Public(site, tiles if tiles is not None else tiles_from_settings())

    def bind(request: Request) -> None:
        request.state.honestcount_public = bound

    api = APIRouter(include_in_schema=False, dependencies=[Depends(bind)])
    api.include_router(pages)
    api.include_router(stations)
    api.include_router(assets)
    # tests and benchmarks reach the site here
    api.state_site = site  # type: ignore[attr-defined]
    api.state_public = bound  # type: ignore[attr-defined]
    return api
