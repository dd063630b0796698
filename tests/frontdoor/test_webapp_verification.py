"""A voter registered on the web app proves the number through the real bot (against the fake
Bot API) and types the bot's code on the page, in headless Chromium on a 390×844 phone."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select

from frontdoor.helpers import ELECTION, IntakeServer, intake_env, running_bot
from frontdoor.test_webapp import ARGS, ARTIFACTS, CHROMIUM, assert_accessible
from honestcount.frontdoor.messages import LANGUAGE_NAMES, text
from honestcount.store import tables as t

BOT = "honestcount_test_bot"
PHONE = "+375 29 555 12 34"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(tmp_path, monkeypatch):
    for name, value in intake_env(str(tmp_path / "photos")).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HONESTCOUNT_FRONTDOOR_BOT_USERNAME", BOT)
    running = IntakeServer(f"sqlite:///{tmp_path / 'vote.db'}", vote=True)
    yield running
    running.close()


def code_from_the_bot(server: IntakeServer, gateway: str, challenge: str) -> str:
    """A Telegram user opens the deep link and shares the contact; the bot's code."""

    async def scenario():
        async with running_bot(server.url, server.db_url, gateway_token=gateway) as run:
            user = run.telegram.user(2001, language_code="be")
            await user.say(f"/start {challenge}")
            await user.say(LANGUAGE_NAMES["be"])
            return await user.share_contact(PHONE)

    answers: list = []
    # the bot's event loop in a thread of its own: Playwright's sync API holds this one
    worker = threading.Thread(target=lambda: answers.append(asyncio.run(scenario())))
    worker.start()
    worker.join(60)
    said = answers[0][0].text
    code = said.rsplit(" ", 1)[1].strip(".")
    assert said == text("be", "web_code", code=code)
    return code


def tier(server: IntakeServer) -> list[str]:
    """The voters' tiers as stored (NULL is an unproved number)."""
    with server.engine.connect() as conn:
        a = t.intake_accounts.c
        rows = conn.execute(select(a.verification).where(a.role == "voter")).scalars().all()
    return [v or "none" for v in rows]


def test_a_web_voter_proves_the_number_through_the_bot(server):
    from honestcount.intake.organiser import issue_account

    _, gateway = issue_account(server.engine, "gateway", "the Telegram bot")
    result = "document.getElementById('verify-result').textContent"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, locale="be-BY", is_mobile=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{server.base}/vote/{ELECTION}", wait_until="networkidle")
        assert page.locator("#verify").is_hidden()  # nothing to prove before registering
        page.fill("#q", "Minsk")
        page.locator("#found button", has_text="07-001-0001").click()
        page.fill("#phone", PHONE)
        page.click("#do-register")
        page.wait_for_selector("#verify:not([hidden])")
        assert page.locator("#verify h2").inner_text() == text("be", "web_verify")
        assert tier(server) == ["none"]

        page.click("#do-verify")
        page.wait_for_selector("#verify-go:not([hidden])")
        command = page.locator("#verify-command").inner_text()
        assert command.startswith("/start ")
        challenge = command.removeprefix("/start ")
        link = page.locator("#verify-link")
        assert link.get_attribute("href") == f"https://t.me/{BOT}?start={challenge}"
        assert_accessible(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vote-verify.png"), full_page=True)

        # a code typed before the bot has seen the contact is refused, and says why
        page.fill("#code", "123456")
        page.click("#do-confirm")
        page.wait_for_function(f"() => {result} === {text('be', 'web_verify_not_yet')!r}")

        code = code_from_the_bot(server, gateway, challenge)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        page.fill("#code", wrong)
        page.click("#do-confirm")
        page.wait_for_function(f"() => {result} === {text('be', 'web_verify_wrong', n=4)!r}")
        assert tier(server) == ["none"]

        page.fill("#code", code)
        page.click("#do-confirm")
        page.wait_for_selector("#verify", state="hidden")
        receipt = page.locator("#receipt-list").inner_text()
        assert f"{text('be', 'web_tier')} {text('be', 'tier_bot_code')}" in receipt
        assert tier(server) == ["bot_code"]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
        page.screenshot(path=str(ARTIFACTS / "vote-verified.png"), full_page=True)
        assert_accessible(page)
        browser.close()
    assert not errors, errors
    assert all(url.startswith(server.base) for url in requested), requested


def test_without_a_bot_username_the_page_shows_the_command(tmp_path, monkeypatch):
    for name, value in intake_env(str(tmp_path / "photos")).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HONESTCOUNT_FRONTDOOR_BOT_USERNAME", raising=False)
    running = IntakeServer(f"sqlite:///{tmp_path / 'vote.db'}", vote=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{running.base}/vote/{ELECTION}?lang=en", wait_until="networkidle")
            page.fill("#q", "Minsk")
            page.locator("#found button", has_text="07-001-0002").click()
            page.fill("#phone", "+375 29 555 98 76")
            page.click("#do-register")
            page.click("#do-verify")
            page.wait_for_selector("#verify-go:not([hidden])")
            assert page.locator("#verify-command").inner_text().startswith("/start ")
            assert page.locator("#verify-link").is_hidden()
            assert page.locator("#verify-say").inner_text() == text("en", "web_verify_send")
            browser.close()
    finally:
        running.close()
