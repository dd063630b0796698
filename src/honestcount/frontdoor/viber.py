"""The Viber adapter: Viber's REST bot API in front of the same conversation as Telegram.

Viber calls the bot (a webhook; it has no long polling): each callback is checked against
its ``X-Viber-Content-Signature`` (HMAC-SHA256 of the body under the bot's token), answered
at once, and handled in the background, one message of a user at a time
(:class:`~.engine.Conversation`). Replies go out with ``send_message``; a keyboard is sent
with every message that needs one (Viber keeps a keyboard only under the latest message).

What a contact proves differs: Telegram's contact card names its owner, Viber's does not (a
``contact`` message carries a name and a number only), so a Viber registration is
**unverified** (tier ``none``). The share-phone button is offered all the same: it saves
typing, and the election's ``min_verification`` setting decides whether such evidence
counts. Its voters can prove their number later with the web page's code through the
Telegram bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from aiohttp import web
from sqlalchemy import Engine

from honestcount.frontdoor.engine import Contact, Conversation, Incoming, Reply
from honestcount.frontdoor.gateway import HttpIntake
from honestcount.frontdoor.messages import text
from honestcount.frontdoor.stations import StationDirectory
from honestcount.frontdoor.telegram import key_secret
from honestcount.frontdoor.verification import Tier

log = logging.getLogger("honestcount.frontdoor.viber")
VIBER_API = "https://chatapi.viber.com/pa"
MAX_PHOTO_BYTES = 15 * 2**20
ACTIONS = {"text": "reply", "contact": "share-phone", "location": "location-picker"}


def signature(token: str, body: bytes) -> str:
    """What Viber puts in ``X-Viber-Content-Signature`` for ``body``."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def user_number(viber_id: str) -> int:
    """A stable integer for a Viber user id (the conversation keys users by integers)."""
    return int.from_bytes(hashlib.sha256(viber_id.encode()).digest()[:7], "big")


def keyboard(reply: Reply) -> dict[str, Any] | None:
    """The Viber keyboard of a reply's buttons (None: no keyboard)."""
    if not reply.buttons:
        return None
    buttons = [
        {
            "ActionType": ACTIONS[b.kind],
            "ActionBody": b.label,
            "Text": b.label,
            "Columns": 6 if len(row) == 1 else 3,
            "Rows": 1,
        }
        for row in reply.buttons
        for b in row
    ]
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}


class ViberApi:
    """The calls the bot makes to Viber (``base``: Viber's, or a test's fake)."""

    def __init__(
        self,
        token: str,
        base: str = VIBER_API,
        *,
        name: str = "honestcount",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.client = httpx.AsyncClient(
            base_url=base.rstrip("/"),
            headers={"X-Viber-Auth-Token": token},
            timeout=30.0,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/{method}", json=body)
        answer: dict[str, Any] = response.json()
        if response.status_code != 200 or answer.get("status") != 0:
            raise RuntimeError(f"viber {method}: {answer.get('status_message', response.text)}")
        return answer

    async def send(self, receiver: str, message: str, keys: dict[str, Any] | None) -> None:
        body: dict[str, Any] = {
            "receiver": receiver,
            "min_api_version": 3,  # share-phone needs it
            "sender": {"name": self.name},
            "type": "text",
            "text": message,
        }
        if keys is not None:
            body["keyboard"] = keys
        await self._post("send_message", body)

    async def set_webhook(self, url: str) -> None:
        await self._post(
            "set_webhook", {"url": url, "event_types": ["message"], "send_name": False}
        )

    async def fetch(self, url: str) -> bytes:
        """A picture a user sent (Viber gives a URL, valid for a while)."""
        async with self.client.stream("GET", url) as response:
            response.raise_for_status()
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_PHOTO_BYTES:
                    raise ValueError("the picture is too large")
                chunks.append(chunk)
        return b"".join(chunks)


def incoming(
    callback: dict[str, Any], fetch: Callable[[str], Awaitable[bytes]]
) -> tuple[str, Incoming] | None:
    """The Viber user and the conversation event of a ``message`` callback (None for other
    events and for message types the conversation does not handle)."""
    if callback.get("event") != "message":
        return None
    sender, message = callback.get("sender") or {}, callback.get("message") or {}
    viber_id, kind = sender.get("id"), message.get("type")
    if not isinstance(viber_id, str) or not viber_id:
        return None
    user = user_number(viber_id)
    event: dict[str, Any] = {
        "user_id": user,
        "message_id": int(callback.get("message_token") or 0),
        "language_code": sender.get("language"),
    }
    if kind == "text":
        event["text"] = str(message.get("text", ""))
    elif kind == "contact":
        card = message.get("contact") or {}
        # No owner on a Viber card: the conversation's contact tier (none) says so.
        event["contact"] = Contact(str(card.get("phone_number", "")), user)
    elif kind == "location":
        place = message.get("location") or {}
        event["location"] = (float(place["lat"]), float(place["lon"]))
    elif kind == "picture" and isinstance(message.get("media"), str):
        url = message["media"]
        event["photo"] = lambda: fetch(url)
    else:
        return None
    return viber_id, Incoming(**event)


class ViberBot:
    """The webhook: checks, answers and hands each message to the conversation."""

    def __init__(self, conversation: Conversation, api: ViberApi, token: str) -> None:
        self.conversation = conversation
        self.api = api
        self._token = token
        self._tasks: set[asyncio.Task[None]] = set()

    async def callback(self, request: web.Request) -> web.Response:
        body = await request.read()
        given = request.headers.get("X-Viber-Content-Signature", "")
        if not hmac.compare_digest(given, signature(self._token, body)):
            return web.Response(status=403, text="bad signature")
        try:
            found = incoming(json.loads(body), self.api.fetch)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="bad callback")
        if found is not None:
            task = asyncio.get_running_loop().create_task(self._answer(*found))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"status": 0})

    async def _answer(self, viber_id: str, event: Incoming) -> None:
        try:
            replies = await self.conversation.handle(event)
        except Exception:  # a fault of ours must not leave the voter without an answer
            log.exception("conversation failed on a Viber message")
            replies = [Reply(text(None, "busy"))]
        for reply in replies:
            try:
                await self.api.send(viber_id, reply.text, keyboard(reply))
            except (httpx.HTTPError, RuntimeError):
                log.warning("a reply to a Viber user could not be sent", exc_info=True)

    async def drain(self) -> None:
        """Wait for the messages being handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def app(self, path: str = "/viber") -> web.Application:
        application = web.Application(client_max_size=256 * 1024)
        application.router.add_post(path, self.callback)
        return application


async def serve(
    token: str,
    engine: Engine,
    election_id: str,
    intake_url: str,
    webhook: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8082,
    api_base: str = VIBER_API,
) -> None:
    """Run the Viber bot for ``election_id`` until SIGINT or SIGTERM (or cancelled): serve
    the webhook on ``host:port`` (a TLS terminator forwards ``webhook``'s path to it), then
    tell Viber. Either signal stops it gracefully, the messages in hand answered first, also
    when it was started with SIGINT ignored (in the background of a script)."""
    from urllib.parse import urlsplit

    directory = StationDirectory.from_store(engine, election_id)
    intake = HttpIntake(intake_url, channel="viber")
    conversation = Conversation(
        intake,
        directory,
        election_id,
        key_secret(token),
        messenger="Viber",
        contact_tier=Tier.NONE,  # a Viber card does not say whose number it is
    )
    api = ViberApi(token, api_base)
    bot = ViberBot(conversation, api, token)
    runner = web.AppRunner(bot.app(urlsplit(webhook).path or "/"))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    await api.set_webhook(webhook)  # listening first: Viber checks the URL at once
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # no signal handlers outside the main thread, nor on Windows' event loop
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await bot.drain()
        await runner.cleanup()
        await api.aclose()
        await intake.aclose()
