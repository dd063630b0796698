"""The staff consoles: an observer, a digitiser, a moderator and an admin each do their work in
headless Chromium on a 390×844 phone, against a real intake on 127.0.0.1."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from frontdoor.helpers import ELECTION, IntakeServer, assert_no_axe_violation, ballot, intake_env
from honestcount.frontdoor.console_messages import CONSOLE_MESSAGES
from honestcount.frontdoor.consoles import console_page, consoles_router, rules_doc
from honestcount.intake import create_account
from honestcount.model import BallotOption, Election, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.store import tables as t
from honestcount.store.repository import save_election

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = Path(os.environ.get("HONESTCOUNT_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PROTOCOLS = "golos-2025"  # an election whose protocols follow the golos schema (checked live)
EN = CONSOLE_MESSAGES["en"]


def golos_election():
    from frontdoor.helpers import STATIONS

    options = [
        BallotOption("a", "Candidate A", OptionKind.CANDIDATE, 1),
        BallotOption("b", "Candidate B", OptionKind.CANDIDATE, 2),
        BallotOption("against", "Against all", OptionKind.AGAINST, 3),
        BallotOption("invalid", "Spoiled ballots", OptionKind.INVALID, 4),
    ]
    election = Election(PROTOCOLS, "Protocol test election", "BY", protocol_schema="golos")
    return assemble(election, options, STATIONS)


@pytest.fixture
def server(tmp_path, monkeypatch):
    for name, value in intake_env(str(tmp_path / "photos")).items():
        monkeypatch.setenv(name, value)
    running = IntakeServer(f"sqlite:///{tmp_path / 'consoles.db'}")
    save_election(running.engine, golos_election())
    # as app.py mounts it: app.include_router(consoles_router(engine))
    running.app.router.routes[:0] = consoles_router(running.engine).routes
    yield running
    running.close()


def staff(server, role: str, election: str | None = ELECTION, station: str | None = None) -> str:
    return create_account(
        server.engine,
        role,
        f"{role} {uuid.uuid4().hex[:6]}",
        election_id=election,
        station_id=station,
    )[1]


def call(server, method: str, path: str, token: str | None = None, **kw) -> httpx.Response:
    headers = {"Idempotency-Key": uuid.uuid4().hex, **kw.pop("headers", {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kw)


def voter_photo(server, phone: str, image: bytes) -> int:
    r = call(
        server,
        "POST",
        f"/elections/{ELECTION}/voters",
        json={"phone": phone, "station_id": "07-001-0001"},
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    r = call(server, "POST", f"/elections/{ELECTION}/declarations", token, json={"option_id": "a"})
    assert r.status_code == 200, r.text
    r = call(
        server,
        "POST",
        f"/elections/{ELECTION}/ballot-photos",
        token,
        content=image,
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["photo_id"])


def protocol_photo(server, seed: int) -> int:
    """An observer at 07-001-0001 sends a protocol photo; its id."""
    observer = staff(server, "observer", PROTOCOLS, "07-001-0001")
    r = call(
        server,
        "POST",
        f"/elections/{PROTOCOLS}/protocol-photos",
        observer,
        content=ballot(seed, (800, 600)),
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["photo_id"])


# ---------------------------------------------------------------------- without a browser


def test_every_message_exists_in_every_language():
    keys = set(EN)
    for lang, catalog in CONSOLE_MESSAGES.items():
        assert set(catalog) == keys, lang
        assert all(v.strip() for v in catalog.values()), lang


@pytest.mark.parametrize("console", ["observe", "digitise", "moderate", "admin"])
def test_pages_are_self_contained_in_three_languages(console):
    for lang in ("be", "ru", "en"):
        page = console_page(console, lang)
        assert f'<html lang="{lang}">' in page
        assert CONSOLE_MESSAGES[lang][console] in page
        assert "http://" not in page and "https://" not in page


def test_rules_follow_the_schema_files():
    rules = {r["id"]: r for r in rules_doc("golos")}
    assert rules["options_sum_to_total"]["left"] == [[1, "sum(ballot_options)"]]
    assert rules["options_sum_to_total"]["right"] == [[1, "votes_counted"]]
    assert rules["turnout_within_registered"]["operator"] == "<="
    assert rules["no_negative_line"]["kind"] == "non_negative"
    assert rules_doc("no-such-schema") == []


def test_helpers_and_headers(server):
    page = httpx.get(server.base + "/moderate", params={"lang": "ru"})
    assert page.status_code == 200 and CONSOLE_MESSAGES["ru"]["moderate"] in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    hits = httpx.get(f"{server.base}/consoles/{ELECTION}/stations", params={"q": "Мінск"}).json()
    assert {h["id"] for h in hits} == {"07-001-0001", "07-001-0002", "07-002-0042"}
    assert httpx.get(f"{server.base}/consoles/nope/stations", params={"q": "1"}).status_code == 404
    assert httpx.get(server.base + "/consoles/rules/golos").json() == rules_doc("golos")
    assert httpx.get(server.base + "/consoles/common.js").status_code == 200
    assert httpx.get(server.base + "/consoles/secret.py").status_code == 404


# ---------------------------------------------------------------------- in the browser


@pytest.fixture
def phone():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield context, page
        browser.close()
    assert not errors, errors


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation, and nothing scrolls sideways."""
    assert_no_axe_violation(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def sign_in(page, base: str, console: str, token: str) -> None:
    page.goto(f"{base}/{console}")
    page.fill("#token", token)
    page.press("#token", "Enter")
    page.wait_for_selector("#work:not([hidden])")


def until_text(page, selector: str, wanted: str, timeout: int = 15_000) -> None:
    page.wait_for_function(
        "([s, w]) => document.querySelector(s).textContent.includes(w)",
        arg=[selector, wanted],
        timeout=timeout,
    )


@pytest.mark.browser
def test_a_moderator_decides_by_keyboard(server, phone):
    context, page = phone
    first = voter_photo(server, "+375291110001", ballot(1))
    copy = voter_photo(server, "+375291110002", ballot(1))  # the same picture: a duplicate
    third = voter_photo(server, "+375291110003", ballot(2))
    sign_in(page, server.base, "moderate", staff(server, "moderator"))
    until_text(page, "#item-title", f"Photo {first}:")
    page.wait_for_function("() => document.getElementById('photo').naturalWidth > 0")
    assert_accessible(page)
    page.keyboard.press("a")
    until_text(page, "#status", EN["accepted"].format(id=first))
    until_text(page, "#item-title", f"Photo {copy}:")
    page.wait_for_selector("#dup-fig:not([hidden])")
    page.wait_for_function("() => document.getElementById('dup-photo').naturalWidth > 0")
    assert_accessible(page)
    shoot(page, "moderate")
    page.keyboard.press("r")  # no reason yet: asked for one
    until_text(page, "#status", EN["need_reason"])
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("the same photo as an earlier one")
    page.keyboard.press("Enter")
    until_text(page, "#item-title", f"Photo {third}:")
    # meanwhile another moderator decides the third: the service's refusal is shown as it is
    other = staff(server, "moderator")
    r = call(server, "POST", f"/moderation/photos/{third}", other, json={"decision": "accept"})
    assert r.status_code == 200, r.text
    page.keyboard.press("a")
    until_text(page, "#alert", "409")
    until_text(page, "#alert", "already moderated")
    with server.engine.connect() as conn:
        rows = conn.execute(
            select(t.intake_photos.c.id, t.intake_photos.c.status, t.intake_photos.c.reason)
        ).all()
    decided = {r.id: (r.status, r.reason) for r in rows}
    assert decided[first] == ("accepted", None)
    assert decided[copy] == ("rejected", "the same photo as an earlier one")


@pytest.mark.browser
def test_an_observer_reports_and_loses_nothing_offline(server, phone):
    context, page = phone
    sign_in(page, server.base, "observe", staff(server, "observer"))
    page.fill("#station-q", "Minsk")
    page.locator("#station-hits button", has_text="07-001-0002").click()
    until_text(page, "#station-chosen", "07-001-0002")
    page.fill("#count", "120")
    page.click("#do-turnout")
    page.wait_for_function("() => document.getElementById('code').options.length > 0")
    code = page.eval_on_selector("#code", "s => s.options[1 % s.options.length].value")
    page.select_option("#code", code)
    page.fill("#note", "observer not let in")
    page.click("#do-violation")
    page.set_input_files(
        "#protocol-file",
        files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": ballot(7, (1600, 1200))}],
    )
    page.wait_for_function("() => document.querySelectorAll('#sent-list li').length === 3")
    until_text(page, "#status", EN["all_sent"])
    assert_accessible(page)
    shoot(page, "observe")
    page.wait_for_function(
        "async () => !!(await navigator.serviceWorker.ready).active"
        " && !!navigator.serviceWorker.controller"
    )
    context.set_offline(True)
    page.fill("#count", "300")
    page.click("#do-turnout")
    until_text(page, "#status", EN["queued"].format(n=1))
    page.reload()  # offline: the service worker keeps the page, IndexedDB the queue
    until_text(page, "#status", EN["queued"].format(n=1))
    page.wait_for_function("() => document.getElementById('code').options.length > 0")
    assert_accessible(page)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    until_text(page, "#status", EN["all_sent"], timeout=30_000)
    with server.engine.connect() as conn:
        counts = conn.execute(select(t.intake_turnout.c.count, t.intake_turnout.c.station_id))
        turnout = sorted(counts.all())
        codes = conn.execute(select(t.intake_violations.c.code)).scalars().all()
        kinds = conn.execute(select(t.intake_photos.c.kind)).scalars().all()
    assert turnout == [(120, "07-001-0002"), (300, "07-001-0002")]
    assert codes == [code]
    assert kinds == ["protocol"]


@pytest.mark.browser
def test_a_digitiser_types_a_protocol_checked_live(server, phone):
    context, page = phone
    photo = protocol_photo(server, 9)
    sign_in(page, server.base, "digitise", staff(server, "digitiser", PROTOCOLS))
    until_text(page, "#task-title", f"Protocol photo {photo}")
    page.wait_for_selector("#checks li")
    page.wait_for_function("() => document.getElementById('protocol-img').naturalWidth > 0")
    entry = {
        "line-registered": "1000",
        "line-votes_counted": "900",
        "vote-a": "500",
        "vote-b": "300",
        "vote-against": "50",
        "vote-invalid": "40",
    }
    for ident, value in entry.items():
        page.fill(f"#{ident}", value)
    total = page.locator("#checks li[data-rule=options_sum_to_total]")
    assert total.get_attribute("class") == "fail"
    assert EN["check_fail"].format(diff="-10") in total.inner_text()
    assert_accessible(page)
    shoot(page, "digitise")
    page.fill("#vote-invalid", "50")
    assert total.get_attribute("class") == "pass"
    page.focus("#vote-invalid")
    page.keyboard.press("Control+Enter")
    until_text(page, "#status", EN["entry_result"].format(status="pending", n=1))
    until_text(page, "#task-title", EN["nothing_to_type"])
    second = staff(server, "digitiser", PROTOCOLS)
    body = {
        "lines": {"registered": 1000, "votes_counted": 900},
        "votes": {"a": 500, "b": 300, "against": 50, "invalid": 50},
    }
    r = call(server, "POST", f"/digitisation/photos/{photo}/entries", second, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "agreed"  # the browser's entry was the same, to the digit

    # two entries that disagree: the photo comes back for a third, said so
    disputed = protocol_photo(server, 10)
    for n, who in enumerate((second, staff(server, "digitiser", PROTOCOLS))):
        body["lines"]["registered"] = 1000 + n
        r = call(server, "POST", f"/digitisation/photos/{disputed}/entries", who, json=body)
        assert r.status_code == 201, r.text
    assert r.json()["status"] == "disputed"
    page.click("#do-next")
    until_text(page, "#task-title", f"Protocol photo {disputed}")
    until_text(page, "#task-title", "entry 3")
    assert page.is_visible("#third")


@pytest.mark.browser
def test_an_admin_lists_accounts_and_needs_a_second_admin(server, phone):
    context, page = phone
    voter = call(
        server,
        "POST",
        f"/elections/{ELECTION}/voters",
        json={"phone": "+375291119999", "station_id": "07-001-0001"},
    ).json()
    sign_in(page, server.base, "admin", staff(server, "admin", None))
    # The list comes from GET /admin/accounts: the voter is there, without its number.
    voter_item = page.locator(f"#accounts-list li[data-account='{voter['account_id']}']")
    voter_item.wait_for()
    assert EN["tier_none"] in voter_item.inner_text()
    assert "1119999" not in page.content()
    assert_accessible(page)
    page.select_option("#new-role", "moderator")
    page.fill("#new-election", ELECTION)
    page.click("#do-create")
    until_text(page, "#status", "token")
    page.select_option("#list-status", "pending")
    page.click("#do-list")
    pending = page.locator("#accounts-list li[data-status=pending]")
    pending.first.wait_for()
    assert pending.count() == 1
    account = pending.first.get_attribute("data-account")
    pending.first.locator("button[data-action=approve]").click()  # not by its creator
    until_text(page, "#alert", "403")
    page.click("#signout")
    sign_in(page, server.base, "admin", staff(server, "admin", None))
    page.select_option("#list-role", "moderator")
    page.click("#do-list")
    row = page.locator(f"#accounts-list li[data-account='{account}']")
    row.locator("button[data-action=approve]").click()
    until_text(page, "#status", EN["done"].format(what=EN["approve"] + " #" + account))
    page.wait_for_selector(f"#accounts-list li[data-account='{account}'][data-status=active]")
    page.fill("#set-election", ELECTION)
    page.fill("#set-min-group", "7")
    page.select_option("#set-min-tier", "messenger_contact")
    page.click("#do-settings")
    until_text(page, "#status", EN["settings"])
    page.click("#do-audit")
    page.wait_for_selector("#download:not([hidden])")
    assert call(server, "GET", f"/elections/{ELECTION}/counts").json()["min_group_size"] == 7
    rules = call(server, "GET", f"/elections/{ELECTION}").json()["rules"]
    assert rules["min_verification"] == "messenger_contact"
    shoot(page, "admin")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["be", "ru"])
def test_the_digitiser_form_speaks_the_page_language(server, phone, lang):
    import re

    context, page = phone
    protocol_photo(server, 11)
    page.goto(f"{server.base}/digitise?lang={lang}")
    page.fill("#token", staff(server, "digitiser", PROTOCOLS))
    page.press("#token", "Enter")
    page.wait_for_selector("#work:not([hidden])")
    page.wait_for_selector("#checks li")
    page.fill("#line-registered", "1000")
    page.fill("#line-votes_counted", "900")
    # Every label of the form but the options' own names (data), every relation and heading.
    texts = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            '#lines label, #checks li, legend, h1, h2, #task-title, label[for=token]'
        )).map(e => e.textContent)"""
    )
    assert len(texts) >= 8
    english = [t for t in texts if re.search(r"[A-Za-z]{3,}", t)]
    assert not english, english
    labels = page.evaluate(
        "() => Array.from(document.querySelectorAll('#lines label')).map(e => e.textContent)"
    )
    from honestcount.frontdoor.protocol_labels import labels as localised

    assert localised(lang)["lines"]["registered"] in labels
