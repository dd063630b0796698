"""Uploads waiting for the photo worker, sealed.

An upload still carries what the worker will strip (EXIF with GPS, camera serials, anything
appended). While it waits it is encrypted (XSalsa20-Poly1305, libsodium's secretbox) and named
by a keyed hash of its bytes: a seized disk or bucket shows neither the pictures nor which
files from a seized phone were sent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from honestcount.storage.base import PhotoStore, StorageError

MIN_SECRET = 32


class SealedStore:
    """A :class:`PhotoStore` over another one that seals every object."""

    def __init__(self, inner: PhotoStore, secret: bytes) -> None:
        if len(secret) < MIN_SECRET:
            raise StorageError(f"the staging key must be at least {MIN_SECRET} bytes")
        self.inner = inner
        # Separate keys for naming and sealing, both derived from the one secret.
        self._name_key = hashlib.blake2b(secret, person=b"hc-stage-name", digest_size=32).digest()
        box_key = hashlib.blake2b(secret, person=b"hc-stage-seal", digest_size=32).digest()
        self._box = SecretBox(box_key)

    def __repr__(self) -> str:
        return f"SealedStore({self.inner!r})"

    def key_of(self, data: bytes, salt: bytes = b"") -> str:
        """The name of ``data``; with ``salt`` (e.g. the request that sent it), the same
        bytes sent by two requests get two names."""
        mac = hmac.new(self._name_key, len(salt).to_bytes(4, "big") + salt, hashlib.sha256)
        mac.update(data)
        return mac.hexdigest()

    def put(self, data: bytes, key: str | None = None) -> str:
        key = key or self.key_of(data)
        if not self.inner.exists(key):  # the same upload twice: one object
            self.inner.put(bytes(self._box.encrypt(data)), key)
        return key

    def get(self, key: str) -> bytes:
        try:
            return bytes(self._box.decrypt(self.inner.get(key)))
        except CryptoError:
            raise StorageError(f"staged object {key} does not open with this key") from None

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def keys(self) -> Iterator[str]:
        return self.inner.keys()
