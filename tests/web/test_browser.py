"""The public site in headless Chromium: what a visitor sees and clicks.

Needs Debian's ``chromium`` (/usr/bin/chromium) and Playwright for Python; Playwright's own
browser download is never used. Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

CHROMIUM = Path(os.environ.get("HONESTCOUNT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BY = "/elections/belarus-2020"
PROVEN = "01-011-0003"  # photos for Tsikhanouskaya exceed her official count by 67

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (install Debian's chromium; CI does)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is not "
    "installed (pip install playwright; never `playwright install`)",
)


def shot(page, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=full)


@pytest.fixture(scope="module")
def server(web_app):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    from honestcount.web import views

    site = web_app.state.site
    views.estimates(site, site.snapshot("belarus-2020"), wait=True)  # timed pages stay fast
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, errors


def test_overview(server, page):
    page.goto(server + BY)
    assert page.locator("h1").inner_text().startswith("Presidential election, Belarus")
    assert "445" in page.locator(".callout").first.inner_text()
    assert page.locator("table.result tbody tr").count() == 7
    paint = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
    assert paint < 2000
    shot(page, "overview")


def test_overview_on_a_phone(server, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="ru-RU", is_mobile=True
    )
    pg = context.new_page()
    pg.goto(server + BY)
    assert pg.locator("html").get_attribute("lang") == "ru"
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
    shot(pg, "overview-phone-ru")
    context.close()


def test_map_filters_and_links_to_the_station(server, page):
    page.goto(server + BY + "/map")
    status = page.locator("#map-status")
    sync_api.expect(status).to_have_text("Stations shown: 5,767", timeout=20_000)
    assert page.locator(".hc-cluster").count() > 10
    shot(page, "map", full=False)
    for box in page.locator('input[name="verdict"]').all():
        if box.get_attribute("value") != "falsification_proven":
            box.uncheck()
    sync_api.expect(status).to_have_text("Stations shown: 445")
    assert "verdict=falsification_proven" in page.url
    page.select_option("#f-region", "Minsk city")
    sync_api.expect(status).to_have_text(re.compile(r"Stations shown: \d+"))
    shot(page, "map-filtered", full=False)

    page.goto(server + BY + f"/map?station={PROVEN}")
    popup = page.locator(".leaflet-popup-content")
    sync_api.expect(popup).to_contain_text(PROVEN, timeout=20_000)
    sync_api.expect(popup).to_contain_text("Falsification proven")
    page.wait_for_timeout(1200)  # let the zoom and fade-in finish for the screenshot
    shot(page, "map-popup", full=False)
    popup.get_by_role("link").click()
    page.wait_for_url(f"**/stations/{PROVEN}")
    assert page.locator("h1").inner_text() == f"Polling station {PROVEN}"


def test_proven_station(server, page):
    page.goto(server + BY + "/stations/" + quote(PROVEN, safe=""))
    assert page.locator(".badge").inner_text().strip() == "Falsification proven"
    row = page.locator("tr.hl").first.inner_text()
    assert "127" in row and "194" in row and "+67" in row
    shot(page, "station-proven")


def test_switch_language(server, page):
    page.goto(server + BY)
    page.get_by_role("link", name="Беларуская").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "be"
    assert "Фальсіфікацыя даказаная" in page.content()
    page.get_by_role("navigation", name="Раздзелы").get_by_role("link", name="Мапа").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Мапа ўчасткаў")  # the choice sticks
    sync_api.expect(page.locator("#map-status")).to_have_text(
        re.compile("Паказана ўчасткаў: 5\u00a0767"), timeout=20_000
    )
    page.wait_for_timeout(500)
    shot(page, "map-be", full=False)


def test_search(server, page):
    page.goto(server + BY)
    page.fill("#qs", "Hrodna")
    page.press("#qs", "Enter")
    page.wait_for_url("**/stations?q=Hrodna")
    assert "Stations found:" in page.locator('p[role="status"]').inner_text()
    page.fill("#qs", PROVEN)
    page.press("#qs", "Enter")
    page.wait_for_url(f"**/stations/{PROVEN}")


def test_download_matches_the_manifest(server, page):
    page.goto(server + BY + "/data")
    manifest = page.request.get(server + BY + "/data/manifest.json").json()
    expected = {f["name"]: f["sha256"] for f in manifest["files"]}
    with page.expect_download() as info:
        page.get_by_role("link", name="stations.csv", exact=True).click()
    download = info.value
    data = Path(download.path()).read_bytes()
    assert download.suggested_filename == "stations.csv"
    assert hashlib.sha256(data).hexdigest() == expected["stations.csv"]
    assert expected["stations.csv"] in page.content()
    shot(page, "data")


def test_keyboard_skip_link(server, page):
    page.goto(server + BY)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"


def test_static_copy_from_disk(engine, browser, tmp_path):
    from honestcount.web.publish import publish

    publish(engine, "belarus-2020", tmp_path, languages=["en", "be"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="be-BY")
    pg = context.new_page()
    outside: list[str] = []
    pg.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:")) else None,
    )
    pg.goto((tmp_path / "index.html").as_uri())
    pg.wait_for_url("**/be/index.html")
    assert "Фальсіфікацыя даказаная" in pg.content()
    pg.goto((tmp_path / "en" / "map.html").as_uri() + f"?station={PROVEN}")
    popup = pg.locator(".leaflet-popup-content")
    sync_api.expect(popup).to_contain_text(PROVEN, timeout=20_000)
    pg.wait_for_timeout(1200)
    shot(pg, "static-map", full=False)
    popup.get_by_role("link").click()
    pg.wait_for_url(f"**/en/station.html?id={PROVEN}")
    sync_api.expect(pg.locator(".badge")).to_have_text("Falsification proven")
    row = pg.locator("tr.hl").first.inner_text()
    assert "127" in row and "194" in row and "+67" in row  # as on the live site
    pg.get_by_role("link", name="Беларуская").click()
    pg.wait_for_url(f"**/be/station.html?id={PROVEN}")
    sync_api.expect(pg.locator(".badge")).to_have_text("Фальсіфікацыя даказаная")
    pg.goto((tmp_path / "be" / "station.html").as_uri() + "?id=07-006-0042")
    sync_api.expect(pg.locator("#station")).to_contain_text("Першамайскі раён (Мінск) (07-006)")
    assert "не могуць" in pg.locator("#photos-over-list").inner_text()
    for q in ("Фрунзенский", "Frunzienski"):  # district names, in any script
        pg.goto((tmp_path / "en" / "search.html").as_uri() + f"?q={quote(q)}")
        sync_api.expect(pg.locator("#search-status")).to_contain_text("Stations found: 122")
    for q in ("minsk", "Мінск", "Минск"):  # scripts folded, as on the live site
        pg.goto(
            (tmp_path / "en" / "search.html").as_uri()
            + f"?q={quote(q)}&verdict=falsification_proven"
        )
        sync_api.expect(pg.locator("#search-status")).to_contain_text("Stations found: 278")
    pg.goto((tmp_path / "en" / "search.html").as_uri() + "?region=Minsk+city")
    sync_api.expect(pg.locator("#search-status")).to_contain_text("Stations found: 687")
    assert pg.locator("#search-results tbody tr").count() == 687  # a region's whole list
    shot(pg, "static-search", full=False)
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    for f in manifest["files"]:
        data = (tmp_path / "data" / f["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
    assert not outside, outside
    context.close()


# phones: 390 x 844, three languages ------------------------------------------------------
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PHONE = {"width": 390, "height": 844}
HEADLINE = {"en": "Officially", "be": "Афіцыйна", "ru": "Официально"}


def phone_page(browser, lang: str):
    context = browser.new_context(
        viewport=PHONE, locale={"en": "en-US", "be": "be-BY", "ru": "ru-RU"}[lang],
        is_mobile=True, has_touch=True, device_scale_factor=2,
    )  # fmt: skip
    return context, context.new_page()


def no_sideways_scroll(pg) -> None:
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{pg.url} scrolls sideways on a phone ({width}px)"


@pytest.mark.parametrize("lang", ["en", "be", "ru"])
def test_phone_headline_in_the_first_screen(server, browser, lang):
    context, pg = phone_page(browser, lang)
    pg.goto(server + BY + f"?lang={lang}")
    headline = pg.locator("p.headline")
    assert headline.inner_text().startswith(HEADLINE[lang])
    assert "445" in headline.inner_text() and "%" in headline.inner_text()
    box = headline.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the headline is below the first screen"
    chart = pg.locator("table.result span.chart-sm svg.range").first
    assert chart.is_visible()  # the chart is kept, not only its legend
    no_sideways_scroll(pg)
    if lang == "en":
        DOCS_IMG.mkdir(exist_ok=True)
        pg.screenshot(path=str(DOCS_IMG / "phone-overview.png"))
    context.close()


@pytest.mark.parametrize("lang", ["en", "be", "ru"])
def test_phone_pages_do_not_scroll_sideways(server, browser, lang):
    context, pg = phone_page(browser, lang)
    for path in ("", "/stations", "/stations?verdict=falsification_proven",
                 f"/stations/{PROVEN}", "/forensics", "/data", "/map"):  # fmt: skip
        pg.goto(server + BY + path + ("&" if "?" in path else "?") + f"lang={lang}")
        no_sideways_scroll(pg)
    context.close()


def test_phone_station_tables_are_cards(server, browser):
    context, pg = phone_page(browser, "en")
    pg.goto(server + BY + f"/stations/{PROVEN}")
    row = pg.locator("table.cards-sm tr.hl").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    text = row.inner_text()
    assert "+67" in text and "Falsification proven" in text  # key columns on screen
    box = pg.locator("table.cards-sm tr.hl td").last.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    pg.screenshot(path=str(DOCS_IMG / "phone-station.png"))
    pg.goto(server + BY + "/stations?q=Мінск&verdict=falsification_proven")
    assert "278" in pg.locator('p[role="status"]').inner_text()  # Мінск finds Minsk
    pg.screenshot(path=str(DOCS_IMG / "phone-search.png"))
    context.close()


# district names, outlines, photos over the list: 1400 px and a phone, three languages ------
OVER_LIST = "07-006-0042"  # 1,884 photos, 1,732 voters on the protocol's list
DISTRICT = {
    "en": "Pieršamajski district (Minsk) (07-006)",
    "be": "Першамайскі раён (Мінск) (07-006)",
    "ru": "Первомайский район (Минск) (07-006)",
}
OVER_WORDS = {"en": "cannot both be right", "be": "не могуць", "ru": "не могут"}
VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": PHONE}


def sized_page(browser, size: str, lang: str):
    context = browser.new_context(
        viewport=VIEWPORTS[size], locale={"en": "en-US", "be": "be-BY", "ru": "ru-RU"}[lang],
        is_mobile=size == "phone", has_touch=size == "phone",
    )  # fmt: skip
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, pg, errors


def fits(pg, size: str) -> None:
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[size]["width"], f"{pg.url} scrolls sideways ({width}px)"


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "be", "ru"])
def test_station_names_its_district_and_explains_photos_over_the_list(server, browser, lang, size):
    context, pg, errors = sized_page(browser, size, lang)
    pg.goto(server + BY + f"/stations/{OVER_LIST}?lang={lang}")
    assert DISTRICT[lang] in pg.locator("#h-place + dl.facts").inner_text()
    note = pg.locator("#photos-over-list")
    assert note.is_visible() and OVER_WORDS[lang] in note.inner_text()
    assert "1" in note.inner_text() and ("884" in note.inner_text())
    fits(pg, size)
    shot(pg, f"station-over-list-{lang}-{size}")
    context.close()
    assert not errors, errors


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "be", "ru"])
def test_map_draws_outlines_and_names_the_district(server, browser, lang, size):
    context, pg, errors = sized_page(browser, size, lang)
    pg.goto(server + BY + f"/map?lang={lang}&station={OVER_LIST}")
    popup = pg.locator(".leaflet-popup-content")
    sync_api.expect(popup).to_contain_text(OVER_LIST, timeout=20_000)
    sync_api.expect(popup).to_contain_text(DISTRICT[lang].rsplit(" (", 1)[0])
    outlines = pg.locator(".leaflet-hc-outlines-pane path")
    assert outlines.count() > 7  # zoomed in: the regions' and the districts' extents
    assert pg.locator(".hc-district-label").count() > 0
    assert pg.locator("#map-background").is_visible()
    fits(pg, size)
    pg.wait_for_timeout(800)
    shot(pg, f"map-outlines-{lang}-{size}", full=False)
    pg.goto(server + BY + f"/map?lang={lang}")  # the whole country: regions only
    sync_api.expect(pg.locator("#map-status")).to_contain_text("5", timeout=20_000)
    assert pg.locator(".leaflet-hc-outlines-pane path").count() == 7
    context.close()
    assert not errors, errors


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_search_finds_a_district_by_name_in_each_script(server, browser, size):
    context, pg, errors = sized_page(browser, size, "en")
    for q in ("Фрунзенский", "Фрунзенскі", "Frunzienski"):
        pg.goto(server + BY + f"/stations?q={quote(q)}")
        assert "Stations found: 122" in pg.locator('p[role="status"]').inner_text()
        fits(pg, size)
    if size == "desktop":
        assert "Frunzienski district (Minsk) (07-008)" in pg.locator("table").last.inner_text()
    context.close()
    assert not errors, errors
