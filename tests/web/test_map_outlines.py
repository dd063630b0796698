"""Outlines to orient by on a map without tiles, and the optional base map."""

from __future__ import annotations

import json
import re

import pandas as pd
from fastapi import FastAPI
from fastapi.testclient import TestClient

from honestcount.web.outlines import core, hull, outlines

from .test_pages import BY


def test_hull_is_the_convex_outline():
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    inner = [(1, 1), (0.5, 1.5), (1, 0)]  # (1, 0) lies on an edge: not a corner
    assert sorted(hull(square + inner)) == sorted(square)
    assert hull([(0, 0), (1, 1)]) == [(0, 0), (1, 1)]


def test_a_far_station_is_left_out_of_its_group_outline():
    lat = pd.Series([53.90, 53.91, 53.92, 53.93, 53.90, 53.95, 55.50])  # the last is 170 km off
    lon = pd.Series([27.50, 27.52, 27.55, 27.51, 27.58, 27.54, 27.50])
    assert core(lat.to_numpy(), lon.to_numpy()).tolist() == [True] * 6 + [False]
    index = pd.DataFrame(
        {"region": "R", "district": "R-1", "latitude": lat.to_numpy(), "longitude": lon.to_numpy()},
        index=[f"R-1-{i}" for i in range(7)],
    )
    shapes = outlines(index)
    (d,) = shapes["districts"]
    assert d["left_out"] == 1 and d["stations"] == 6
    assert max(p[0] for p in d["ring"]) < 54  # the far station does not stretch it
    (r,) = shapes["regions"]
    assert r["left_out"] == 1 and max(p[0] for p in r["ring"]) < 54


def layer_of(client) -> dict:
    html = client.get(f"{BY}/map").text
    src = re.search(r'src="([^"]*map-layer\.js[^"]*)"', html).group(1).replace("&amp;", "&")
    raw = client.get(src).content
    return json.loads(raw[len(b"window.HC_LAYER=") :].rstrip(b";\n"))


def test_map_layer_has_region_and_district_outlines(client):
    layer = layer_of(client)
    shapes = layer["outlines"]
    assert {r["region"] for r in shapes["regions"]} == {
        "Brest", "Viciebsk", "Homiel", "Hrodna", "Minsk region", "Mahilioŭ", "Minsk city"
    }  # fmt: skip
    assert len(shapes["districts"]) == 146  # every district with located stations
    for r in shapes["regions"]:
        lats = [p[0] for p in r["ring"]]
        lons = [p[1] for p in r["ring"]]
        assert min(lats) > 51 and max(lats) < 56.3 and min(lons) > 23 and max(lons) < 33
    minsk = next(d for d in shapes["districts"] if d["district"] == "07-008")
    assert layer["dnames"][minsk["dn"]][2] == "Frunzienski district (Minsk)"
    html = client.get(f"{BY}/map?lang=be").text
    assert "прыблізны" in html and "мяжой" in html  # approximate, not borders
    client.cookies.clear()


def test_no_tiles_by_default_and_a_configured_tile_server_works(engine, client):
    from honestcount.web.routes import router

    plain = client.get(f"{BY}/map")
    assert "img-src 'self' data:;" in plain.headers["content-security-policy"]
    config = re.search(r'id="map-config">(.*?)</script>', plain.text, re.S).group(1)
    assert json.loads(config)["tiles"] is None
    app = FastAPI()
    tiles = {"url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Ours"}
    app.include_router(router(engine, background=False, freshness=0, tiles=tiles))
    with TestClient(app) as c:
        r = c.get(f"{BY}/map")
    assert (
        "img-src 'self' data: https://*.tiles.example.org;" in r.headers["content-security-policy"]
    )
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', r.text, re.S).group(1))
    assert config["tiles"] == tiles
    assert "comes from the tile server" in r.text and "No map tiles" not in r.text
