"""The ledger's pages in headless Chromium: figures and claims, the language switch, and a
relatives' search for a person known to be on record. Screenshots go to ``test-artifacts/``.

Needs Debian's ``chromium`` (/usr/bin/chromium) and Playwright for Python; Playwright's own
browser download is never used.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from fastapi import FastAPI

from .test_web import build, leaked

CHROMIUM = Path(os.environ.get("HONESTCOUNT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python not installed")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ledger-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory, vault):
    return build(tmp_path_factory.mktemp("ledger-browser"), vault)


@pytest.fixture(scope="module")
def server(site, vault, tmp_path_factory):
    import uvicorn

    from honestcount.ledger.web import router
    from honestcount.web.routes import router as site_router

    app = FastAPI()
    app.include_router(router(site.engine, vault=vault))
    app.include_router(site_router(site.engine, cache_dir=tmp_path_factory.mktemp("c")))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
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
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert not errors, errors  # a CSP refusal or a missing asset shows here


def test_figures_claims_and_language_switch(server, page, site):
    page.goto(server + "/aftermath")
    assert page.locator("h1").inner_text().startswith("After the vote")
    assert page.locator(".ledger-totals .card").count() == 5
    assert page.locator("svg.timeline rect").count() > 5
    claims = page.locator("table.claims tbody tr")
    assert claims.count() == 8
    first = claims.first.inner_text()
    assert (
        "Associated Press" in first and "nearly 7,000" in first and "more than the cases" in first
    )
    assert not leaked(page.content(), site.names)
    shot(page, "aftermath-en")

    page.get_by_role("link", name="Беларуская").click()
    sync_api.expect(page.locator("html")).to_have_attribute("lang", "be")
    assert "Што казалі" in page.locator("#h-claims").inner_text()
    shot(page, "aftermath-be")
    page.goto(server + "/aftermath")  # the choice is kept (cookie)
    assert page.locator("html").get_attribute("lang") == "be"
    page.get_by_role("link", name="Русский").click()
    sync_api.expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_relatives_search_in_the_browser(server, page, site):
    page.goto(server + "/aftermath?lang=en")
    page.get_by_role("link", name="Open the search").click()
    page.fill("#ls-surname", site.known["surname"])
    page.fill("#ls-given", site.known["given_name"])
    page.fill("#ls-year", site.known["birth_year"])
    page.get_by_role("button", name="Search").click()
    answer = page.locator("#search-answer")
    sync_api.expect(answer).to_contain_text("This person is on record.")
    assert "Last recorded:" in answer.inner_text() and "2020" in answer.inner_text()
    assert site.known["surname"] not in page.url and site.known["surname"] not in page.content()
    shot(page, "search-found")

    page.fill("#ls-surname", site.known["surname"])
    page.fill("#ls-given", "Zzyzx")
    page.fill("#ls-year", site.known["birth_year"])
    page.get_by_role("button", name="Search").click()
    sync_api.expect(page.locator("#search-answer")).to_contain_text("No one with this name")
    shot(page, "search-not-found")


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)])
@pytest.mark.parametrize("lang", ["en", "be", "ru"])
def test_official_and_rights_group_figures_side_by_side(server, browser, lang, size):
    from honestcount.web.i18n import translator

    t = translator(lang)
    width, height = size
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 500
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server + f"/aftermath?lang={lang}")
    table = pg.locator("table.sides")
    assert t("ledger.sides.title") in pg.locator("#h-sides").inner_text()
    released = table.locator("tbody tr").filter(has_text=t("ledger.kind.released")).first
    text = released.inner_text()
    assert "Interior Ministry" in text and "Viasna" in text and "Kochanova" in text
    assert text.count(t("ledger.sides.no_link")) == 3  # no URL was recorded, none is invented
    scroll = pg.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the aftermath page scrolls sideways ({scroll}px)"
    released.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"ledger-sides-{lang}-{width}.png"), full_page=False)
    context.close()
    assert not errors, errors
