"""Draw the README's pictures of the Telegram bot from a real, recorded conversation.

The real bot (aiogram, ``honestcount.frontdoor``) talks, through the fake Bot API server the
tests use, to a real intake (uvicorn on 127.0.0.1) holding the bundled Belarus 2020
election, in Belarusian. The fake server records every message both ways; that record is
drawn as a phone chat (``honestcount.frontdoor.chat_picture``) and photographed at 390×844
by headless Chromium (Playwright). Nothing here is the Telegram app.

    .venv/bin/python docs/img/bot-conversation.py [--out docs/img] [--chromium /usr/bin/chromium]

Writes ``bot-conversation.png`` (start to the stations offered) and ``bot-receipt.png``
(the station chosen to the receipt), and the transcript as ``bot-conversation.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import uvicorn
from fastapi import FastAPI
from PIL import Image, ImageDraw

from honestcount.frontdoor.chat_picture import chat_html
from honestcount.frontdoor.engine import Conversation
from honestcount.frontdoor.fake_telegram import FakeTelegram
from honestcount.frontdoor.gateway import HttpIntake
from honestcount.frontdoor.messages import LANGUAGE_NAMES
from honestcount.frontdoor.stations import StationDirectory
from honestcount.frontdoor.telegram import make_bot, polling
from honestcount.intake.api import router
from honestcount.intake.organiser import issue_account
from honestcount.settings import IntakeSettings
from honestcount.sources.golos import load_belarus_2020
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election

ELECTION = "belarus-2020"
LANG = "be"
USER = 5150
PHONE = "+375 29 555 01 23"  # a made-up number
TITLE = "honestcount · бот"
NOTE = "Намалявана з размовы, запісанай падробленым Bot API у тэстах; не праграма Telegram"


def serve(app: FastAPI) -> tuple[uvicorn.Server, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"


def ballot_picture() -> bytes:
    """A drawn ballot (a white sheet with a ticked box), so the photo step has a picture."""
    image = Image.new("RGB", (640, 900), "white")
    draw = ImageDraw.Draw(image)
    for row in range(5):
        y = 150 + row * 140
        draw.rectangle((80, y, 560, y + 90), outline="black", width=3)
        draw.rectangle((470, y + 20, 520, y + 70), outline="black", width=3)
    draw.line((475, 320, 495, 350, 520, 300), fill="navy", width=6)
    noise = np.random.default_rng(7).integers(0, 12, (900, 640, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(np.asarray(image) - noise).save(out, "JPEG", quality=85)
    return out.getvalue()


async def converse(intake_url: str, directory: StationDirectory, gateway: str) -> FakeTelegram:
    telegram = FakeTelegram()
    api = await telegram.start()
    intake = HttpIntake(intake_url, channel="telegram", gateway_token=gateway)
    conversation = Conversation(intake, directory, ELECTION, b"screenshot-key")
    bot = make_bot(telegram.token, api)
    try:
        async with polling(conversation, bot, polling_timeout=1):
            await talk(telegram)
    except Exception:
        print(telegram.transcript(USER))
        raise
    finally:
        await intake.aclose()
        await telegram.stop()
    return telegram


async def talk(telegram: FakeTelegram) -> None:
    """A voter in Minsk, in Belarusian, from /start to the receipt."""
    voter = telegram.user(USER, language_code=LANG, name="Алеся")
    await voter.say("/start")
    await voter.say(LANGUAGE_NAMES[LANG])
    await voter.share_contact(PHONE)
    # "Мінск" finds hundreds of stations: the bot offers eight and says how many more.
    found = await voter.say("Мінск", expect=2)
    offered = [b["text"] for s in found for b in s.buttons() if "·" in b["text"]]
    offered.sort(key=lambda label: not label.startswith("07-"))  # Minsk city's own
    chosen = await voter.say(offered[0], expect=2)
    choice = next(b["text"] for b in chosen[1].buttons())
    await voter.say(choice, expect=2)
    await voter.send_photo(ballot_picture())
    await voter.say("/skip")


def photograph(pages: dict[str, str], out: Path, chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        for name, doc in pages.items():
            page.set_content(doc)
            if name != "bot-conversation.png":
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.screenshot(path=str(out / name))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/screenshot.db")
        save_election(engine, load_belarus_2020())
        settings = IntakeSettings(secret="screenshot-secret-" + "z" * 40, photo_dir=Path(tmp))
        api = router(engine, settings)
        app = FastAPI()
        app.include_router(api, prefix="/api/v1")
        _, gateway = issue_account(engine, "gateway", "the bot", settings=settings)
        server, url = serve(app)
        try:
            directory = StationDirectory.from_store(engine, ELECTION)
            telegram = asyncio.run(converse(url, directory, gateway))
        finally:
            server.should_exit = True
            api.intake.close()  # type: ignore[attr-defined]
    messages = [(who, text) for chat, who, text in telegram.log if chat == USER]
    (args.out / "bot-conversation.txt").write_text(telegram.transcript(USER) + "\n")
    # The first picture: from /start to the stations offered (seen from the top); the second:
    # from the station chosen to the receipt (seen from the bottom, as a phone shows a chat).
    split = next(i for i, (who, text) in enumerate(messages) if who == "user" and "·" in text)
    photo = "data:image/jpeg;base64," + base64.b64encode(ballot_picture()).decode()
    pages = {
        "bot-conversation.png": chat_html(messages[:split], title=TITLE, note=NOTE, lang=LANG),
        "bot-receipt.png": chat_html(
            messages[split:], title=TITLE, note=NOTE, lang=LANG, photo=photo
        ),
    }
    photograph(pages, args.out, args.chromium)


if __name__ == "__main__":
    main()
