"""The photo store's interface: bytes in, a content-derived key out.

A key is 64 lowercase hex digits: the SHA-256 of the bytes for the public store, or a keyed
hash (HMAC) for the sealed staging store, so that a key never leads back to a file on a
sender's phone. Every implementation is idempotent: storing the same bytes twice keeps one
object, deleting a missing object is not an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from honestcount.errors import HonestcountError

HEX = frozenset("0123456789abcdef")


class StorageError(HonestcountError):
    """The store could not do what was asked (unreachable, refused, misconfigured)."""


class MissingObject(StorageError, KeyError):
    """No object under this key."""

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return f"no stored object {self.args[0] if self.args else ''}"


def content_key(data: bytes) -> str:
    """The key of ``data`` in a content-addressed store: its SHA-256, hex."""
    return hashlib.sha256(data).hexdigest()


def check_key(key: str) -> str:
    """``key`` itself if it is 64 lowercase hex digits; raises :class:`MissingObject` if not
    (a malformed key names no object, and must never become a path or an object name)."""
    if len(key) != 64 or not HEX.issuperset(key):
        raise MissingObject(key)
    return key


@runtime_checkable
class PhotoStore(Protocol):
    """Where photo bytes live."""

    def put(self, data: bytes, key: str | None = None) -> str:
        """Store ``data`` durably; returns its key (``content_key(data)`` unless ``key`` is
        given by a wrapper that derives its own). Returns only once the bytes are durable."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises :class:`MissingObject`."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""
        ...

    def keys(self) -> Iterator[str]:
        """Every key in the store (for sweeps and migrations between stores)."""
        ...


class HashKeyedStore:
    """The intake's former calling form, ``put(sha256, data)``, over a :class:`PhotoStore`;
    the given hash is checked against the bytes. The intake now calls ``put(data)`` and
    ``Intake.open`` unwraps one of these, so callers that still pass it keep working."""

    def __init__(self, inner: PhotoStore) -> None:
        self.inner = inner

    def put(self, sha256: str, data: bytes) -> str:
        if content_key(data) != sha256:
            raise StorageError("the photo's bytes do not match the hash given for them")
        return self.inner.put(data)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)
