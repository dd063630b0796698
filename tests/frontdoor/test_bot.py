"""The Telegram bot end to end: aiogram over HTTP against the fake Bot API, and a real intake
app on 127.0.0.1, in Belarusian, Russian and English."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from frontdoor.helpers import ELECTION, MINSK, ballot, running_bot
from honestcount.frontdoor.messages import LANGUAGE_NAMES, text
from honestcount.store import tables as t

PHONE = "+375 29 123-45-67"


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def labels(sent) -> list[str]:
    return [b["text"] for s in sent for b in s.buttons()]


async def full_conversation(run, user_id: int, lang: str, *, search: str, seed: int):
    """A voter goes through every step; returns what the bot sent at each."""
    tg = run.telegram
    voter = tg.user(user_id, language_code=lang)
    seen: dict[str, list] = {}
    seen["start"] = await voter.say("/start")
    seen["language"] = await voter.say(LANGUAGE_NAMES[lang])
    seen["contact"] = await voter.share_contact(PHONE[:-2] + f"{user_id % 100:02d}")
    seen["search"] = await voter.say(search)
    station = next(label for label in labels(seen["search"]) if label.startswith("07-001-0002"))
    seen["station"] = await voter.say(station, expect=2)
    seen["choice"] = await voter.say("Candidate B", expect=2)
    seen["front"] = await voter.send_photo(ballot(seed))
    seen["back"] = await voter.send_photo(ballot(seed + 1))
    seen["status"] = await voter.say("/status", expect=2)
    return voter, seen


@pytest.mark.parametrize(("lang", "search"), [("be", "Мінск"), ("ru", "Минск"), ("en", "Minsk")])
def test_a_voter_registers_declares_and_sends_photos(sqlite_intake, tmp_path, lang, search):
    async def scenario():
        async with running_bot(sqlite_intake.url, f"sqlite:///{tmp_path / 'bot.db'}") as run:
            return await full_conversation(run, 1001, lang, search=search, seed=7)

    voter, seen = asyncio.run(scenario())
    # Language is asked in all three languages, and then the bot speaks the chosen one.
    assert set(labels(seen["start"])) == set(LANGUAGE_NAMES.values())
    contact_button = text(lang, "button_contact")
    assert [b for b in seen["language"][0].buttons() if b.get("request_contact")] == [
        {"text": contact_button, "request_contact": True}
    ]
    # The town in any script finds the three Minsk stations, and only them.
    offered = {label.split(" · ")[0] for label in labels(seen["search"]) if "·" in label}
    assert offered == MINSK
    assert seen["station"][0].text == text(
        lang, "registered", station="07-001-0002 · Minsk, Gymnasium 3, Surhanava 20"
    )
    assert seen["choice"][0].text == text(lang, "declared", option="Candidate B")
    assert text(lang, "pending") in seen["front"][0].text
    receipt = seen["back"][1].text
    assert "07-001-0002" in receipt and "Candidate B" in receipt
    assert seen["status"][1].text == text(lang, "status_embargo")
    # What the intake holds: one voter, one declaration for B, two photos (front, back).
    engine = sqlite_intake.engine
    with engine.connect() as conn:
        decl = conn.execute(select(t.intake_declarations.c.option_id)).scalars().all()
        kinds = conn.execute(select(t.intake_photos.c.kind)).scalars().all()
    assert decl == ["b"]
    assert sorted(kinds) == ["ballot_back", "ballot_front"]


def test_the_conversation_on_both_backends(intake_server):
    async def scenario():
        async with running_bot(intake_server.url, intake_server.db_url) as run:
            return await full_conversation(run, 1002, "en", search="Minsk", seed=9)

    _, seen = asyncio.run(scenario())
    assert "Candidate B" in seen["back"][1].text
    with intake_server.engine.connect() as conn:
        photos = conn.execute(select(func.count()).select_from(t.intake_photos)).scalar_one()
        decl = conn.execute(select(t.intake_declarations.c.option_id)).scalars().all()
    assert (photos, decl) == (2, ["b"])


def test_a_contact_card_of_someone_else_is_refused(sqlite_intake, tmp_path):
    async def scenario():
        async with running_bot(sqlite_intake.url, f"sqlite:///{tmp_path / 'bot.db'}") as run:
            voter = run.telegram.user(2002, "ru")
            await voter.say("/start")
            await voter.say("Русский")
            typed = await voter.say("+375291112233")
            forwarded = await voter.share_contact("+375291112233", owner=999)
            no_owner = await voter.share_contact("+375291112233", owner=None)
            own = await voter.share_contact("+375291112233")
            await voter.say("07-001-0001", expect=2)
            return typed, forwarded, no_owner, own

    typed, forwarded, no_owner, own = asyncio.run(scenario())
    button = text("ru", "button_contact")
    assert typed[0].text == text("ru", "press_contact_button", button=button)
    assert forwarded[0].text == text("ru", "not_own_contact", button=button)
    assert no_owner[0].text == text("ru", "not_own_contact", button=button)
    assert own[0].text.startswith(text("ru", "ask_station", example="X", button="Y")[:20])
    with sqlite_intake.engine.connect() as conn:
        voters = conn.execute(
            select(func.count()).where(t.intake_accounts.c.role == "voter")
        ).scalar_one()
    assert voters == 1  # registered once, with the own card


def test_stations_by_number_and_by_location(sqlite_intake, tmp_path):
    async def scenario():
        async with running_bot(sqlite_intake.url, f"sqlite:///{tmp_path / 'bot.db'}") as run:
            voter = run.telegram.user(3003, "en")
            await voter.say("/start")
            await voter.say("English")
            await voter.share_contact("+375297654321")
            by_number = await voter.say("42")
            nowhere = await voter.say("Atlantis")
            nearby = await voter.send_location(53.901, 27.561)
            exact = await voter.say("01-010-0042", expect=2)
            return by_number, nowhere, nearby, exact

    by_number, nowhere, nearby, exact = asyncio.run(scenario())
    assert {x.split(" · ")[0] for x in labels(by_number) if "·" in x} == {
        "07-002-0042",
        "01-010-0042",
    }
    assert nowhere[0].text == text("en", "stations_none", query="Atlantis")
    near = [x.split(" · ")[0] for x in labels(nearby) if "·" in x]
    # the five stations with coordinates, nearest first (the one without is never offered)
    assert near[:2] == ["07-001-0001", "07-001-0002"]
    assert len(near) == 5 and "05-001-0007" not in near
    assert exact[0].text.startswith(text("en", "registered", station="01-010-0042")[:30])


def test_redelivered_updates_and_retries_count_once(sqlite_intake, tmp_path):
    """Telegram redelivers an update the bot did not confirm; a picture is sent twice: each
    is one record at the intake."""

    async def scenario():
        async with running_bot(sqlite_intake.url, f"sqlite:///{tmp_path / 'bot.db'}") as run:
            voter = run.telegram.user(4004, "en")
            for line in ("/start", "English"):
                await voter.say(line)
            await voter.share_contact("+375290004004")
            await voter.say("07-001-0001", expect=2)
            await voter.redeliver(expect=2)  # the station message again: no second account
            await voter.say("Candidate A", expect=2)
            front = await voter.send_photo(ballot(11))
            again = await voter.redeliver(expect=2)  # the photo message again
            same = await voter.send_photo(ballot(12), file_unique_id="Usame")
            same_again = await voter.send_photo(ballot(12), file_unique_id="Usame")
            return front, again, same, same_again

    front, again, same, same_again = asyncio.run(scenario())
    engine = sqlite_intake.engine
    with engine.connect() as conn:
        voters = conn.execute(
            select(func.count()).where(t.intake_accounts.c.role == "voter")
        ).scalar_one()
        photos = conn.execute(select(t.intake_photos.c.id, t.intake_photos.c.kind)).all()
    assert voters == 1
    assert count(engine, t.intake_declarations) == 1
    # the redelivered photo is the same record; the picture sent twice under one id is one
    assert sorted(kind for _, kind in photos) == ["ballot_back", "ballot_front"]
    assert front[0].text == again[0].text
    assert same[0].text == same_again[0].text


def test_status_shows_counts_once_published(sqlite_intake, tmp_path):
    from honestcount.intake import create_account

    async def scenario(admin: str):
        import httpx

        async with running_bot(sqlite_intake.url, f"sqlite:///{tmp_path / 'bot.db'}") as run:
            _, seen = await full_conversation(run, 5005, "be", search="minsk", seed=21)
            async with httpx.AsyncClient(base_url=sqlite_intake.url) as client:
                r = await client.put(
                    f"/admin/elections/{ELECTION}/settings",
                    json={"embargo": False, "min_group_size": 1},
                    headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "k" * 32},
                )
            voter = run.telegram.user(5005, "be")
            return r, await voter.say("/status", expect=2)

    _, admin = create_account(sqlite_intake.engine, "admin", "test admin")
    response, status = asyncio.run(scenario(admin))
    assert response.status_code == 200, response.text
    assert status[1].text == text(
        "be", "status_counts", counts="Candidate A: 0, Candidate B: 1, Against all: 0"
    )


def test_the_webhook_mode(sqlite_intake, tmp_path):
    """With --webhook the bot registers its URL and secret with Telegram and answers the
    updates Telegram posts to it; a post without the secret is refused."""
    import socket

    import httpx

    from honestcount.frontdoor.engine import Conversation
    from honestcount.frontdoor.fake_telegram import FakeTelegram
    from honestcount.frontdoor.gateway import HttpIntake
    from honestcount.frontdoor.stations import StationDirectory
    from honestcount.frontdoor.telegram import make_bot, run_webhook

    async def scenario():
        telegram = FakeTelegram()
        api = await telegram.start()
        directory = StationDirectory.from_store(sqlite_intake.engine, ELECTION)
        intake = HttpIntake(sqlite_intake.url)
        bot = make_bot(telegram.token, api)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        url = f"http://127.0.0.1:{port}/tg"
        serving = asyncio.create_task(
            run_webhook(
                Conversation(intake, directory, ELECTION, b"k"),
                bot,
                url,
                port=port,
                secret="s3cret",
            )
        )
        try:
            while telegram.webhook.get("url") != url:
                await asyncio.sleep(0.05)
            voter = telegram.user(7007, "en")
            first = await voter.say("/start")
            async with httpx.AsyncClient() as client:
                forged = await client.post(url, json={"update_id": 1})
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            await intake.aclose()
            await bot.session.close()
            await telegram.stop()
        return first, forged

    first, forged = asyncio.run(scenario())
    assert set(labels(first)) == set(LANGUAGE_NAMES.values())
    assert forged.status_code == 401


def test_the_bot_as_gateway_vouches_for_numbers(sqlite_intake, tmp_path):
    """With its gateway account, the bot's registrations say Telegram proved the number, and
    a web registration gets its one-time code through the bot."""
    import httpx

    from honestcount.intake.organiser import issue_account

    engine = sqlite_intake.engine
    _, gateway = issue_account(engine, "gateway", "the Telegram bot")
    web = httpx.Client(base_url=sqlite_intake.url)
    phone = "+375 29 765 43 21"
    registered = web.post(
        f"/elections/{ELECTION}/voters",
        json={"phone": phone, "station_id": "07-001-0001"},
        headers={"Idempotency-Key": "web-registration-1"},
    ).json()
    assert registered["verification"] == "none"
    auth = {"Authorization": f"Bearer {registered['token']}"}
    challenge = web.post("/me/verification", headers=auth).json()["challenge"]

    async def scenario():
        db = f"sqlite:///{tmp_path / 'bot.db'}"
        async with running_bot(sqlite_intake.url, db, gateway_token=gateway) as run:
            _, seen = await full_conversation(run, 1003, "en", search="Minsk", seed=31)
            web_user = run.telegram.user(1004, language_code="en")
            await web_user.say(f"/start {challenge}")
            await web_user.say(LANGUAGE_NAMES["en"])
            return seen, await web_user.share_contact(phone)

    seen, answer = asyncio.run(scenario())
    code = answer[0].text.rsplit(" ", 1)[1].strip(".")
    assert answer[0].text == text("en", "web_code", code=code)
    done = web.post(
        "/me/verification/confirm", json={"challenge": challenge, "code": code}, headers=auth
    )
    assert done.status_code == 200 and done.json()["verification"] == "bot_code"
    with engine.connect() as conn:
        tiers = dict(
            conn.execute(
                select(t.intake_accounts.c.id, t.intake_accounts.c.verification).where(
                    t.intake_accounts.c.role == "voter"
                )
            ).all()
        )
    assert tiers[registered["account_id"]] == "bot_code"
    assert sorted(tiers.values()) == ["bot_code", "messenger_contact"]
    web.close()
