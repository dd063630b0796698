"""Phone numbers as keyed hashes, bearer tokens stored as hashes, and rate limits."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    DIGITISER = "digitiser"
    OBSERVER = "observer"
    VOTER = "voter"


_SEPARATORS = re.compile(r"[\s\-().\u00a0\u2010-\u2015/]")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def normalise_phone(raw: str) -> str | None:
    """The E.164 form (``+375291234567``) of a number written with spaces, dashes or ``00``.

    Only international numbers are accepted: a local form (``8 029 ...``) means different
    numbers in different countries. Returns None when the text is not such a number.
    """
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    return text if _E164.fullmatch(text) else None


def phone_hmac(key: bytes, election_id: str, phone: str) -> str:
    """HMAC-SHA256(server secret, election id + normalised number), hex.

    The election id is part of the message, so the same person's accounts in two elections
    cannot be linked from the database alone; within an election the value is unique, which
    gives one account per number per election.
    """
    message = f"{election_id}\0{phone}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def new_token() -> str:
    """A bearer token: 256 random bits, URL-safe. Only its SHA-256 is stored."""
    return "hc_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # A fast hash is right here: the token has 256 bits of entropy, nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class RateLimiter:
    """Token buckets keyed by any string, bounded in memory (least recently used dropped).

    Limits are per process: with N processes the service admits up to N times the rate (on
    PostgreSQL the intake uses :class:`~.limits.SharedRateLimiter` instead).
    """

    def __init__(self, max_keys: int = 200_000) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def take(self, key: str, per_minute: float, burst: float | None = None) -> float:
        """Take one token; returns 0 if allowed, else the seconds to wait before a retry."""
        rate = per_minute / 60.0
        capacity = burst if burst is not None else max(1.0, per_minute / 4)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / rate
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait

    def take_all(self, buckets: Sequence[tuple[str, float, float | None]]) -> float:
        """One token from each (key, per minute, burst); the longest wait, 0 if none."""
        return max((self.take(*bucket) for bucket in buckets), default=0.0)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class TtlCache:
    """A small thread-safe cache whose entries expire after ``ttl`` seconds."""

    def __init__(self, ttl: float, max_items: int = 100_000) -> None:
        self.ttl = ttl
        self._items: OrderedDict[object, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_items

    def get(self, key):
        if self.ttl <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] < time.monotonic():
                return None
            return item[1]

    def put(self, key, value) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def drop(self, key) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
