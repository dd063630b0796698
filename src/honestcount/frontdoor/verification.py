"""Proving that a phone number is the voter's own, behind one interface, and how strongly.

* :func:`contact_proof`: Telegram's shared contact. Telegram sends the contact card with the
  user id of its owner; a card whose user id is the sender's is the sender's own number (a
  forwarded or typed card of someone else's number is refused).
* :class:`OneTimeCodes`: a six-digit code for a web registration, delivered either through the
  bot (the voter opens a deep link ``t.me/<bot>?start=<challenge>``, shares the contact, and the
  bot shows the code if the number matches) or by an SMS gateway a deployment provides
  (:class:`SmsGateway`; none is bundled).

The :class:`Tier` says how a number was proved; the intake keeps it with the account so that
verdicts can be shown by tier and unverified accounts switched off per election.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Tier(StrEnum):
    """How a phone number was proved to belong to the voter (strongest last)."""

    NONE = "none"
    SMS_CODE = "sms_code"
    BOT_CODE = "bot_code"
    MESSENGER_CONTACT = "messenger_contact"


@dataclass(frozen=True)
class VerifiedPhone:
    phone: str
    tier: Tier


def normalise(phone: str) -> str | None:
    """``+`` and the digits (7 to 15, as E.164 allows), or None."""
    digits = re.sub(r"\D", "", phone)
    return "+" + digits if 7 <= len(digits) <= 15 else None


def contact_proof(sender_id: int, contact_user_id: int | None, phone: str) -> VerifiedPhone | None:
    """The sender's number if the shared contact card is the sender's own, else None."""
    number = normalise(phone)
    if contact_user_id is None or contact_user_id != sender_id or number is None:
        return None
    return VerifiedPhone(number, Tier.MESSENGER_CONTACT)


class SmsGateway(Protocol):
    """A deployment's SMS sender (none is bundled: each country has its own providers)."""

    async def send(self, phone: str, text: str) -> None: ...


@dataclass
class _Challenge:
    phone_digest: bytes
    code: str
    expires: float
    attempts: int = 0


@dataclass
class OneTimeCodes:
    """Short-lived codes proving a web registration's number (kept in memory, hashed)."""

    lifetime_s: float = 600.0
    max_attempts: int = 5
    clock: Callable[[], float] = time.monotonic
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _open: dict[str, _Challenge] = field(default_factory=dict)

    def _digest(self, phone: str) -> bytes:
        return hmac.new(self._key, phone.encode(), hashlib.sha256).digest()

    def _now(self) -> float:
        return self.clock()

    def start(self, phone: str) -> str | None:
        """A challenge id (also the bot deep-link payload) for ``phone``; None if invalid."""
        number = normalise(phone)
        if number is None:
            return None
        self._expire()
        challenge = secrets.token_urlsafe(16)
        code = f"{secrets.randbelow(10**6):06d}"
        self._open[challenge] = _Challenge(
            self._digest(number), code, self._now() + self.lifetime_s
        )
        return challenge

    def code_for(self, challenge: str, proof: VerifiedPhone) -> str | None:
        """The code, shown by the bot to the voter whose proved number is the challenge's."""
        found = self._open.get(challenge)
        if found is None or found.expires < self._now():
            return None
        if not hmac.compare_digest(found.phone_digest, self._digest(proof.phone)):
            return None
        return found.code

    async def send_sms(self, challenge: str, phone: str, gateway: SmsGateway) -> bool:
        """Send the challenge's code by SMS (for deployments with a gateway)."""
        found = self._open.get(challenge)
        number = normalise(phone)
        if found is None or number is None:
            return False
        if not hmac.compare_digest(found.phone_digest, self._digest(number)):
            return False
        await gateway.send(number, f"honestcount: {found.code}")
        return True

    def confirm(self, challenge: str, phone: str, code: str, tier: Tier) -> VerifiedPhone | None:
        """The proved number if ``code`` is right; a challenge is used once, and is dropped
        after ``max_attempts`` wrong codes."""
        found = self._open.get(challenge)
        number = normalise(phone)
        if found is None or number is None or found.expires < self._now():
            self._open.pop(challenge, None)
            return None
        found.attempts += 1
        right = hmac.compare_digest(found.code, code.strip()) and hmac.compare_digest(
            found.phone_digest, self._digest(number)
        )
        if right or found.attempts >= self.max_attempts:
            del self._open[challenge]
        return VerifiedPhone(number, tier) if right else None

    def _expire(self) -> None:
        now = self._now()
        for key in [k for k, c in self._open.items() if c.expires < now]:
            del self._open[key]
