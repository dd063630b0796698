"""Issue 13, item 7: a NUL or any other odd name in a path answers 404, never 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

ODD = [
    "%00",
    "css/%00site.css",
    "a%00b.js",
    "%0a",
    "css%5csite.css",
    "a" * 300,
    "a/" * 600,
]


@pytest.fixture(scope="module")
def quiet(web_app):
    with TestClient(web_app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("name", ODD)
def test_odd_static_paths_are_not_found(quiet, name):
    r = quiet.get(f"/static/{name}")
    assert r.status_code == 404, r.text[:200]


@pytest.mark.parametrize("name", ["%00", "a%00.png", "honest-mixture-%00.png", "b" * 300])
def test_odd_plot_names_are_not_found(quiet, name):
    r = quiet.get(f"/elections/awkward-1/forensics/{name}")
    assert r.status_code == 404, r.text[:200]
    assert "\x00" not in r.text


def test_a_real_asset_still_loads(quiet):
    assert quiet.get("/static/css/site.css").status_code == 200


def test_no_page_can_be_framed_by_another_site(quiet):
    for path in ("/", "/elections/awkward-1", "/elections/awkward-1/stations"):
        r = quiet.get(path)
        assert r.status_code == 200
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY"
