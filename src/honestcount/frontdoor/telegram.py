"""The Telegram adapter (aiogram 3): long polling, or a webhook for deployments.

It only translates: a Telegram message becomes an :class:`~.engine.Incoming` (a contact card
keeps the user id Telegram vouches for; a photo is fetched only when the conversation asks for
it) and each :class:`~.engine.Reply` becomes a message with a reply keyboard. ``api`` points
the library at another Bot API server (a local one, or the tests' fake).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import (
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlalchemy import Engine

from honestcount.frontdoor.engine import Contact, Conversation, Incoming, Reply
from honestcount.frontdoor.gateway import HttpIntake
from honestcount.frontdoor.messages import text
from honestcount.frontdoor.stations import StationDirectory
from honestcount.settings import ConfigurationError, FrontdoorSettings

log = logging.getLogger("honestcount.frontdoor")
# The largest picture fetched from Telegram (the intake's own limit is 15 MB).
MAX_PHOTO_BYTES = 15 * 2**20


def make_bot(token: str, api: str | None = None) -> Bot:
    """A bot on Telegram's servers, or on the Bot API server at ``api``."""
    if api:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.rstrip("/")))
        return Bot(token, session=session)
    return Bot(token)


def markup(reply: Reply) -> ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """The reply keyboard of a reply (contact and location buttons ask Telegram for them)."""
    if reply.buttons:
        rows = [
            [
                KeyboardButton(
                    text=b.label,
                    request_contact=True if b.kind == "contact" else None,
                    request_location=True if b.kind == "location" else None,
                )
                for b in row
            ]
            for row in reply.buttons
        ]
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=False)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def _photo_loader(bot: Bot, file_id: str) -> Callable[[], Awaitable[bytes]]:
    async def load() -> bytes:
        buffer = io.BytesIO()
        await bot.download(file_id, destination=buffer)
        return buffer.getvalue()

    return load


def incoming(message: Message, bot: Bot) -> Incoming | None:
    """The conversation event of a Telegram message (None for what it does not handle)."""
    user = message.from_user
    if user is None or message.chat.type != "private":
        return None
    photo_id = unique = None
    if message.photo:
        fitting = [p for p in message.photo if (p.file_size or 0) <= MAX_PHOTO_BYTES]
        if fitting:
            best = max(fitting, key=lambda p: p.width * p.height)
            photo_id, unique = best.file_id, best.file_unique_id
    elif (
        message.document
        and (message.document.mime_type or "").startswith("image/")
        and (message.document.file_size or 0) <= MAX_PHOTO_BYTES
    ):
        photo_id, unique = message.document.file_id, message.document.file_unique_id
    contact = (
        Contact(message.contact.phone_number, message.contact.user_id)
        if message.contact is not None
        else None
    )
    location = (
        (message.location.latitude, message.location.longitude)
        if message.location is not None
        else None
    )
    return Incoming(
        user_id=user.id,
        message_id=message.message_id,
        text=message.text,
        contact=contact,
        location=location,
        photo=_photo_loader(bot, photo_id) if photo_id else None,
        photo_id=unique,
        language_code=user.language_code,
    )


def make_dispatcher(conversation: Conversation) -> Dispatcher:
    """A dispatcher that hands every private message to ``conversation``."""
    router = Router(name="honestcount")

    @router.message()
    async def on_message(message: Message, bot: Bot) -> None:
        event = incoming(message, bot)
        if event is None:
            return
        try:
            replies = await conversation.handle(event)
        except Exception:  # a fault of ours must not leave the voter without an answer
            log.exception("conversation failed on a message")
            replies = [Reply(text(None, "busy"))]
        for reply in replies:
            await message.answer(reply.text, reply_markup=markup(reply))

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def run_polling(conversation: Conversation, bot: Bot, **options: Any) -> None:
    """Long polling until stopped (``dispatcher.stop_polling()`` or a signal)."""
    dispatcher = make_dispatcher(conversation)
    await bot.delete_webhook(drop_pending_updates=False)
    await dispatcher.start_polling(bot, allowed_updates=["message"], **options)


@asynccontextmanager
async def polling(conversation: Conversation, bot: Bot, **options: Any) -> AsyncIterator[None]:
    """Long polling in the background while the block runs (tests, benchmarks, pictures)."""
    dispatcher = make_dispatcher(conversation)
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, **options))
    try:
        yield
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(task, 10)


async def run_webhook(
    conversation: Conversation,
    bot: Bot,
    url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8081,
    secret: str | None = None,
) -> None:
    """Serve Telegram's webhook calls at ``url`` (a TLS terminator forwards them to
    ``host:port``, path taken from ``url``) until cancelled."""
    from urllib.parse import urlsplit

    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    dispatcher = make_dispatcher(conversation)
    app = web.Application()
    path = urlsplit(url).path or "/"
    SimpleRequestHandler(dispatcher, bot, secret_token=secret).register(app, path=path)
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    # listening first: Telegram may deliver the moment the webhook is set
    await bot.set_webhook(url, secret_token=secret, allowed_updates=["message"])
    log.info("webhook %s served on %s:%s", url, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def key_secret(token: str) -> bytes:
    """The secret the idempotency keys are derived with: from the bot token, so that a
    restarted bot derives the same key for a redelivered message."""
    return hmac.new(token.encode(), b"honestcount idempotency keys", hashlib.sha256).digest()


async def serve(
    settings: FrontdoorSettings,
    engine: Engine,
    election_id: str,
    *,
    webhook: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8081,
    webhook_secret: str | None = None,
) -> None:
    """Run the bot for ``election_id`` (stations from ``engine``, submissions to the intake
    at ``settings.intake_url``) until stopped."""
    if settings.telegram_token is None:
        raise ConfigurationError(
            "the Telegram bot needs HONESTCOUNT_TELEGRAM_TOKEN (the token from @BotFather)"
        )
    token = settings.telegram_token.get_secret_value()
    directory = StationDirectory.from_store(engine, election_id)
    if not len(directory):
        raise ConfigurationError(f"election {election_id!r} has no stations in this database")
    # The bot's gateway account at the intake, so that its registrations say how the number
    # was proved (HONESTCOUNT_FRONTDOOR_GATEWAY_TOKEN).
    gateway_token = settings.gateway_token
    intake = HttpIntake(
        settings.intake_url,
        channel="telegram",
        timeout=settings.intake_timeout,
        gateway_token=gateway_token.get_secret_value() if gateway_token is not None else None,
    )
    conversation = Conversation(intake, directory, election_id, key_secret(token))
    bot = make_bot(token, settings.telegram_api)
    try:
        if webhook:
            await run_webhook(
                conversation, bot, webhook, host=host, port=port, secret=webhook_secret
            )
        else:
            await run_polling(conversation, bot)
    finally:
        await intake.aclose()
        await bot.session.close()
