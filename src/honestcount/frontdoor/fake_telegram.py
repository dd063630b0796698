"""A fake Telegram Bot API server on 127.0.0.1, for tests, benchmarks and demonstrations.

It answers the methods the adapter uses (getMe, deleteWebhook, getUpdates with long polling,
sendMessage, getFile and file downloads) the way Telegram does, and lets simulated users
send text, contact cards, locations and photos (:class:`FakeUser`). Every message the bot
sends is kept, so a test can read the conversation (:meth:`FakeTelegram.transcript`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from honestcount.frontdoor.messages import LANGUAGE_NAMES, LANGUAGES, text

BOT_USER = {"id": 777000001, "is_bot": True, "first_name": "honestcount", "username": "hc_bot"}


@dataclass
class Sent:
    """A message the bot sent: its text and keyboard."""

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


@dataclass
class FakeTelegram:
    """The server's state; :meth:`start` serves it, :meth:`user` makes a simulated user."""

    token: str = "123456:TEST-honestcount-fake"
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[int, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    log: list[tuple[int, str, str]] = field(default_factory=list)  # chat, who, text
    received: int = 0
    url: str = ""
    webhook: dict[str, Any] = field(default_factory=dict)  # what setWebhook was given

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._new_update = asyncio.Condition()
        self._new_sent: dict[int, asyncio.Condition] = defaultdict(asyncio.Condition)
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ server

    async def start(self) -> str:
        """Serve on a free port of 127.0.0.1; returns the base URL for the bot."""
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items()})
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"].lower()
        params = await self._params(request)
        handler = {
            "getme": lambda: BOT_USER,
            "deletewebhook": lambda: self._set_webhook({}),
            "setwebhook": lambda: self._set_webhook(params),
            "setmycommands": lambda: True,
            "close": lambda: True,
            "sendmessage": lambda: self._send_message(params),
            "getfile": lambda: self._get_file(params),
        }.get(method)
        if method == "getupdates":
            result: Any = await self._get_updates(params)
        elif handler is not None:
            result = handler()
            if isinstance(result, web.Response):
                return result
        else:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.json_response({"ok": True, "result": result})

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:  # Telegram forgets what the bot confirmed by asking for later ones
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        async with self._new_update:
            if not self.updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
        return self.updates[:limit]

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        text = str(params.get("text", ""))
        if not text:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                },
                status=400,
            )
        sent = Sent(chat_id, text, markup)
        self.sent[chat_id].append(sent)
        keys = " ".join(f"[{b['text']}]" for b in sent.buttons())
        self.log.append((chat_id, "bot", text + (f"\n⌨ {keys}" if keys else "")))
        asyncio.get_running_loop().create_task(self._notify(chat_id))
        return {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": text,
        }

    async def _notify(self, chat_id: int) -> None:
        condition = self._new_sent[chat_id]
        async with condition:
            condition.notify_all()

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                status=400,
            )
        path, data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": path,
            "file_size": len(data),
            "file_path": path,
        }

    async def _file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        for stored_path, data in self.files.values():
            if stored_path == path and request.match_info["token"] == self.token:
                return web.Response(body=data, content_type="image/jpeg")
        return web.Response(status=404)

    # ------------------------------------------------------------------ simulated users

    def user(
        self, user_id: int, language_code: str = "en", name: str = "Voter", timeout: float = 30.0
    ) -> FakeUser:
        return FakeUser(self, user_id, language_code, name, timeout)

    async def push(self, user: FakeUser, content: dict[str, Any]) -> None:
        message = {
            "message_id": content.pop("message_id", None) or next(self._message_ids[user.id]),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.name},
            "from": {
                "id": user.id,
                "is_bot": False,
                "first_name": user.name,
                "language_code": user.language_code,
            },
            **content,
        }
        user.last = {**content, "message_id": message["message_id"]}
        self.received += 1
        self.log.append((user.id, "user", _describe(content)))
        update = {"update_id": next(self._update_ids), "message": message}
        if self.webhook.get("url"):
            await self._call_webhook(update)
            return
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()

    async def _call_webhook(self, update: dict[str, Any]) -> None:
        """Deliver an update as Telegram does to a bot with a webhook: an HTTPS POST with
        the secret the bot chose (plain HTTP here, on 127.0.0.1)."""
        from aiohttp import ClientSession

        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
        async with (
            ClientSession() as session,
            session.post(str(self.webhook["url"]), json=update, headers=headers) as response,
        ):
            response.raise_for_status()

    async def wait_sent(
        self,
        chat_id: int,
        count: int,
        timeout: float,
        stop: set[str] | None = None,
        since: int = 0,
    ) -> list[Sent]:
        """Wait until the bot has sent ``count`` messages to ``chat_id`` in all, or (with
        ``stop``) one of those texts as the last, after the first ``since``."""
        condition = self._new_sent[chat_id]
        sent = self.sent[chat_id]

        def ready() -> bool:
            stopped = stop is not None and len(sent) > since and sent[-1].text in stop
            return len(sent) >= count or stopped

        async with condition:
            await asyncio.wait_for(condition.wait_for(ready), timeout)
        return sent

    def transcript(self, chat_id: int) -> str:
        """The conversation with one user as text, for reading (and the README)."""
        lines = []
        for chat, who, message in self.log:
            if chat == chat_id:
                prefix = "👤" if who == "user" else "🤖"
                lines.append(f"{prefix} " + message.replace("\n", "\n   "))
        return "\n".join(lines)


def _describe(content: dict[str, Any]) -> str:
    if "contact" in content:
        return f"[contact card {content['contact']['phone_number']}]"
    if "location" in content:
        return f"[location {content['location']['latitude']}, {content['location']['longitude']}]"
    if "photo" in content:
        return "[photo]"
    return str(content.get("text", ""))


@dataclass
class FakeUser:
    """A simulated Telegram user: each action waits for the bot's ``expect`` replies."""

    server: FakeTelegram
    id: int
    language_code: str = "en"
    name: str = "Voter"
    timeout: float = 30.0
    last: dict[str, Any] = field(default_factory=dict)
    stop: set[str] | None = None  # answers after which the bot sends nothing more

    async def _act(self, content: dict[str, Any], expect: int) -> list[Sent]:
        before = len(self.server.sent[self.id])
        await self.server.push(self, content)
        sent = await self.server.wait_sent(
            self.id, before + expect, self.timeout, self.stop, since=before
        )
        return sent[before : before + expect]

    async def redeliver(self, expect: int = 1) -> list[Sent]:
        """Telegram sends the last message again, as it does when the bot did not confirm
        the update (same message id)."""
        return await self._act(dict(self.last), expect)

    async def say(self, text: str, expect: int = 1) -> list[Sent]:
        return await self._act({"text": text}, expect)

    async def share_contact(
        self, phone: str, owner: int | None | Literal["self"] = "self", expect: int = 1
    ) -> list[Sent]:
        """A contact card: the user's own (``owner`` "self"), someone else's (a user id), or
        one with no Telegram account behind it (None)."""
        card: dict[str, Any] = {"phone_number": phone, "first_name": self.name}
        if owner is not None:
            card["user_id"] = self.id if owner == "self" else owner
        return await self._act({"contact": card}, expect)

    async def send_location(self, latitude: float, longitude: float, expect: int = 1) -> list[Sent]:
        return await self._act({"location": {"latitude": latitude, "longitude": longitude}}, expect)

    async def send_photo(
        self, data: bytes, expect: int = 2, file_unique_id: str | None = None
    ) -> list[Sent]:
        """A photo; Telegram gives one picture the same ``file_unique_id`` every time."""
        file_id = "F" + secrets.token_hex(12)
        path = f"photos/{file_id}.jpg"
        self.server.files[file_id] = (path, data)
        size = {"file_id": file_id, "file_unique_id": file_unique_id or "U" + file_id[1:13]}
        photo = [{**size, "width": 640, "height": 480, "file_size": len(data)}]
        return await self._act({"photo": photo}, expect)


@dataclass(frozen=True)
class LoadResult:
    """What a crowd of simulated voters did, and how fast the bot answered them."""

    users: int
    completed: int
    retries: int  # messages sent again after the bot said the intake was busy
    messages_in: int
    messages_out: int
    seconds: float

    @property
    def messages_per_second(self) -> float:
        """Messages handled per second: the users' messages and the bot's answers."""
        return (self.messages_in + self.messages_out) / self.seconds if self.seconds else 0.0


async def simulate_voters(
    server: FakeTelegram,
    users: int,
    *,
    station: str,
    option_label: str,
    photo: Callable[[int], bytes],
    concurrency: int = 200,
    first_id: int = 10_000_000,
) -> LoadResult:
    """``users`` voters, ``concurrency`` at a time, each registering at ``station``,
    declaring ``option_label`` and sending one ballot photo (``photo(i)``)."""
    gate = asyncio.Semaphore(concurrency)
    busy = {text(lang, "busy") for lang in LANGUAGES}
    done = retries = 0

    async def step(act: Callable[[], Awaitable[list[Sent]]]) -> list[Sent]:
        # a real voter told "send that again" sends it again
        nonlocal retries
        while True:
            replies = await act()
            if replies[-1].text not in busy:
                return replies
            retries += 1
            await asyncio.sleep(1.0)

    async def voter(i: int) -> None:
        nonlocal done
        async with gate:
            user = server.user(first_id + i, LANGUAGES[i % 3], timeout=300.0)
            user.stop = busy
            await step(lambda: user.say("/start"))
            await step(lambda: user.say(LANGUAGE_NAMES[LANGUAGES[i % 3]]))
            await step(lambda: user.share_contact(f"+37529{i:07d}"))
            await step(lambda: user.say(station, expect=2))
            await step(lambda: user.say(option_label, expect=2))
            picture = photo(i)
            await step(lambda: user.send_photo(picture, file_unique_id=f"U{first_id + i}"))
            receipt = await step(lambda: user.say("/skip"))
            if station in receipt[0].text:
                done += 1

    in_before, out_before = server.received, sum(len(v) for v in server.sent.values())
    started = time.perf_counter()
    await asyncio.gather(*(voter(i) for i in range(users)))
    seconds = time.perf_counter() - started
    return LoadResult(
        users,
        done,
        retries,
        server.received - in_before,
        sum(len(v) for v in server.sent.values()) - out_before,
        seconds,
    )
