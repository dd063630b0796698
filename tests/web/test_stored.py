"""The pages read stored analyses (computed once), and answer election night cheaply."""

from __future__ import annotations

import gzip
import os
import stat

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from honestcount import analyses
from honestcount.store.db import make_engine
from honestcount.store.repository import load_election

BY = "/elections/belarus-2020"


@pytest.fixture(scope="module")
def fresh(db_path, tmp_path_factory):
    """A copy of the store, so a stored run here does not reach the other tests."""
    import shutil

    path = tmp_path_factory.mktemp("stored") / "site.db"
    shutil.copyfile(db_path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def client_for(engine, **kw) -> TestClient:
    from honestcount.web.routes import router

    app = FastAPI()
    app.include_router(router(engine, background=False, freshness=0, **kw))
    return TestClient(app)


@pytest.fixture(scope="module")
def client(fresh):
    with client_for(fresh) as c:
        yield c


def test_overview_shows_the_stored_run_and_its_parameters(fresh):
    """After `honestcount estimate --threshold 0.05` the overview shows that run."""
    data = load_election(fresh, "belarus-2020")
    params = analyses.estimate_parameters(threshold=0.05, n_boot=200)
    run = analyses.run_estimate(fresh, data, params)
    with client_for(fresh) as c:
        doc = c.get(f"{BY}.json").json()
        est = doc["estimates"]
        assert est["status"] == "ready"
        assert est["parameters"]["threshold"] == 0.05 and est["parameters"]["n_boot"] == 200
        assert est["provenance"]["computed_at"] == run.computed_at.isoformat()
        shown = {o["id"]: o["estimate"] for o in doc["result"]["options"] if o["estimate"]}
        stored = {
            r["option"]: r
            for r in run.result["estimates"]
            if r["method"] == run.result["recommended"][r["option"]]
        }
        assert shown and all(shown[o]["share"] == stored[o]["share"] for o in shown)
        html = c.get(BY, headers={"Accept-Language": "en"}).text
        assert "0.05" in html and "200" in html  # the parameters, said on the page
        figure = shown["tsikhanouskaya"]["share"]
        assert f"{100 * figure:.1f}%" in html


def test_a_newer_run_replaces_what_is_shown(fresh):
    data = load_election(fresh, "belarus-2020")
    with client_for(fresh) as c:
        first = c.get(f"{BY}.json").json()["estimates"]["provenance"]["computed_at"]
        run = analyses.run_estimate(
            fresh, data, analyses.estimate_parameters(threshold=0.1, n_boot=100)
        )
        doc = c.get(f"{BY}.json").json()
        assert doc["estimates"]["provenance"]["computed_at"] == run.computed_at.isoformat()
        assert doc["estimates"]["parameters"]["threshold"] == 0.1
        assert first != run.computed_at.isoformat()


def test_pages_are_rendered_once_and_answer_304(fresh):
    with client_for(fresh) as c:
        r = c.get(BY, headers={"Accept-Encoding": "gzip"})
        etag = r.headers["etag"]
        assert r.headers["content-encoding"] == "gzip" and etag
        again = c.get(BY, headers={"If-None-Match": etag})
        assert again.status_code == 304 and not again.content
        twin = c.get(f"{BY}.json", headers={"If-None-Match": etag})
        assert twin.status_code == 200  # another document, another tag
        station = c.get(f"{BY}/stations/01-011-0003")
        assert station.status_code == 200
        assert (
            c.get(
                f"{BY}/stations/01-011-0003", headers={"If-None-Match": station.headers["etag"]}
            ).status_code
            == 304
        )
        raw = c.stream("GET", BY, headers={"Accept-Encoding": "gzip"})
        with raw as resp:
            body = b"".join(resp.iter_raw())
        assert b"<html" in gzip.decompress(body)


def test_no_pickle_and_a_private_cache(fresh, monkeypatch):
    import honestcount.web as web

    folder = os.path.dirname(web.__file__)
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    text = f.read()
                assert "pickle" not in text and "os.environ" not in text, name
    monkeypatch.delenv("HONESTCOUNT_CACHE_DIR", raising=False)
    from honestcount.web.site import Site

    site = Site(fresh)
    try:
        mode = stat.S_IMODE(os.stat(site.cache_root).st_mode)
        assert mode == 0o700
    finally:
        site.close()


def test_public_pages_need_no_intake_settings(fresh, monkeypatch):
    for name in ("HONESTCOUNT_SECRET", "HONESTCOUNT_DEV"):
        monkeypatch.delenv(name, raising=False)
    with client_for(fresh) as c:
        assert c.get(BY).status_code == 200
        assert c.get("/").status_code == 200


def test_forensics_say_which_stations_and_what_each_test_shows(client):
    doc = client.get(f"{BY}/forensics.json").json()
    assert doc["status"] == "ready" and doc["provenance"]["kind"] == "forensics"
    plain = doc["plain"]
    assert plain["integer_peaks"]["stations"] < doc["stations_with_protocol"] == 1395
    assert doc["stations_total"] == 5767
    for lang, used, shows in (
        ("en", "Stations this test used", "What it does not show"),
        ("be", "Участкаў, якія ўзяў гэты тэст", "Чаго не паказвае"),
        ("ru", "Участков, которые взял этот тест", "Чего не показывает"),
    ):
        html = client.get(f"{BY}/forensics?lang={lang}").text
        assert used in html and shows in html
        n = str(plain["integer_peaks"]["stations"])
        assert n in html.replace(",", "").replace("\u00a0", "")


def test_open_data_has_a_licence_and_provenance_per_file(client):
    doc = client.get(f"{BY}/data.json").json()
    manifest = doc["manifest"]
    assert manifest["licence"]["id"] == "CC-BY-4.0"
    estimate = manifest["provenance"]["estimates"]["analysis"]
    assert estimate["kind"] == "estimate" and "threshold" in estimate["parameters"]
    kinds = {f["name"]: f["provenance"] for f in manifest["files"]}
    assert kinds["verdicts.csv"]["verification"] == "honestcount verify"
    assert kinds["estimates.csv"]["analysis"] == estimate
    html = client.get(f"{BY}/data?lang=ru").text
    assert "Лицензия" in html and "CC-BY-4.0" in html


def test_aftermath_without_lists_says_so_and_claims_no_gap(fresh):
    from honestcount.ledger.web import router as ledger_router

    app = FastAPI()
    app.include_router(ledger_router(fresh))
    with TestClient(app) as c:
        doc = c.get("/aftermath.json").json()
        assert doc["records"] == 0 and doc["claims"]  # bundled claims, no case lists
        html = c.get("/aftermath?lang=en").text
        assert 'id="ledger-empty"' in html and "ledger import" in html
        assert "more than the cases on record" not in html  # no gap read as a finding
        assert "No cases imported yet to compare with." in html
        assert 'href="/"' in html  # a way back to the elections
