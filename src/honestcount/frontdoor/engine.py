"""The conversation, independent of any messenger.

/start → language → share contact (only the sender's own) → station (number, text in any
script, or a shared location → nearest five) → choice → ballot photos → receipt; /status;
/delete (withdraw, after a confirmation); /language; /skip.

An adapter turns each message into an :class:`Incoming` and sends back the :class:`Reply`
values that :meth:`Conversation.handle` returns. A user's messages are handled one at a time.

Nothing a voter sends is counted twice: every submission carries an idempotency key derived
from the message that caused it (so a messenger's redelivery of one update is a replay), and
a key is kept in the session until the intake has answered, so "send that again" after an
unreachable intake repeats the same request rather than making a new one. The phone number is
held only between the contact and the registration, then dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from honestcount.frontdoor.gateway import GatewayError, IntakeGateway, Option
from honestcount.frontdoor.messages import LANGUAGE_NAMES, LANGUAGES, language_of, text
from honestcount.frontdoor.stations import Station, StationDirectory
from honestcount.frontdoor.verification import OneTimeCodes, Tier, VerifiedPhone, contact_proof

log = logging.getLogger("honestcount.frontdoor")
MAX_LABEL = 60  # characters of a station button
NEAREST = 5
SHOWN = 8


class Step(StrEnum):
    LANGUAGE = "language"
    CONTACT = "contact"
    STATION = "station"
    CHOICE = "choice"
    PHOTO = "photo"
    DONE = "done"
    CONFIRM_DELETE = "confirm_delete"


@dataclass(frozen=True)
class Button:
    label: str
    kind: Literal["text", "contact", "location"] = "text"


@dataclass(frozen=True)
class Reply:
    """One message to the user; ``buttons`` rows replace the keyboard, ``remove_keyboard``
    takes it away, neither leaves it as it was."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    remove_keyboard: bool = False


@dataclass(frozen=True)
class Contact:
    phone: str
    user_id: int | None  # the contact card's owner, as the messenger says


PhotoSource = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Incoming:
    """One message from a user: text, a contact card, a location or a photo."""

    user_id: int
    message_id: int
    text: str | None = None
    contact: Contact | None = None
    location: tuple[float, float] | None = None
    photo: PhotoSource | None = None  # fetched only if the conversation wants it
    photo_id: str | None = None  # the messenger's stable id of the picture
    language_code: str | None = None


@dataclass
class Session:
    """Where one user is in the conversation (held in memory: it holds a bearer token)."""

    user_id: int
    step: Step = Step.LANGUAGE
    lang: str | None = None
    phone: VerifiedPhone | None = None
    challenge: str | None = None  # a web registration's deep-link payload
    candidates: dict[str, str] = field(default_factory=dict)  # button label -> station id
    station_id: str | None = None
    account_id: int | None = None
    token: str | None = None
    option_id: str | None = None
    photos: list[tuple[int, str, str]] = field(default_factory=list)  # id, side, status
    sides: dict[str, str] = field(default_factory=dict)  # picture id -> side sent as
    resume: Step | None = None
    pending: dict[str, str] = field(default_factory=dict)  # request -> idempotency key


class Conversation:
    """The front door's conversation for one election."""

    def __init__(
        self,
        gateway: IntakeGateway,
        directory: StationDirectory,
        election_id: str,
        key_secret: bytes,
        *,
        codes: OneTimeCodes | None = None,
        messenger: str = "Telegram",
        contact_tier: Tier = Tier.MESSENGER_CONTACT,
    ) -> None:
        """``messenger`` names the app in the texts; ``contact_tier`` is what a shared contact
        proves there (Telegram: the sender's own number; a messenger whose cards carry no
        owner proves nothing, ``Tier.NONE``, and its registrations are unverified)."""
        self.messenger = messenger
        self.contact_tier = contact_tier
        self.gateway = gateway
        self.directory = directory
        self.election_id = election_id
        self.codes = codes
        self._secret = key_secret
        self.sessions: dict[int, Session] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}  # messages of a user being handled or waiting
        self._option_cache: tuple[Option, ...] | None = None

    # ------------------------------------------------------------------ entry point

    async def handle(self, event: Incoming) -> list[Reply]:
        """The replies to one message (a user's messages are handled in arrival order)."""
        user = event.user_id
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._waiting[user] = self._waiting.get(user, 0) + 1
        try:
            async with lock:
                return await self._handle(event)
        finally:
            self._waiting[user] -= 1
            if not self._waiting[user]:  # no message of this user in flight: drop the lock
                del self._waiting[user], self._locks[user]

    async def _handle(self, event: Incoming) -> list[Reply]:
        session = self.sessions.setdefault(event.user_id, Session(event.user_id))
        try:
            return await self._dispatch(session, event)
        except GatewayError as exc:
            if exc.transient:
                log.warning(
                    "intake unavailable (%s %s); the voter is asked to resend",
                    exc.status,
                    exc.detail[:100],
                )
                return [Reply(text(session.lang, "busy"))]
            return [Reply(text(session.lang, "refused", detail=exc.detail[:200]))]

    async def _dispatch(self, s: Session, event: Incoming) -> list[Reply]:
        command, _, argument = (event.text or "").strip().partition(" ")
        if command.startswith("/"):
            command = command.split("@", 1)[0].lower()
            commands = {
                "/start": lambda: self._start(s, event, argument.strip()),
                "/status": lambda: self._status(s),
                "/delete": lambda: self._ask_delete(s),
                "/language": lambda: self._ask_language(s, resume=True),
            }
            if command in commands:
                return await commands[command]()
        steps = {
            Step.LANGUAGE: self._on_language,
            Step.CONTACT: self._on_contact,
            Step.STATION: self._on_station,
            Step.CHOICE: self._on_choice,
            Step.PHOTO: self._on_photo,
            Step.DONE: self._on_done,
            Step.CONFIRM_DELETE: self._on_confirm_delete,
        }
        return await steps[s.step](s, event)

    def _key(self, s: Session, request: str, event: Incoming, basis: str | None = None) -> str:
        """The idempotency key of ``request``: the one kept from an unanswered attempt, else
        one derived from the message (or ``basis``, e.g. a photo's id)."""
        if request not in s.pending:
            seed = f"{s.user_id}:{basis or event.message_id}:{request}".encode()
            s.pending[request] = hmac.new(self._secret, seed, hashlib.sha256).hexdigest()[:40]
        return s.pending[request]

    # ------------------------------------------------------------------ language, contact

    async def _start(self, s: Session, event: Incoming, payload: str) -> list[Reply]:
        if s.token is not None and not payload:
            return [*await self._status(s), Reply(text(s.lang, "done_hint"))]
        lang = s.lang
        if s.token is None:
            self.sessions[s.user_id] = s = Session(s.user_id, lang=lang)
        s.challenge = payload or None
        if lang is None:
            return await self._ask_language(s, resume=False)
        s.step = Step.CONTACT
        return [self._ask_contact(s)]

    async def _ask_language(self, s: Session, *, resume: bool) -> list[Reply]:
        s.resume = s.step if resume and s.step is not Step.LANGUAGE else None
        s.step = Step.LANGUAGE
        row = tuple(Button(LANGUAGE_NAMES[code]) for code in LANGUAGES)
        return [Reply(text(None, "choose_language"), (row,))]

    async def _on_language(self, s: Session, event: Incoming) -> list[Reply]:
        lang = language_of(event.text or "")
        if lang is None:
            return await self._ask_language(s, resume=False)
        s.lang = lang
        if s.resume is not None:
            s.step, s.resume = s.resume, None
            return [Reply(text(lang, "done_hint"), remove_keyboard=True)]
        s.step = Step.CONTACT
        return [self._ask_contact(s)]

    def _ask_contact(self, s: Session) -> Reply:
        button = text(s.lang, "button_contact")
        message = text(s.lang, "ask_contact", button=button, messenger=self.messenger)
        return Reply(message, ((Button(button, "contact"),),))

    async def _on_contact(self, s: Session, event: Incoming) -> list[Reply]:
        button = text(s.lang, "button_contact")
        if event.contact is None:
            return [
                Reply(
                    text(s.lang, "press_contact_button", button=button),
                    ((Button(button, "contact"),),),
                )
            ]
        proof = contact_proof(event.user_id, event.contact.user_id, event.contact.phone)
        if proof is not None and proof.tier is not self.contact_tier:
            proof = VerifiedPhone(proof.phone, self.contact_tier)
        if proof is None:
            return [
                Reply(
                    text(s.lang, "not_own_contact", button=button), ((Button(button, "contact"),),)
                )
            ]
        if s.challenge is not None:
            return [await self._web_code(s, proof)]
        s.phone = proof
        s.step = Step.STATION
        return [self._ask_station(s)]

    async def _web_code(self, s: Session, proof: VerifiedPhone) -> Reply:
        """The code for a web registration's challenge: from the bot's own codes if it holds
        them, else from the intake, which checks the number against the account's."""
        challenge, s.challenge = s.challenge or "", None
        if proof.tier is Tier.NONE:  # nothing proved: nothing to vouch for
            code = None
        elif self.codes is not None:
            code = self.codes.code_for(challenge, proof)
        else:
            try:
                code = await self.gateway.vouch(challenge, proof.phone, proof.tier.value)
            except GatewayError as exc:
                if exc.transient:
                    raise
                code = None
        key = "web_code" if code else "web_code_mismatch"
        return Reply(text(s.lang, key, code=code), remove_keyboard=True)

    # ------------------------------------------------------------------ station

    def _location_row(self, s: Session) -> tuple[Button, ...]:
        return (Button(text(s.lang, "button_location"), "location"),)

    def _ask_station(self, s: Session) -> Reply:
        example = self.directory.stations[0].id if len(self.directory) else "1"
        message = text(
            s.lang, "ask_station", example=example, button=text(s.lang, "button_location")
        )
        return Reply(message, (self._location_row(s),))

    def _offer(self, s: Session, stations: list[Station], heading: str) -> Reply:
        s.candidates = {st.label()[:MAX_LABEL]: st.id for st in stations}
        rows = tuple((Button(label),) for label in s.candidates)
        return Reply(heading, (*rows, self._location_row(s)))

    async def _on_station(self, s: Session, event: Incoming) -> list[Reply]:
        if event.location is not None:
            nearest = self.directory.nearest(*event.location, k=NEAREST)
            return [self._offer(s, nearest, text(s.lang, "stations_nearest"))]
        query = (event.text or "").strip()
        if not query:
            return [self._ask_station(s)]
        chosen = s.candidates.get(query) or query.split(" · ", 1)[0].strip()
        station = self.directory.get(chosen)
        if station is not None:
            return await self._register(s, event, station)
        found = self.directory.find(query, limit=SHOWN)
        if not found:
            return [
                Reply(text(s.lang, "stations_none", query=query[:60]), (self._location_row(s),))
            ]
        replies = [self._offer(s, found, text(s.lang, "stations_found"))]
        if len(found) == SHOWN:
            total = self.directory.count(query)
            if total > SHOWN:
                replies.append(Reply(text(s.lang, "stations_more", shown=SHOWN, total=total)))
        return replies

    async def _register(self, s: Session, event: Incoming, station: Station) -> list[Reply]:
        if s.phone is None:  # the contact was lost (e.g. a restart): ask for it again
            s.step = Step.CONTACT
            return [self._ask_contact(s)]
        request = f"register:{station.id}"
        key = self._key(s, request, event)
        try:
            phone = s.phone.phone
            tier = None if s.phone.tier is Tier.NONE else s.phone.tier.value
            done = await self.gateway.register(self.election_id, phone, station.id, key, tier)
            if done.token is None:  # a replay carries no credential: register afresh
                s.pending[request] = key = self._key(s, request + ":again", event)
                done = await self.gateway.register(self.election_id, phone, station.id, key, tier)
        except GatewayError as exc:
            if exc.status != 409:
                raise
            s.pending.pop(request, None)
            s.phone, s.step = None, Step.DONE
            return [Reply(text(s.lang, "already_registered"), remove_keyboard=True)]
        s.pending.pop(request, None)
        s.pending.pop(request + ":again", None)
        s.phone = None  # not needed any more: the intake keeps only its keyed hash
        s.token, s.account_id, s.station_id = done.token, done.account_id, done.station_id
        s.candidates = {}
        s.step = Step.CHOICE
        return [
            Reply(text(s.lang, "registered", station=station.label())),
            await self._ask_choice(s),
        ]

    # ------------------------------------------------------------------ choice, photos

    async def _options(self) -> tuple[Option, ...]:
        if self._option_cache is None:
            self._option_cache = (await self.gateway.election(self.election_id)).options
        return self._option_cache

    async def _ask_choice(self, s: Session) -> Reply:
        options = await self._options()
        rows = tuple((Button(o.name),) for o in options)
        return Reply(text(s.lang, "ask_choice"), rows)

    async def _option_named(self, label: str) -> Option | None:
        wanted = label.strip().casefold()
        for option in await self._options():
            if wanted in (option.name.casefold(), option.id.casefold()):
                return option
        return None

    async def _on_choice(self, s: Session, event: Incoming) -> list[Reply]:
        option = await self._option_named(event.text or "")
        if option is None or s.token is None:
            return [Reply(text(s.lang, "choice_unknown")), await self._ask_choice(s)]
        request = f"declare:{option.id}"
        key = self._key(s, request, event)
        await self.gateway.declare(s.token, self.election_id, option.id, key)
        s.pending.pop(request, None)
        s.option_id = option.id
        s.step = Step.PHOTO
        return [
            Reply(text(s.lang, "declared", option=option.name)),
            Reply(text(s.lang, "ask_photo"), ((Button("/skip"),),)),
        ]

    async def _on_photo(self, s: Session, event: Incoming) -> list[Reply]:
        if event.photo is None or s.token is None:
            if (event.text or "").strip().lower() == "/skip":
                return [await self._receipt(s)]
            return [Reply(text(s.lang, "photo_expected"), ((Button("/skip"),),))]
        basis = event.photo_id or str(event.message_id)
        side = s.sides.get(basis) or ("back" if "front" in s.sides.values() else "front")
        request = f"photo:{basis}"
        key = self._key(s, request, event, basis=basis)
        data = await event.photo()
        got = await self.gateway.ballot_photo(s.token, self.election_id, side, data, key)
        s.pending.pop(request, None)
        s.sides[basis] = side
        if all(p[0] != got.photo_id for p in s.photos):
            s.photos.append((got.photo_id, side, got.status))
        said = Reply(
            text(
                s.lang,
                "photo_received",
                photo=got.photo_id,
                status=self._status_word(s, got.status),
            )
        )
        if side == "front":
            return [said, Reply(text(s.lang, "ask_photo_back"), ((Button("/skip"),),))]
        return [said, await self._receipt(s)]

    def _status_word(self, s: Session, status: str) -> str:
        return text(s.lang, status) if status in ("pending", "accepted", "rejected") else status

    def _photo_list(self, s: Session, photos: list[tuple[int, str, str]]) -> str:
        if not photos:
            return text(s.lang, "none")
        return ", ".join(
            f"#{i} ({text(s.lang, side) if side in ('front', 'back') else side}: "
            f"{self._status_word(s, st)})"
            for i, side, st in photos
        )

    async def _option_name(self, option_id: str | None) -> str:
        for option in await self._options():
            if option.id == option_id:
                return option.name
        return option_id or "—"

    async def _receipt(self, s: Session) -> Reply:
        s.step = Step.DONE
        message = text(
            s.lang,
            "receipt",
            account=s.account_id,
            station=s.station_id,
            option=await self._option_name(s.option_id),
            photos=self._photo_list(s, s.photos),
        )
        return Reply(message, remove_keyboard=True)

    async def _on_done(self, s: Session, event: Incoming) -> list[Reply]:
        if event.photo is not None and s.token is not None:
            return await self._on_photo(s, event)
        return [Reply(text(s.lang, "done_hint"))]

    # ------------------------------------------------------------------ status, delete

    async def _status(self, s: Session) -> list[Reply]:
        if s.token is None:
            return [Reply(text(s.lang, "not_registered"))]
        state = await self.gateway.account(s.token, self.election_id)
        photos = [
            (p["photo_id"], str(p["kind"]).removeprefix("ballot_"), p["status"])
            for p in state.photos
        ]
        replies = [
            Reply(
                text(
                    s.lang,
                    "status",
                    station=state.station_id,
                    option=await self._option_name(state.option_id),
                    photos=self._photo_list(s, photos),
                )
            )
        ]
        if state.station_counts is None:
            replies.append(Reply(text(s.lang, "status_embargo")))
        else:
            counts = [
                f"{await self._option_name(o)}: {self._count(row.get('declared'))}"
                for o, row in state.station_counts.items()
            ]
            replies.append(Reply(text(s.lang, "status_counts", counts=", ".join(counts) or "—")))
        return replies

    @staticmethod
    def _count(value: object) -> str:
        # None is a count too small to publish (the minimum group size)
        return "<" if value is None else str(int(value))  # type: ignore[call-overload]

    async def _ask_delete(self, s: Session) -> list[Reply]:
        if s.token is None:
            return [Reply(text(s.lang, "not_registered"))]
        if s.step is not Step.CONFIRM_DELETE:
            s.resume = s.step
        s.step = Step.CONFIRM_DELETE
        row = (Button(text(s.lang, "button_yes")), Button(text(s.lang, "button_no")))
        return [Reply(text(s.lang, "delete_confirm"), (row,))]

    async def _on_confirm_delete(self, s: Session, event: Incoming) -> list[Reply]:
        resume, s.resume = s.resume or Step.DONE, None
        if (event.text or "").strip() != text(s.lang, "button_yes") or s.token is None:
            s.step = resume
            return [Reply(text(s.lang, "delete_kept"), remove_keyboard=True)]
        key = self._key(s, "withdraw", event)
        try:
            await self.gateway.withdraw(s.token, self.election_id, key)
        except GatewayError as exc:
            if exc.status not in (404, 405):
                s.step = resume
                raise
            s.step = resume
            return [Reply(text(s.lang, "delete_unavailable"), remove_keyboard=True)]
        self.sessions[s.user_id] = Session(s.user_id, lang=s.lang)
        return [Reply(text(s.lang, "delete_done"), remove_keyboard=True)]
