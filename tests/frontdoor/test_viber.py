"""The Viber adapter end to end: signed webhook callbacks in, a fake Viber REST API out, the
same conversation and a real intake app on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import select

from frontdoor.helpers import ELECTION, MINSK, ballot, interrupt
from honestcount.frontdoor.engine import Conversation
from honestcount.frontdoor.gateway import HttpIntake
from honestcount.frontdoor.messages import LANGUAGE_NAMES, text
from honestcount.frontdoor.stations import StationDirectory
from honestcount.frontdoor.verification import Tier
from honestcount.frontdoor.viber import ViberApi, ViberBot, signature
from honestcount.store import tables as t

TOKEN = "viber-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeViber:
    """Viber's REST API as far as the bot uses it: it records what was sent."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    webhooks: list[str] = field(default_factory=list)

    async def send_message(self, request: web.Request) -> web.Response:
        self.tokens.add(request.headers.get("X-Viber-Auth-Token", ""))
        self.sent.append(await request.json())
        return web.json_response({"status": 0, "status_message": "ok", "message_token": 1})

    async def picture(self, request: web.Request) -> web.Response:
        return web.Response(body=self.media[request.match_info["name"]], content_type="image/jpeg")

    async def set_webhook(self, request: web.Request) -> web.Response:
        self.webhooks.append((await request.json())["url"])
        return web.json_response({"status": 0, "status_message": "ok"})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/pa/send_message", self.send_message)
        app.router.add_post("/pa/set_webhook", self.set_webhook)
        app.router.add_get("/media/{name}", self.picture)
        return app

    def to(self, viber_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["receiver"] == viber_id]


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@dataclass
class ViberUser:
    viber_id: str
    webhook: str
    fake: FakeViber
    tokens: itertools.count = field(default_factory=lambda: itertools.count(10**15))
    last: bytes = b""

    async def post(self, body: bytes, sign: str | None = None) -> int:
        import httpx

        headers = {"X-Viber-Content-Signature": sign or signature(TOKEN, body)}
        async with httpx.AsyncClient() as client:
            return (await client.post(self.webhook, content=body, headers=headers)).status_code

    async def send(self, message: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        before = len(self.fake.to(self.viber_id))
        callback = {
            "event": "message",
            "timestamp": 1,
            "message_token": next(self.tokens),
            "sender": {"id": self.viber_id, "name": "Voter", "language": "ru"},
            "message": message,
        }
        self.last = json.dumps(callback).encode()
        assert await self.post(self.last) == 200
        return await self.replies(before, expect)

    async def replies(self, before: int, expect: int) -> list[dict[str, Any]]:
        for _ in range(600):
            got = self.fake.to(self.viber_id)
            if len(got) >= before + expect:
                return got[before : before + expect]
            await asyncio.sleep(0.05)
        raise AssertionError(f"{expect} replies expected, got {self.fake.to(self.viber_id)}")

    async def say(self, words: str, expect: int = 1) -> list[dict[str, Any]]:
        return await self.send({"type": "text", "text": words}, expect)


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for m in messages for b in (m.get("keyboard") or {}).get("Buttons", [])]


def test_a_viber_voter_goes_through_and_stays_unverified(sqlite_intake):
    fake = FakeViber()

    async def scenario():
        api_runner, api_base = await start(fake.app())
        intake = HttpIntake(sqlite_intake.url, channel="viber")
        directory = StationDirectory.from_store(sqlite_intake.engine, ELECTION)
        conversation = Conversation(
            intake, directory, ELECTION, b"k", messenger="Viber", contact_tier=Tier.NONE
        )
        api = ViberApi(TOKEN, api_base + "/pa")
        bot = ViberBot(conversation, api, TOKEN)
        bot_runner, bot_base = await start(bot.app("/viber"))
        user = ViberUser("vb-user-1==", bot_base + "/viber", fake)
        seen: dict[str, Any] = {}
        try:
            seen["forged"] = await user.post(b'{"event": "message"}', sign="0" * 64)
            seen["start"] = await user.say("/start")
            seen["language"] = await user.say(LANGUAGE_NAMES["ru"])
            seen["contact"] = await user.send(
                {"type": "contact", "contact": {"name": "V", "phone_number": "+375297776655"}}
            )
            seen["search"] = await user.say("Минск")
            label = next(b["Text"] for b in buttons(seen["search"]) if "07-001-0002" in b["Text"])
            seen["station"] = await user.say(label, expect=2)
            seen["choice"] = await user.say("Candidate B", expect=2)
            before = len(fake.to(user.viber_id))
            assert await user.post(user.last) == 200  # Viber sends the callback again
            seen["again"] = await user.replies(before, 1)
            fake.media["b1.jpg"] = ballot(5)
            seen["photo"] = await user.send(
                {"type": "picture", "media": api_base + "/media/b1.jpg"}, expect=2
            )
            seen["skip"] = await user.say("/skip")
            await bot.drain()
        finally:
            await bot_runner.cleanup()
            await api.aclose()
            await intake.aclose()
            await api_runner.cleanup()
        return seen

    seen = asyncio.run(scenario())
    assert seen["forged"] == 403
    assert fake.tokens == {TOKEN}
    assert {b["Text"] for b in buttons(seen["start"])} == set(LANGUAGE_NAMES.values())
    share = text("ru", "button_contact")
    assert seen["language"][0]["text"] == text("ru", "ask_contact", button=share, messenger="Viber")
    assert {"share-phone"} == {b["ActionType"] for b in buttons(seen["language"])}
    assert seen["language"][0]["min_api_version"] == 3
    offered = {b["Text"].split(" · ")[0] for b in buttons(seen["search"]) if "·" in b["Text"]}
    assert offered == MINSK
    assert seen["choice"][0]["text"] == text("ru", "declared", option="Candidate B")
    assert "07-001-0002" in seen["skip"][0]["text"]
    engine = sqlite_intake.engine
    with engine.connect() as conn:
        accounts = conn.execute(
            select(t.intake_accounts.c.verification).where(t.intake_accounts.c.role == "voter")
        ).all()
        declarations = conn.execute(select(t.intake_declarations.c.option_id)).scalars().all()
        photos = conn.execute(select(t.intake_photos.c.kind)).scalars().all()
        channels = conn.execute(select(t.intake_declarations.c.channel)).scalars().all()
    assert accounts == [(None,)]  # a Viber card does not prove whose number it is
    assert declarations == ["b"] and channels == ["viber"]  # the redelivery counted once
    assert photos == ["ballot_front"]


def test_the_viber_command_serves_the_webhook(sqlite_intake, tmp_path):
    """`honestcount bot viber` as a process: token and API from the environment, the webhook
    registered with Viber, a signed callback answered, a forged one refused, and SIGINT
    obeyed even when it started ignored."""
    import os
    import signal
    import sys

    fake = FakeViber()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/viber"
    main = "from honestcount.cli import app; app()"
    args = ["--db", sqlite_intake.db_url, "bot", "viber", "-e", ELECTION, "--webhook", hook]

    async def scenario():
        api_runner, api_base = await start(fake.app())
        env = {**os.environ, "HONESTCOUNT_VIBER_TOKEN": TOKEN}
        env["HONESTCOUNT_VIBER_API"] = api_base + "/pa"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            main,
            *args,
            "--intake",
            sqlite_intake.url,
            "--listen",
            f"127.0.0.1:{port}",
            env=env,
            stderr=asyncio.subprocess.PIPE,
            # as from a script's background (`cmd &`): SIGINT ignored when it starts, which
            # the bot must still stop on (CI ran the suite so, and the bot never stopped)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        user = ViberUser("vb-cli==", hook, fake)
        try:
            # a loaded machine (the whole suite on two cores) can take a while to start it
            for _ in range(600):
                if fake.webhooks or proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            forged = await user.post(b'{"event": "message"}', sign="0" * 64)
            start_reply = await user.say("/start")
        finally:
            try:
                stderr = await interrupt(proc)
            finally:
                await api_runner.cleanup()
        return forged, start_reply, stderr

    forged, start_reply, stderr = asyncio.run(scenario())
    assert fake.webhooks == [hook]
    assert forged == 403
    assert {b["Text"] for b in buttons(start_reply)} == set(LANGUAGE_NAMES.values())
    assert f"Viber bot for {ELECTION}: webhook {hook}" in stderr
