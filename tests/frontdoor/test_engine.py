"""The conversation engine alone, with a scripted intake: keys, refusals, withdrawal, the web
code, and the station directory and message catalogue it relies on."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from frontdoor.helpers import MINSK, STATIONS
from honestcount.frontdoor.engine import Contact, Conversation, Incoming, Step
from honestcount.frontdoor.gateway import (
    AccountState,
    ElectionInfo,
    GatewayError,
    Option,
    PhotoReceipt,
    Registration,
)
from honestcount.frontdoor.messages import MESSAGES, text
from honestcount.frontdoor.stations import Station, StationDirectory
from honestcount.frontdoor.verification import OneTimeCodes, Tier, contact_proof

USER = 42


class ScriptedIntake:
    """Records every call; ``fail`` holds errors to raise on the next calls of an operation."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.fail: dict[str, list[GatewayError]] = {}
        self.replay_without_token = False
        self.withdraw_supported = True
        self.tiers: list[str | None] = []
        self.vouched: list[tuple[str, str, str]] = []

    async def vouch(self, challenge, phone, tier):
        self._record("vouch", challenge)
        self.vouched.append((challenge, phone, tier))
        if phone != "+375291234567":
            raise GatewayError(403, "this number is not the one the account registered with")
        return "424242"

    def _record(self, op: str, *args) -> None:
        self.calls.append((op, args))
        errors = self.fail.get(op)
        if errors:
            raise errors.pop(0)

    def keys(self, op: str) -> list[str]:
        return [args[-1] for name, args in self.calls if name == op]

    async def election(self, election_id):
        return ElectionInfo(election_id, "E", (Option("a", "Alpha", "candidate"),))

    async def register(self, election_id, phone, station_id, key, tier=None):
        self._record("register", phone, station_id, key)
        self.tiers.append(tier)
        token = None if self.replay_without_token else f"tok-{key[:6]}"
        self.replay_without_token = False
        return Registration(7, station_id, token)

    async def declare(self, token, election_id, option_id, key):
        self._record("declare", option_id, key)
        return option_id

    async def ballot_photo(self, token, election_id, side, data, key):
        self._record("photo", side, key)
        return PhotoReceipt(len(self.calls), side, "pending")

    async def account(self, token, election_id):
        self._record("account", token)
        return AccountState(7, "07-001-0001", "a", [], False, None)

    async def withdraw(self, token, election_id, key):
        self._record("withdraw", key)
        if not self.withdraw_supported:
            raise GatewayError(405, "Method Not Allowed")


def directory() -> StationDirectory:
    return StationDirectory(
        Station(sid, r.town, r.name, None, r.region, r.latitude, r.longitude)
        for sid, r in STATIONS.iterrows()
    )


class Chat:
    def __init__(self, intake: ScriptedIntake, codes: OneTimeCodes | None = None) -> None:
        self.conv = Conversation(intake, directory(), "e", b"secret", codes=codes)
        self.ids = itertools.count(1)

    def send(self, message: str | None = None, **kw) -> list[str]:
        event = Incoming(USER, next(self.ids), text=message, **kw)
        return [r.text for r in asyncio.run(self.conv.handle(event))]

    @property
    def session(self):
        return self.conv.sessions[USER]

    def to_station(self, lang: str = "en") -> None:
        self.send("/start")
        self.send(lang)
        self.send(contact=Contact("375291234567", USER))


def test_an_unreachable_intake_is_retried_with_the_same_key():
    intake = ScriptedIntake()
    intake.fail["register"] = [GatewayError(0, "ConnectError"), GatewayError(429, "slow down")]
    chat = Chat(intake)
    chat.to_station()
    assert chat.send("07-001-0001") == [text("en", "busy")]
    assert chat.send("07-001-0001") == [text("en", "busy")]
    replies = chat.send("07-001-0001")
    assert replies[0].startswith("You are registered")
    keys = intake.keys("register")
    assert len(keys) == 3 and len(set(keys)) == 1
    assert chat.session.phone is None  # dropped once registered
    assert chat.session.pending == {}


def test_a_replay_without_a_token_registers_afresh():
    intake = ScriptedIntake()
    intake.replay_without_token = True
    chat = Chat(intake)
    chat.to_station()
    chat.send("07-001-0001")
    keys = intake.keys("register")
    assert len(keys) == 2 and keys[0] != keys[1]
    assert chat.session.token == f"tok-{keys[1][:6]}"


def test_a_number_already_registered_is_said_so():
    intake = ScriptedIntake()
    intake.fail["register"] = [GatewayError(409, "already registered")]
    chat = Chat(intake)
    chat.to_station("ru")
    assert chat.send("07-001-0001") == [text("ru", "already_registered")]
    assert chat.session.phone is None and chat.session.step is Step.DONE


def test_a_refusal_is_passed_on_and_the_voter_can_choose_again():
    intake = ScriptedIntake()
    intake.fail["declare"] = [GatewayError(422, "declarations closed")]
    chat = Chat(intake)
    chat.to_station()
    chat.send("07-001-0001")
    assert chat.send("Alpha") == [text("en", "refused", detail="declarations closed")]
    assert chat.session.step is Step.CHOICE
    assert chat.send("nobody")[0] == text("en", "choice_unknown")
    assert chat.send("alpha")[0] == text("en", "declared", option="Alpha")


def test_withdrawal_asks_first_and_says_when_the_server_cannot():
    intake = ScriptedIntake()
    chat = Chat(intake)
    chat.to_station("be")
    chat.send("07-001-0001")
    assert chat.send("/delete") == [text("be", "delete_confirm")]
    assert chat.send(text("be", "button_no")) == [text("be", "delete_kept")]
    assert chat.session.step is Step.CHOICE and not intake.keys("withdraw")
    intake.withdraw_supported = False
    chat.send("/delete")
    assert chat.send(text("be", "button_yes")) == [text("be", "delete_unavailable")]
    assert chat.session.token is not None
    intake.withdraw_supported = True
    chat.send("/delete")
    assert chat.send(text("be", "button_yes")) == [text("be", "delete_done")]
    assert chat.session.token is None and chat.session.lang == "be"
    assert chat.send("/status") == [text("be", "not_registered")]


def test_skip_and_language_change_keep_the_place():
    intake = ScriptedIntake()
    chat = Chat(intake)
    chat.to_station()
    chat.send("07-001-0001")
    chat.send("Alpha")
    chat.send("/language")
    assert chat.send("Русский") == [text("ru", "done_hint")]
    assert chat.session.step is Step.PHOTO
    assert chat.send("/skip")[0].startswith(
        text("ru", "receipt", account=7, station="x", option="x", photos="x")[:20]
    )
    assert chat.session.step is Step.DONE


def test_a_web_registration_gets_its_code_through_the_bot():
    codes = OneTimeCodes()
    challenge = codes.start("+375 29 123 45 67")
    assert challenge is not None
    chat = Chat(ScriptedIntake(), codes)
    chat.send(f"/start {challenge}")
    chat.send("English")
    reply = chat.send(contact=Contact("375291234567", USER))[0]
    code = reply.rsplit(" ", 1)[1]
    assert reply == text("en", "web_code", code=code)
    assert (
        codes.confirm(
            challenge, "+375291234567", "000000" if code != "000000" else "1", Tier.BOT_CODE
        )
        is None
    )
    assert codes.confirm(challenge, "+375291234567", code, Tier.BOT_CODE) is not None
    assert codes.confirm(challenge, "+375291234567", code, Tier.BOT_CODE) is None  # used once


def test_a_web_code_is_not_shown_for_another_number():
    codes = OneTimeCodes()
    challenge = codes.start("+375 29 000 00 00")
    chat = Chat(ScriptedIntake(), codes)
    chat.send(f"/start {challenge}")
    chat.send("English")
    assert chat.send(contact=Contact("375291234567", USER)) == [text("en", "web_code_mismatch")]


def test_codes_expire_and_wrong_guesses_are_limited():
    now = [0.0]
    codes = OneTimeCodes(lifetime_s=60, max_attempts=3, clock=lambda: now[0])
    first = codes.start("+375291234567")
    for _ in range(3):
        assert codes.confirm(first, "+375291234567", "bad", Tier.SMS_CODE) is None
    assert first not in codes._open
    second = codes.start("+375291234567")
    now[0] = 61.0
    proof = contact_proof(USER, USER, "+375291234567")
    assert proof is not None and codes.code_for(second, proof) is None


def test_contact_proof_needs_the_senders_own_card():
    assert contact_proof(1, 1, "375 29 123 45 67").phone == "+375291234567"
    assert contact_proof(1, 1, "375 29 123 45 67").tier is Tier.MESSENGER_CONTACT
    assert contact_proof(1, 2, "375291234567") is None
    assert contact_proof(1, None, "375291234567") is None
    assert contact_proof(1, 1, "12") is None


@pytest.mark.parametrize("query", ["Мінск", "Минск", "Minsk", "MINSK", "минск"])
def test_the_town_in_any_script_finds_the_same_stations(query):
    assert {s.id for s in directory().find(query)} == MINSK


def test_numbers_and_locations():
    d = directory()
    assert [s.id for s in d.find("07-002-0042")] == ["07-002-0042"]
    assert {s.id for s in d.find("42")} == {"07-002-0042", "01-010-0042"}
    assert [s.id for s in d.find("070020042")] == ["07-002-0042"]
    assert d.find("999") == [] and d.find("") == []
    assert [s.id for s in d.find("Гомель")] == ["03-001-0001"]  # Gomel, Homiel, Гомель
    nearest = d.nearest(52.1, 23.7, k=5)
    assert nearest[0].id == "01-010-0042" and len(nearest) == 5
    assert all(s.latitude is not None for s in nearest)


def test_every_message_exists_in_every_language_with_the_same_fields():
    import string

    def fields(s: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(s) if f}

    english = MESSAGES["en"]
    for lang, catalog in MESSAGES.items():
        assert catalog.keys() == english.keys(), lang
        for key, message in catalog.items():
            assert fields(message) == fields(english[key]), (lang, key)


def test_one_users_messages_are_handled_in_order_and_nothing_is_kept_after():
    conv = Conversation(ScriptedIntake(), directory(), "e", b"secret")

    async def burst():
        events = [Incoming(USER, 1, text="/start"), Incoming(USER, 2, text="English")]
        return await asyncio.gather(*(conv.handle(e) for e in events))

    first, second = asyncio.run(burst())
    assert first[0].text == text(None, "choose_language")
    assert second[0].text.startswith(
        text("en", "ask_contact", button="", messenger="Telegram")[:20]
    )
    assert conv._locks == {} and conv._waiting == {}


def test_the_intake_vouches_for_a_web_registration_and_registrations_carry_the_tier():
    intake = ScriptedIntake()
    chat = Chat(intake)  # no codes of its own: the intake holds the challenge
    chat.send("/start webchallenge1")
    chat.send("English")
    reply = chat.send(contact=Contact("375291234567", USER))[0]
    assert reply == text("en", "web_code", code="424242")
    assert intake.vouched == [("webchallenge1", "+375291234567", "messenger_contact")]
    other = Chat(intake)
    other.send("/start webchallenge2")
    other.send("English")
    refused = other.send(contact=Contact("375290000000", USER))[0]
    assert refused == text("en", "web_code_mismatch")
    # A plain conversation registers with the tier the contact card proved.
    plain = Chat(intake)
    plain.to_station()
    plain.send("07-001-0001")
    assert intake.tiers == ["messenger_contact"]
