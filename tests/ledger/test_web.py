"""The ledger on the public site, in process: figures and claims (page and twin), the
relatives' search (found / where / when only), its rate limit and its access log, and no name
from the synthetic lists anywhere in public output."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from honestcount.ledger import access, commands, synth
from honestcount.ledger.web import gap_reading, router, timeline_svg
from honestcount.store.db import make_engine
from honestcount.web.i18n import LANGUAGES, _catalog, translator

SEED = 7
RECORDS = 600


@dataclass
class LedgerSite:
    engine: object
    names: set[str]  # every spelling of every synthetic surname (6 letters or more), lowercase
    known: dict  # surname, given_name, birth_year of a person on the rights group's list


def build(tmp_path, vault) -> LedgerSite:
    out = tmp_path / "lists"
    commands.ledger_synth(out, seed=SEED, records=RECORDS)
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    commands.ledger_import_synth(out, db=engine, vault=vault)
    commands.ledger_link(db=engine, vault=vault, train=False)
    data = synth.synthesize(RECORDS, seed=SEED)  # the same draw ledger_synth wrote
    names: set[str] = set()
    for p in data.people:
        for form in (p.surname_ru, synth.be_form(p.surname_ru)):
            for spelled in (form, synth.lat_ru(form), synth.lat_en(form), synth.lat_be(form)):
                if len(spelled) >= 6:
                    names.add(spelled.lower())
    rows = data.lists["rights-detained"]
    years = rows["Год рождения"].astype(str).str.strip()
    row = rows[years.str.fullmatch(r"(19|20)\d\d")].iloc[0]
    surname, given = str(row["ФИО"]).split()[:2]
    known = {
        "surname": surname,
        "given_name": given,
        "birth_year": str(row["Год рождения"]).strip(),
    }
    return LedgerSite(engine, names, known)


def leaked(text: str, names: set[str]) -> list[str]:
    low = text.lower()
    return sorted(n for n in names if n in low)


@pytest.fixture(scope="module")
def site(tmp_path_factory, vault):
    return build(tmp_path_factory.mktemp("ledger-web"), vault)


# What a browser sends with a form posted from the site's own page.
OWN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture(scope="module")
def client(site, vault):
    app = FastAPI()
    app.include_router(router(site.engine, vault=vault, search_burst=1000, search_per_minute=1000))
    with TestClient(app) as c:
        yield c


def _claims_cells(html: str) -> list[str]:
    body = html.split('<table class="claims">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"(?s)<tr class=\"claim-[a-z_]+\">(.*?)</tr>", body)


def test_page_and_twin_show_figures_and_claims(client):
    doc = client.get("/aftermath.json").json()
    assert doc["records"] == 600
    assert (
        doc["totals"]["detained"]["low"]
        <= doc["totals"]["detained"]["best"]
        <= doc["totals"]["detained"]["high"]
    )
    assert doc["totals"]["detained"]["best"] > 100
    assert len(doc["by_day"]) >= 5 and doc["by_place"] and doc["by_facility"]
    assert len(doc["claims"]) == 8  # the bundled claims of 9-14 August 2020
    nearly = doc["claims"][0]
    assert (nearly["kind"], nearly["quantity"], nearly["qualifier"]) == ("detained", 7000, "nearly")
    assert nearly["gap"] == 7000 - nearly["supported"] and nearly["reading"] == "above"

    r = client.get("/aftermath")
    assert r.status_code == 200 and "Content-Security-Policy" in r.headers
    html = r.text
    assert '<svg class="timeline"' in html and 'href="/aftermath.json"' in html
    rows = _claims_cells(html)
    assert len(rows) == 8
    low, best, high = (nearly["supported_range"]["low"], nearly["supported"],
                       nearly["supported_range"]["high"])  # fmt: skip
    shown = f"{low:,}–{high:,}" if low != high else f"{best:,}"
    # the claim and the range the cases support sit in one row
    assert "Associated Press" in rows[0] and "nearly 7,000" in rows[0] and shown in rows[0]
    assert f"{7000 - best:,} more than the cases on record" in rows[0]


def test_official_rights_group_and_media_figures_side_by_side(client):
    doc = client.get("/aftermath.json").json()
    groups = {g["kind"]: g for g in doc["claim_groups"]}
    released = groups["released"]  # one group: the periods overlap (13 August in 9-14)
    official = sorted(c["quantity"] for c in released["sides"]["official_statement"])
    assert official == [1000, 2000] and (released["from"], released["to"]) == (
        "2020-08-09",
        "2020-08-14",
    )
    (viasna,) = released["sides"]["rights_group"]
    assert viasna["quantity"] == 1000 and "Viasna" in viasna["source"]
    assert viasna["date"] == "2020-08-14" and viasna["url"] is None  # none was recorded
    assert released["compared"]
    # "killed" (media) and "died" (official) count the same deaths: one row
    assert {c["kind"] for c in groups["died"]["sides"]["media"]} == {"killed"}
    assert "killed" not in groups
    assert sum(len(v) for g in doc["claim_groups"] for v in g["sides"].values()) == 8
    assert doc["claim_sides"] == ["official_statement", "rights_group", "media"]
    for lang in LANGUAGES:
        html = client.get(f"/aftermath?lang={lang}").text
        table = html.split('<table class="sides cards-sm">', 1)[1].split("</table>", 1)[0]
        t = translator(lang)
        assert table.count(t("ledger.sides.no_link")) == 8  # no URL is invented
        assert t("ledger.sides.title") in html and t("ledger.sides.caveat") in unescape(html)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_in_each_language(client, lang):
    html = client.get(f"/aftermath?lang={lang}").text
    t = translator(lang)
    assert f'<html lang="{lang}">' in html
    assert t("ledger.claims.title") in html and t("nav.aftermath") in html
    assert "ledger." not in re.sub(r"<[^>]+>", "", html)  # no key shows itself untranslated
    assert t("ledger.search.surname") in client.get(f"/aftermath/search?lang={lang}").text


def test_every_language_has_every_ledger_key():
    keys = {lang: {k for k in _catalog(lang) if k.startswith("ledger.")} for lang in LANGUAGES}
    assert keys["en"] and keys["en"] == keys["be"] == keys["ru"]


def test_no_name_in_any_public_output(client, site):
    assert len(site.names) > 100
    outputs = {
        path: client.get(path).text
        for path in ("/aftermath", "/aftermath.json", "/aftermath/search",
                     "/aftermath/search.json", "/aftermath?lang=be", "/aftermath?lang=ru")
    }  # fmt: skip
    found = client.post("/aftermath/search", data=site.known, headers=OWN)
    outputs["search answer"] = found.text
    outputs["search answer json"] = client.post("/aftermath/search.json", json=site.known).text
    for where, text in outputs.items():
        assert not leaked(text, site.names), where
    assert site.known["surname"].lower() in site.names  # the check would see that name


def test_search_says_found_and_where_only(client, site):
    r = client.post("/aftermath/search.json", json=site.known)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    answer = r.json()
    assert answer["found"] is True
    assert set(answer) == {"found", "last_recorded"}
    assert set(answer["last_recorded"]) == {"date", "place", "facility"}
    assert re.fullmatch(r"2020-\d\d-\d\d", answer["last_recorded"]["date"])
    # the form posts the same and the page shows the same
    html = client.post("/aftermath/search?lang=en", data=site.known, headers=OWN).text
    assert 'data-found="yes"' in html and "This person is on record." in html


@pytest.mark.parametrize(
    "change",
    [
        {"given_name": ""},  # surname and year only
        {"surname": ""},  # given name and year only
        {"birth_year": ""},
        {"birth_year": "1901"},  # a wrong year
    ],
)
def test_search_partial_or_wrong_finds_nothing(client, site, change):
    answer = client.post("/aftermath/search.json", json={**site.known, **change}).json()
    assert answer["found"] is False and "last_recorded" not in answer
    html = client.post("/aftermath/search", data={**site.known, **change}, headers=OWN).text
    assert 'data-found="no"' in html


def test_every_search_is_in_the_access_log(client, site):
    before = [r for r in access.history(site.engine) if r["action"] == "relatives_search"]
    client.post("/aftermath/search.json", json=site.known)
    client.post("/aftermath/search.json", json={**site.known, "given_name": ""})
    after = [r for r in access.history(site.engine) if r["action"] == "relatives_search"]
    assert len(after) == len(before) + 2
    assert not leaked(repr(after[:2]), site.names)


def test_search_is_rate_limited_per_client(site, vault):
    app = FastAPI()
    app.include_router(router(site.engine, vault=vault, search_burst=2, search_per_minute=1))
    with TestClient(app) as c:
        codes = [c.post("/aftermath/search.json", json=site.known).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.post("/aftermath/search", data=site.known, headers=OWN)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Too many searches" in r.text and "This person is on record" not in r.text


def test_search_without_the_key_is_unavailable(site, monkeypatch):
    monkeypatch.delenv("HONESTCOUNT_LEDGER_KEY", raising=False)
    app = FastAPI()
    app.include_router(router(site.engine))
    with TestClient(app) as c:
        assert c.post("/aftermath/search.json", json=site.known).status_code == 503
        assert "not available on this server" in c.get("/aftermath/search").text
        assert c.get("/aftermath.json").status_code == 200  # figures need no key


def test_gap_wording_and_chart_helpers():
    claim = {"quantity": 1000, "qualifier": "more_than",
             "supported_range": {"low": 1200, "high": 1300}}  # fmt: skip
    assert gap_reading(claim) == "consistent_floor"
    assert gap_reading({**claim, "qualifier": "about"}) == "below"
    assert gap_reading({**claim, "quantity": 1250}) == "within"
    assert gap_reading({**claim, "quantity": 7000}) == "above"
    assert str(timeline_svg([], translator("en"))) == ""


# --- issue 13, item 7: the search answers its own site only, and no more than agreed --------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # with no Sec-Fetch-Site to say it is this site's own page
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
    ],
)
def test_search_refuses_other_sites(client, site, headers):
    r = client.post("/aftermath/search.json", json=site.known, headers=headers)
    assert r.status_code == 403 and "found" not in r.text
    assert "access-control-allow-origin" not in r.headers
    form = client.post("/aftermath/search", data=site.known, headers=headers)
    assert form.status_code == 403 and "on record" not in form.text


def test_search_takes_no_form_from_elsewhere_and_only_json_as_json(client, site):
    # a form posted with no word of where it came from (what a cross-site form in an old
    # browser, or a hidden auto-submitting one, would look like) is not answered
    assert client.post("/aftermath/search", data=site.known).status_code == 403
    # the JSON search takes JSON only: a form cannot reach it without a CORS preflight
    r = client.post("/aftermath/search.json", data=site.known)
    assert r.status_code == 415 and "found" not in r.text
    plain = client.post(
        "/aftermath/search.json",
        content=json.dumps(site.known),
        headers={"Content-Type": "text/plain"},
    )
    assert plain.status_code == 415
    ok = client.post("/aftermath/search.json", json=site.known)
    assert ok.status_code == 200 and "access-control-allow-origin" not in ok.headers
    assert "access-control-allow-origin" not in client.get("/aftermath/search.json").headers
    # the figures are still open to anyone's scripts
    assert client.get("/aftermath.json").headers["access-control-allow-origin"] == "*"


def test_search_refuses_a_big_body_before_reading_it(client, site):
    big = {**site.known, "note": "x" * 10_000}
    assert client.post("/aftermath/search.json", json=big).status_code == 413

    def chunks():  # no Content-Length: refused once 4 KB have come
        yield json.dumps(site.known).encode()[:-1]
        for _ in range(100):
            yield b" " * 1000

    r = client.post(
        "/aftermath/search.json", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_a_hospital_is_not_disclosed(tmp_path, site, vault):
    import sqlite3

    from sqlalchemy import text

    copy = tmp_path / "hospital.db"
    with sqlite3.connect(site.engine.url.database) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # the whole store, write-ahead log included
    engine = make_engine(f"sqlite:///{copy}")
    hospital = "Городская клиническая больница скорой медицинской помощи"
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_facts SET facility = :h"), {"h": hospital})
    app = FastAPI()
    app.include_router(router(engine, vault=vault, search_burst=100, search_per_minute=100))
    with TestClient(app) as c:
        answer = c.post("/aftermath/search.json", json=site.known).json()
        assert answer["found"] is True
        assert answer["last_recorded"]["facility"] == "not_disclosed"
        html = c.post("/aftermath/search?lang=en", data=site.known, headers=OWN).text
        assert "больниц" not in html and "a place not disclosed" in html
    engine.dispose()
    # a known place of detention is named
    from honestcount.ledger.web import public_facility

    assert public_facility("Akrestsina detention centre") == "Akrestsina detention centre"
    assert public_facility("Hospital No 6") == "not_disclosed" and public_facility(None) is None


def test_the_sites_own_form_is_answered(client, site):
    # what Chromium sends with the page's form under Referrer-Policy: no-referrer
    own = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    html = client.post("/aftermath/search?lang=en", data=site.known, headers=own).text
    assert 'data-found="yes"' in html


def test_the_search_page_cannot_be_framed(client):
    r = client.get("/aftermath/search")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "access-control-allow-origin" not in r.headers
