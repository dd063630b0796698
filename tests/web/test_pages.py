"""Every page and its JSON twin, in process (FastAPI TestClient)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from urllib.parse import quote

import pytest

from honestcount.web.i18n import LANGUAGES, Translator, _catalog, negotiate
from honestcount.web.render import station_key, station_keys

from .conftest import AWKWARD_IDS

BY = "/elections/belarus-2020"
AW = "/elections/awkward-1"


def station_url(eid: str, sid: str) -> str:
    return f"/elections/{eid}/stations/{quote(sid, safe='')}"


def get_json(client, url, **kw):
    r = client.get(url, **kw)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith(("application/json", "application/geo+json"))
    return r.json()


# home and overview ----------------------------------------------------------------------
def test_home_lists_elections(client):
    doc = get_json(client, "/index.json")
    ids = {e["id"]: e for e in doc["elections"]}
    assert set(ids) == {"belarus-2020", "awkward-1"}
    assert ids["belarus-2020"]["stations"] == 5767
    assert ids["belarus-2020"]["links"]["json"] == f"{BY}.json"
    assert get_json(client, "/elections.json") == doc
    html = client.get("/").text
    assert f'href="{BY}"' in html and 'rel="alternate" type="application/json"' in html


def test_overview_twin_has_official_estimates_verdicts_and_remainder(client):
    doc = get_json(client, f"{BY}.json")
    assert doc["election"]["id"] == "belarus-2020"
    assert doc["coverage"]["stations"] == 5767
    assert doc["coverage"]["stations_with_official_result"] == 1395
    result = doc["result"]
    assert result["basis"] == "national_totals" and result["ballots_cast"] == 5818955
    options = {o["id"]: o for o in result["options"]}
    assert "not_voting" not in options  # abstentions are not on the ballot
    assert options["lukashenko"]["official_votes"] == 4661075
    assert options["lukashenko"]["official_share"] == pytest.approx(4661075 / 5818955)
    assert options["invalid"]["official_votes"] == 67125  # remainder of ballots cast
    verification = doc["verification"]
    assert verification["verdicts"]["falsification_proven"] == 445
    assert sum(verification["verdicts"].values()) == 5767
    assert verification["proven_excess_votes"] == 50247
    assert {c["rule"] for c in verification["check_failures"]} >= {"options_sum_to_total"}
    assert doc["national_remainder"]["stations_known"] == 1395
    est = doc["estimates"]
    if est["status"] == "ready":  # the estimate package is importable
        t = options["tsikhanouskaya"]
        assert t["lower_bound"]["share"] > t["official_share"]
        assert t["estimate"]["ci_low"] <= t["estimate"]["share"] <= t["estimate"]["ci_high"]
        assert est["assumptions"]["lower_bound"]
    else:
        assert est["status"] == "unavailable"
    assert doc["links"]["map"] == f"{BY}/map.json"


def test_overview_page_shows_the_numbers_in_each_language(client):
    html = client.get(BY, headers={"Accept-Language": "en"}).text
    assert "4,661,075" in html and "Falsification proven" in html and "445" in html
    html = client.get(BY, headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).text
    assert '<html lang="ru">' in html and "4\u00a0661\u00a0075" in html
    assert "Фальсификация доказана" in html and "Александр Лукашенко" in html
    html = client.get(BY, headers={"Accept-Language": "be"}).text
    assert "Фальсіфікацыя даказаная" in html and "Аляксандр Лукашэнка" in html


# map ------------------------------------------------------------------------------------
def test_map_twin_and_page(client):
    doc = get_json(client, f"{BY}/map.json")
    assert doc["stations"] == doc["located"] == 5767 and doc["unlocated"] == 0
    assert sum(r["stations"] for r in doc["regions"]) == 5767
    assert doc["verdicts"]["falsification_proven"] == 445
    lo, hi = doc["view"]["bounds"]
    assert 50 < lo[0] < hi[0] < 57 and 22 < lo[1] < hi[1] < 33  # Belarus, not the embassies
    html = client.get(f"{BY}/map").text
    assert "vendor/leaflet/leaflet.js" in html and "map-layer.js?v=" in html
    assert "https://" not in re.sub(r'href="https://[^"]*"', "", html)  # nothing third-party


def test_map_layer_script_is_compact_and_complete(client):
    html = client.get(f"{BY}/map").text
    src = re.search(r'src="([^"]*map-layer\.js[^"]*)"', html).group(1).replace("&amp;", "&")
    r = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "immutable" in r.headers["cache-control"]
    raw = r.content
    assert raw.startswith(b"window.HC_LAYER=")
    layer = json.loads(raw[len(b"window.HC_LAYER=") :].rstrip(b";\n"))
    assert len(layer["ids"]) == len(layer["lat"]) == len(layer["v"]) == 5767
    assert layer["v"].count("P") == 445
    assert len(raw) < 400_000


def test_geojson_layer_filters_and_pages(client):
    doc = get_json(client, f"{BY}/map.geojson")
    assert doc["type"] == "FeatureCollection" and doc["total"] == 5767
    f = doc["features"][0]
    assert f["geometry"]["type"] == "Point" and set(f["properties"]) <= {"v", "x"}
    proven = get_json(client, f"{BY}/map.geojson?verdict=falsification_proven")
    assert proven["total"] == 445
    assert all(
        x["properties"]["v"] == "falsification_proven" and x["properties"]["x"] > 0
        for x in proven["features"]
    )
    page1 = get_json(client, f"{BY}/map.geojson?per_page=1000")
    assert page1["pages"] == 6 and len(page1["features"]) == 1000
    assert "page=2" in page1["next"]
    page6 = get_json(client, f"{BY}/map.geojson?per_page=1000&page=6")
    assert len(page6["features"]) == 767 and "next" not in page6
    both = get_json(client, f"{BY}/map.geojson?region=Brest&settlement_type=village")
    assert 0 < both["total"] < 910


def test_map_without_coordinates_shows_regions_not_invented_places(client):
    doc = get_json(client, f"{AW}/map.json")
    assert doc["located"] == 0 and doc["view"]["bounds"] is None
    html = client.get(f"{AW}/map").text
    assert "leaflet.js" not in html and 'id="map"' not in html
    assert "Республика Адыгея (Адыгея)" in html
    empty = get_json(client, f"{AW}/map.geojson")
    assert empty["total"] == 0 and empty["features"] == []
    unlocated = get_json(client, f"{AW}/map.geojson?include_unlocated=1")
    assert unlocated["total"] == 4 and unlocated["features"][0]["geometry"] is None
    assert {f["id"] for f in unlocated["features"]} == set(AWKWARD_IDS)


# stations -------------------------------------------------------------------------------
def test_stations_twin_filters_search_and_pages(client):
    doc = get_json(client, f"{BY}/stations.json?verdict=falsification_proven&per_page=100")
    assert doc["total"] == 445 and doc["pages"] == 5 and len(doc["stations"]) == 100
    s = doc["stations"][0]
    assert s["verdict"] == "falsification_proven" and s["proven_excess_votes"] > 0
    assert s["links"]["json"] == station_url("belarus-2020", s["id"]) + ".json"
    assert "page=2" in doc["links"]["next"] and doc["links"]["prev"] is None
    minsk = get_json(client, f"{BY}/stations.json?region=Minsk+city")
    assert minsk["total"] == 687
    found = get_json(client, f"{BY}/stations.json?q=01-011-0003")
    assert found["stations"][0]["id"] == "01-011-0003"
    town = get_json(client, f"{BY}/stations.json?q=BREST")  # case-insensitive
    assert town["total"] > 100
    failing = get_json(client, f"{BY}/stations.json?check=options_sum_to_total")
    assert failing["total"] == 80
    bad = get_json(client, f"{BY}/stations.json?page=99999&per_page=0")
    assert bad["per_page"] == 1 and bad["page"] == bad["pages"]


def test_stations_page_search_jumps_to_an_exact_id(client):
    r = client.get(f"{BY}/stations?q=01-011-0003", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == station_url(
        "belarus-2020", "01-011-0003"
    )
    html = client.get(f"{BY}/stations?q=minsk&verdict=falsification_proven").text
    assert "Stations found: 278" in html and 'rel="next"' in html


def test_proven_station_page_and_twin(client):
    doc = get_json(client, station_url("belarus-2020", "01-011-0003") + ".json")
    assert doc["verdict"]["verdict"] == "falsification_proven"
    assert doc["verdict"]["proven_options"] == ["tsikhanouskaya"]
    opts = {o["id"]: o for o in doc["options"]}
    t = opts["tsikhanouskaya"]
    assert (t["official"], t["photo_confirmed"], t["photo_minus_official"]) == (127, 194, 67)
    assert doc["verdict"]["proven_excess_votes"] == 67
    assert doc["protocol"]["source"] == "photographed_protocol"
    assert {r["line"] for r in doc["protocol"]["lines"]} >= {"ballots_cast"}
    assert doc["observers"]["observers"] == 1 and doc["observers"]["violations"]
    assert doc["links"]["html"] == station_url("belarus-2020", "01-011-0003")
    html = client.get(station_url("belarus-2020", "01-011-0003")).text
    assert "Falsification proven" in html and "+67" in html and ">194<" in html


def test_station_with_failed_checks_lists_them(client):
    failing = get_json(client, f"{BY}/stations.json?check=no_negative_line")
    sid = failing["stations"][0]["id"]
    doc = get_json(client, station_url("belarus-2020", sid) + ".json")
    assert "no_negative_line" in [c["rule"] for c in doc["failed_checks"]]
    assert doc["data_quality"]  # the odd value was recorded at import


@pytest.mark.parametrize("sid", AWKWARD_IDS)
def test_awkward_station_ids_round_trip_through_urls(client, sid):
    doc = get_json(client, station_url("awkward-1", sid) + ".json")
    assert doc["station"]["id"] == sid
    assert doc["links"]["html"] == station_url("awkward-1", sid)
    html = client.get(station_url("awkward-1", sid))
    assert html.status_code == 200
    assert "Анна &amp; &lt;Co&gt;" in html.text  # option names are escaped, once
    listing = get_json(client, f"{AW}/stations.json?q={quote(sid)}")
    assert listing["stations"][0]["id"] == sid
    assert listing["stations"][0]["links"]["html"] == station_url("awkward-1", sid)


def test_awkward_election_verdicts(client):
    proven = get_json(client, station_url("awkward-1", AWKWARD_IDS[0]) + ".json")
    assert proven["verdict"]["verdict"] == "falsification_proven"
    assert proven["verdict"]["proven_excess_votes"] == 30
    unknown = get_json(client, station_url("awkward-1", "plain-01") + ".json")
    assert unknown["verdict"]["verdict"] == "no_official_result"
    assert unknown["protocol"]["source"] is None


def test_not_found(client):
    assert client.get("/elections/nope").status_code == 404
    assert client.get("/elections/nope.json").json()["error"] == "not_found"
    r = client.get(station_url("belarus-2020", "99-999-9999"))
    assert r.status_code == 404 and "99-999-9999" in r.text
    assert client.get(station_url("belarus-2020", "99-999-9999") + ".json").status_code == 404
    assert client.get("/static/../routes.py").status_code == 404
    assert client.get("/static/%2e%2e/routes.py").status_code == 404
    assert client.get(f"{BY}/data/../../etc/passwd").status_code == 404
    assert client.get(f"{BY}/forensics/..%2Fsnapshot.pickle").status_code == 404


# forensics and open data ----------------------------------------------------------------
def test_forensics_twin_and_page(client):
    doc = get_json(client, f"{BY}/forensics.json")
    assert doc["status"] in ("ready", "unavailable")
    if doc["status"] == "ready":
        tests = doc["result"]["tests"]
        assert "integer_peaks" in tests
        for test in tests.values():
            for url in test.get("plot_urls", []):
                r = client.get(url)
                assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
        json.dumps(doc, allow_nan=False)  # strict JSON
    html = client.get(f"{BY}/forensics").text
    assert "Anomaly indicators, never verdicts" in html


def test_open_data_manifest_and_hashes(client):
    doc = get_json(client, f"{BY}/data.json")
    assert doc["status"] == "ready"
    files = {f["name"]: f for f in doc["manifest"]["files"]}
    for name in (
        "stations.csv",
        "stations.parquet",
        "stations.geojson",
        "verdicts.csv",
        "verdicts.parquet",
        "verdicts.geojson",
        "honestcount-belarus-2020.sqlite",
    ):
        assert name in files
    for f in files.values():
        r = client.get(f["url"])
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == f["sha256"], f["name"]
        assert len(r.content) == f["bytes"]
    sums = client.get(doc["links"]["sha256sums"]).text.splitlines()
    assert len(sums) == len(files)
    assert client.get(f"{BY}/data/secret.txt").status_code == 404
    html = client.get(f"{BY}/data").text
    assert files["stations.csv"]["sha256"] in html


def test_open_data_contents(client, tmp_path):
    import sqlite3

    import pandas as pd

    doc = get_json(client, f"{BY}/data.json")
    files = {f["name"]: f for f in doc["manifest"]["files"]}
    verdicts = tmp_path / "v.parquet"
    verdicts.write_bytes(client.get(files["verdicts.parquet"]["url"]).content)
    frame = pd.read_parquet(verdicts)
    assert len(frame) == 5767 and (frame["verdict"] == "falsification_proven").sum() == 445
    geo = client.get(files["stations.geojson"]["url"]).json()
    assert len(geo["features"]) == 5767 and geo["features"][0]["geometry"]["type"] == "Point"
    db = tmp_path / "public.sqlite"
    db.write_bytes(client.get(files["honestcount-belarus-2020.sqlite"]["url"]).content)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from stations").fetchone()[0] == 5767
        assert conn.execute("select count(*) from station_verdicts").fetchone()[0] == 5767
        assert conn.execute("select count(distinct election_id) from stations").fetchone() == (1,)
        path = conn.execute("select import_path from elections").fetchone()[0]
        assert "/" not in path  # the server's folders are not published
    if "estimates.csv" in files:
        est = client.get(files["estimates.csv"]["url"]).text.splitlines()
        assert est[0].startswith("option,method,recommended,share,ci_low,ci_high")


# languages, formats, assets -------------------------------------------------------------
def test_language_switch_sets_a_cookie(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app) as c:
        r = c.get(f"{BY}?lang=be", headers={"Accept-Language": "en"})
        assert r.headers["content-language"] == "be" and "hc_lang=be" in r.headers["set-cookie"]
        r = c.get(f"{BY}/map", headers={"Accept-Language": "en"})
        assert r.headers["content-language"] == "be"  # the cookie wins over the header
        html = c.get(f"{BY}/stations?region=Brest&lang=ru").text
        assert "Брестская область" in html
        assert 'href="/elections/belarus-2020/stations?region=Brest&amp;lang=en"' in html


def test_negotiation_and_number_formats():
    assert negotiate(None) == "en"
    assert negotiate("de-DE,de;q=0.9") == "en"
    assert negotiate("de;q=0.9,ru;q=0.8,en;q=0.1") == "ru"
    assert negotiate("be-BY") == "be"
    assert negotiate("ru;q=0, be;q=0.3") == "be"
    en, ru, be = Translator("en"), Translator("ru"), Translator("be")
    assert en.num(1234567) == "1,234,567" and ru.num(1234567) == "1\u00a0234\u00a0567"
    assert en.pct(0.2719) == "27.2%" and be.pct(0.2719) == "27,2\u00a0%"
    assert en.num(None) == "—" and en.num(float("nan")) == "—" and en.signed(-3) == "−3"
    assert "жніўня 2020" in be.date("2020-08-09") and "августа 2020" in ru.date("2020-08-09")
    assert en.stat(3.4e-43) == "3.4×10⁻⁴³"


def test_every_language_has_every_key():
    english = set(_catalog("en"))
    for lang in LANGUAGES:
        keys = set(_catalog(lang))
        missing = {k for k in english - keys if not k.startswith("labels.")}
        assert not missing, (lang, sorted(missing)[:10])


def test_assets_are_served_locally_and_compressed(client):
    html = client.get(f"{BY}/map").text
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        r = client.get(src.replace("&amp;", "&"))
        assert r.status_code == 200, src
    raw = client.get(
        "/static/vendor/leaflet/leaflet.js",
        headers={"Accept-Encoding": "gzip"},
    )
    assert raw.headers.get("content-encoding") == "gzip"
    assert client.get("/static/vendor/leaflet/LICENSE").status_code == 200
    assert client.get("/static/vendor/leaflet.markercluster/MIT-LICENCE.txt").status_code == 200


def test_large_twins_are_gzipped(client):
    import httpx

    r = client.get(f"{BY}/map.geojson", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    raw = client.stream("GET", f"{BY}/map.geojson", headers={"Accept-Encoding": "gzip"})
    with raw as resp:
        body = b"".join(resp.iter_raw())
    assert len(body) < 250_000 and json.loads(gzip.decompress(body))["total"] == 5767
    assert isinstance(httpx.__version__, str)


def test_station_keys_are_safe_file_names():
    assert station_key("01-010-0001") == "01-010-0001"
    odd = station_key(AWKWARD_IDS[0])
    assert re.fullmatch(r"x[0-9a-f]{20}", odd)
    keys = station_keys(["AB", "ab", "plain"])  # would collide on a case-insensitive disk
    assert keys["plain"] == "plain" and keys["AB"].lower() != keys["ab"].lower()


def test_the_composed_app_mounts_the_site(db_path, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from honestcount.app import create_app

    monkeypatch.setenv("HONESTCOUNT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HONESTCOUNT_DEV", "1")  # the intake API, mounted beside, needs a key
    with TestClient(create_app(f"sqlite:///{db_path}")) as c:
        doc = c.get(f"{AW}.json").json()
        assert doc["election"]["id"] == "awkward-1"
        assert doc["estimates"]["status"] in ("computing", "ready", "unavailable", "error")
        assert c.get("/").status_code == 200
