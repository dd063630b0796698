"""Encryption at rest and keyed blind indexes for the ledger's identifying fields.

One 32-byte organisation key, given in the environment as ``HONESTCOUNT_LEDGER_KEY`` (base64
or hex) and never written to the database, yields two subkeys (BLAKE2b, keyed, with distinct
personalisation):

* an **encryption key** for PyNaCl's ``SecretBox`` (XSalsa20-Poly1305, a random nonce per
  value, authenticated: a changed byte fails to open rather than decrypting to garbage);
* an **index key** for HMAC-SHA256 blind indexes: the same normalised name and year always give
  the same index, so exact look-ups work without decrypting anything, while the index says
  nothing about the name to anyone without the key.

Plaintexts are padded to a multiple of 64 bytes before encryption, so a ciphertext's length
does not give away the length of the name inside. Each stored ciphertext carries the key's
id (a keyed hash of the key, not the key), so a wrong key is refused with a clear message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils

from honestcount.errors import HonestcountError
from honestcount.settings import get_settings

ENV_KEY = "HONESTCOUNT_LEDGER_KEY"
_PAD = 64


class LedgerKeyError(HonestcountError):
    """The ledger key is missing, malformed, or not the key the data was sealed with."""


def generate_key() -> str:
    """A new random organisation key, base64: keep it outside the database (a password
    manager, a hardware token); whoever holds it can read every name in the ledger."""
    return base64.urlsafe_b64encode(nacl.utils.random(32)).decode()


def _decode_key(text: str) -> bytes:
    text = text.strip()
    candidates = []
    if len(text) == 64:
        with contextlib.suppress(binascii.Error):
            candidates.append(binascii.unhexlify(text))
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        with contextlib.suppress(binascii.Error, ValueError):
            candidates.append(decode(text + "=" * (-len(text) % 4)))
    for raw in candidates:
        if len(raw) == 32:
            return raw
    raise LedgerKeyError(
        f"{ENV_KEY} must be 32 random bytes in base64 or hex "
        "(make one with honestcount.ledger.crypto.generate_key())"
    )


def _subkey(master: bytes, purpose: bytes) -> bytes:
    return nacl.hash.blake2b(
        b"honestcount-ledger",
        digest_size=32,
        key=master,
        person=purpose.ljust(16, b"\0")[:16],
        encoder=nacl.encoding.RawEncoder,
    )


@dataclass(frozen=True)
class Vault:
    """Seals and opens identifying values, and computes blind indexes, with one key."""

    _box: nacl.secret.SecretBox = field(repr=False)
    _index_key: bytes = field(repr=False)
    key_id: str

    @classmethod
    def from_key(cls, key: str | bytes) -> Vault:
        master = key if isinstance(key, bytes) and len(key) == 32 else _decode_key(str(key))
        box = nacl.secret.SecretBox(_subkey(master, b"encrypt"))
        index_key = _subkey(master, b"blind-index")
        key_id = _subkey(master, b"key-id").hex()[:16]
        return cls(box, index_key, key_id)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Vault:
        """The vault of the configured key (``HONESTCOUNT_LEDGER_KEY`` through
        :func:`honestcount.settings.get_settings`), or of ``environ[ENV_KEY]`` when a mapping
        is given (tests)."""
        if environ is not None:
            value = environ.get(ENV_KEY)
        else:
            secret = get_settings().ledger_key
            value = secret.get_secret_value() if secret is not None else None
        if not value:
            raise LedgerKeyError(
                f"the ledger key is not set: put the organisation's key in {ENV_KEY}"
            )
        return cls.from_key(value)

    # --- sealing ---------------------------------------------------------------------------

    def seal(self, value: object) -> bytes:
        """Encrypt any JSON-able value; the result is safe to store."""
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        padded = plain + b" " * (-len(plain) % _PAD)
        return self._box.encrypt(padded)

    def open(self, sealed: bytes | memoryview | None) -> Any:
        """The value that :meth:`seal` encrypted. Raises when the key is not the right one."""
        if sealed is None:
            return None
        try:
            plain = self._box.decrypt(bytes(sealed))
        except nacl.exceptions.CryptoError as err:
            raise LedgerKeyError(
                "a sealed value cannot be opened with this key (wrong key, or damaged data)"
            ) from err
        return json.loads(plain.decode().rstrip(" "))

    # --- blind indexes ---------------------------------------------------------------------

    def blind(self, *parts: object) -> str:
        """A keyed index of normalised parts: equal parts give equal indexes (128 bits, hex)."""
        message = "\x1f".join("" if p is None else str(p) for p in parts).encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()[:32]

    def check(self, key_id: str | None) -> None:
        """Refuse to work on data sealed under another key."""
        if key_id and key_id != self.key_id:
            raise LedgerKeyError(
                f"the ledger was sealed with key {key_id}, not with the key in {ENV_KEY} "
                f"({self.key_id})"
            )
