"""The map, the station list with its search, and one page per station (with twins)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from honestcount.web import views
from honestcount.web.common import VERDICT_CODE
from honestcount.web.http import IMMUTABLE, Ctx, ctx
from honestcount.web.i18n import Translator
from honestcount.web.render import q, query_string
from honestcount.web.site import Snapshot

stations = APIRouter(include_in_schema=False)
Request_ = Depends(ctx)


def map_config(
    t: Translator, doc: dict[str, Any], link: dict[str, Any], tiles: dict[str, str] | None
) -> dict[str, Any]:
    """What the map script needs besides the layer: labels in the page's language, links."""
    view = dict(doc["view"])
    view["labels"] = [dict(r, label=t.label("region", r["region"])) for r in view["labels"]]
    keys = ("open_station", "shown", "loading", "proven", "cluster", "attribution")
    strings = {("open" if k == "open_station" else k): t(f"map.{k}") for k in keys}
    return {
        "lang": t.lang,
        "group": t.group,
        "view": view,
        "link": link,
        "tiles": tiles,
        "codes": VERDICT_CODE,
        "labels": {code: t(f"verdict.{v}.label") for v, code in VERDICT_CODE.items()},
        "strings": strings,
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


def number(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# map ----------------------------------------------------------------------------------------
@stations.get("/elections/{eid}/map")
@stations.get("/elections/{eid}/map.json")
def map_page(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)

    def build() -> Any:
        doc = views.map_doc(snap)
        u = c.urls()
        if c.twin:
            layer = u.layer(eid, snap.stamp)
            doc["links"] = {"html": u.map(eid), "geojson": u.geojson(eid), "layer": layer}
            return c.data(doc)
        link = {"mode": "server", "prefix": u.stations(eid) + "/"}
        return c.page(
            f"/elections/{q(eid)}/map",
            "map.html",
            snap=snap,
            title=lambda t: t("map.title"),
            doc=doc,
            page="map",
            filters=filters_of(c.request),
            config=map_config(c.t, doc, link, c.public.tiles),
            layer_url=u.layer(eid, snap.stamp),
        )

    return c.answer(snap, build)


@stations.get("/elections/{eid}/map.geojson")
def map_geojson(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.not_found(c.t("error.no_election", id=eid), True)

    def build() -> Any:
        f = filters_of(c.request)
        p = c.request.query_params
        positions = snap.filter(
            verdict=f["verdict"], region=f["region"], settlement_type=f["settlement_type"]
        )
        doc = views.geojson(
            snap,
            positions,
            include_unlocated=p.get("include_unlocated") in ("1", "true", "yes"),
            page=number(p.get("page"), 1),
            per_page=number(p.get("per_page"), views.GEOJSON_PER_PAGE),
        )
        if doc["page"] < doc["pages"]:
            u = c.urls()
            params = {k: v for k, v in u.query.items() if k != "page"}
            doc["next"] = u.geojson(eid, **params, page=doc["page"] + 1)
        return c.data(doc, "application/geo+json")

    return c.answer(snap, build)


@stations.get("/elections/{eid}/map-layer.js")
def map_layer(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.not_found(c.t("error.no_election", id=eid), True)
    answer = snap.memo("layer_answer", lambda: c.data(views.layer_js(snap), "text/javascript"))
    if c.request.query_params.get("v") == snap.stamp:
        answer = snap.memo(
            "layer_answer_immutable",
            lambda: dataclasses.replace(answer, headers={"Cache-Control": IMMUTABLE}),
        )
    return c.send(answer)


# stations -----------------------------------------------------------------------------------
def stations_for(c: Ctx, snap: Snapshot) -> dict[str, Any]:
    f = filters_of(c.request)
    p = c.request.query_params
    return views.stations_doc(
        snap,
        q=f["q"],
        verdict=f["verdict"],
        region=f["region"],
        settlement_type=f["settlement_type"],
        check=f["check"],
        page=number(p.get("page"), 1),
        per_page=number(p.get("per_page"), views.PER_PAGE),
    )


def pages_of(c: Ctx, eid: str, doc: dict[str, Any], suffix: str = "") -> tuple[Any, Any]:
    u = c.urls()
    params = {k: v for k, v in u.query.items() if k not in ("page", "lang")}
    base = u.stations(eid) + suffix

    def at(n: int) -> str:
        return base + query_string({**params, "page": n})

    prev_url = at(doc["page"] - 1) if doc["page"] > 1 else None
    next_url = at(doc["page"] + 1) if doc["page"] < doc["pages"] else None
    return prev_url, next_url


@stations.get("/elections/{eid}/stations")
@stations.get("/elections/{eid}/stations.json")
def stations_page(eid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)
    if not c.twin:  # a search for one exact id goes straight to the station
        query = (c.request.query_params.get("q") or "").strip()
        if query and query in snap.index.index and len(snap.filter(q=query)) == 1:
            return RedirectResponse(c.urls().station(eid, query), status_code=303)

    def build() -> Any:
        doc = stations_for(c, snap)
        u = c.urls()
        if not c.twin:
            prev_url, next_url = pages_of(c, eid, doc)
            return c.page(
                f"/elections/{q(eid)}/stations",
                "stations.html",
                snap=snap,
                title=lambda t: t("stations.title"),
                doc=doc,
                page="stations",
                prev_url=prev_url,
                next_url=next_url,
            )
        for s in doc["stations"]:
            s["links"] = {"html": u.station(eid, s["id"]), "json": u.station_json(eid, s["id"])}
        prev_url, next_url = pages_of(c, eid, doc, ".json")
        doc["links"] = {"html": u.stations(eid, **u.query), "prev": prev_url, "next": next_url}
        return c.data(doc)

    return c.answer(snap, build)


@stations.get("/elections/{eid}/stations/{sid:path}")
def station_page(eid: str, sid: str, c: Ctx = Request_) -> Response:
    snap = c.snapshot(eid)
    if snap is None:
        return c.missing_election(eid)
    if sid not in snap.index.index and sid.endswith(".json"):
        if sid[: -len(".json")] not in snap.index.index:
            return c.not_found(c.t("error.no_station", id=sid), True)
    elif sid not in snap.index.index:
        return c.not_found(c.t("error.no_station", id=sid), False)

    def build() -> Any:
        as_json = sid not in snap.index.index
        station_id = sid[: -len(".json")] if as_json else sid
        doc = views.station_doc(c.site, snap, station_id)
        u = c.urls()
        if as_json:
            doc["links"] = {  # type: ignore[index]
                "html": u.station(eid, station_id),
                "election": u.overview(eid) + ".json",
                "data": u.data(eid) + ".json",
            }
            return c.data(doc)
        return c.page(
            u.station(eid, station_id),
            "station.html",
            snap=snap,
            title=lambda t: t("station.title", id=station_id),
            doc=doc,
            page="stations",
        )

    return c.answer(snap, build)
