"""The static export: every link relative and resolving, data as scripts, hashes that match."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from honestcount.errors import NotFoundError
from honestcount.web.publish import publish
from honestcount.web.render import STATIC, station_keys

from .conftest import AWKWARD_IDS

LINK = re.compile(r'(?:href|src)="([^"]*)"')


@pytest.fixture(scope="module")
def site(engine, tmp_path_factory):
    out = tmp_path_factory.mktemp("static")
    result = publish(engine, "awkward-1", out)
    return out, result


def test_publish_reports_what_it_wrote(site):
    out, result = site
    assert result["election"] == "awkward-1" and result["stations"] == 4
    assert result["languages"] == ["en", "be", "ru"]
    assert Path(result["index"]) == out / "index.html"
    assert result["files"] == sum(1 for p in out.rglob("*") if p.is_file())
    assert result["bytes"] == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    for lang in ("en", "be", "ru"):
        for page in ("index", "map", "stations", "search", "station", "forensics", "data"):
            assert (out / lang / f"{page}.html").is_file()
    keys = station_keys(AWKWARD_IDS)
    for sid in AWKWARD_IDS:
        twin = json.loads((out / "json" / "s" / f"{keys[sid]}.json").read_text("utf-8"))
        assert twin["station"]["id"] == sid
        script = (out / "assets" / "s" / f"{keys[sid]}.js").read_bytes()
        assert script.startswith(b"window.HC_STATION=")
        assert json.loads(script[len(b"window.HC_STATION=") :].rstrip(b";\n")) == twin


def test_static_station_data_is_what_the_live_site_shows(site, client):
    """The copy reads every station in bulk; each must equal the live page's twin."""
    from urllib.parse import quote

    out, _ = site
    keys = station_keys(AWKWARD_IDS)
    for sid in AWKWARD_IDS:
        live = client.get(f"/elections/awkward-1/stations/{quote(sid, safe='')}.json").json()
        live.pop("links")
        copy = json.loads((out / "json" / "s" / f"{keys[sid]}.json").read_text("utf-8"))
        assert copy == live


def test_every_link_is_relative_and_resolves(site):
    out, _ = site
    assert_links_resolve(out, min_pages=20)


def test_a_copy_in_fewer_languages_links_only_to_those(engine, tmp_path):
    result = publish(engine, "awkward-1", tmp_path, languages=["ru", "xx"])
    assert result["languages"] == ["ru"] and not (tmp_path / "en").exists()
    assert_links_resolve(tmp_path, min_pages=6)
    assert 'href="ru/index.html"' in (tmp_path / "index.html").read_text("utf-8")


def assert_links_resolve(out: Path, min_pages: int) -> None:
    pages = list(out.rglob("*.html"))
    assert len(pages) > min_pages
    for page in pages:
        html = page.read_text("utf-8")
        for link in LINK.findall(html):
            link = link.replace("&amp;", "&")
            if link.startswith(("#", "data:")):
                continue
            parts = urlsplit(link)
            assert not parts.scheme and not link.startswith("/"), (page, link)
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file() and out.resolve() in target.parents, (page, link)


def test_pages_need_nothing_from_elsewhere(site):
    out, _ = site
    for page in out.rglob("*.html"):
        html = page.read_text("utf-8")
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html), page
    for script in (out / "static" / "js").glob("*.js"):
        text = script.read_text("utf-8")
        assert "fetch(" not in text and "XMLHttpRequest" not in text, script


def test_manifest_hashes_match_the_files(site):
    out, result = site
    manifest = json.loads((out / "data" / "manifest.json").read_text("utf-8"))
    assert manifest == result["manifest"]
    names = {f["name"] for f in manifest["files"]}
    assert {
        "stations.csv",
        "stations.parquet",
        "stations.geojson",
        "verdicts.csv",
        "verdicts.parquet",
        "verdicts.geojson",
        "honestcount-awkward-1.sqlite",
    } <= names
    for f in manifest["files"]:
        data = (out / "data" / f["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    sums = (out / "data" / "SHA256SUMS").read_text().splitlines()
    assert sorted(sums) == sorted(f"{f['sha256']}  {f['name']}" for f in manifest["files"])


def test_json_twins_are_strict_json(site):
    out, _ = site
    for path in (out / "json").rglob("*"):
        if path.is_file():
            json.loads(path.read_text("utf-8"), parse_constant=_no_nan)
    overview = json.loads((out / "json" / "overview.json").read_text("utf-8"))
    assert overview["verification"]["verdicts"]["falsification_proven"] == 1
    stations = json.loads((out / "json" / "stations.json").read_text("utf-8"))
    assert [s["id"] for s in stations["stations"]] == AWKWARD_IDS
    for s in stations["stations"]:
        assert (out / "json" / s["json"]).is_file()


def _no_nan(name):
    raise ValueError(f"not strict JSON: {name}")


def test_search_index_decodes_to_the_station_ids(site):
    out, _ = site
    text = (out / "assets" / "search-index.js").read_text("utf-8")
    index = json.loads(text.removeprefix("window.HC_INDEX=").rstrip(";\n"))
    ids, prev = [], ""
    for n, rest in zip(index["p"], index["s"], strict=True):
        prev = prev[:n] + rest
        ids.append(prev)
    assert ids == AWKWARD_IDS
    keys = station_keys(AWKWARD_IDS)
    for sid, key in zip(ids, index["keys"], strict=True):
        assert (key or sid) == keys[sid]


def test_static_assets_include_leaflet_and_its_licences(site):
    out, _ = site
    for rel in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/LICENSE",
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
        "vendor/leaflet.markercluster/MIT-LICENCE.txt",
        "css/site.css",
        "js/map.js",
    ):
        assert (out / "static" / rel).read_bytes() == (STATIC / rel).read_bytes()


def test_unknown_election_is_refused(engine, tmp_path):
    with pytest.raises(NotFoundError, match="awkward-1"):
        publish(engine, "nope", tmp_path)


@pytest.mark.slow
def test_the_belarus_copy_is_small_enough_to_mirror(engine, tmp_path):
    """Issue 18: Belarus 2020 in three languages in at most 100 MB (time is reported)."""
    result = publish(engine, "belarus-2020", tmp_path)
    assert result["bytes"] <= 100e6, result["bytes"]
    assert result["files"] < 15_000
    assert (tmp_path / "assets" / "s" / "07-006-0042.js").is_file()
