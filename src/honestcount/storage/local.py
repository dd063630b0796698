"""Photos in a local folder: ``ab/cd/<key>.jpg`` (the layout the intake has always used)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from honestcount.storage.base import HEX, MissingObject, check_key, content_key

SUFFIX = ".jpg"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore:
    """A private folder: directories 0700, files 0600; writes are atomic and fsynced, so a
    crash leaves either the whole object or none (never a torn photo under a valid key)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)  # created with the first object, not before

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key[2:4] / f"{key}{SUFFIX}"

    def _mkdirs(self, folder: Path) -> None:
        missing = []
        probe = folder
        while not probe.exists():
            missing.append(probe)
            probe = probe.parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                path.mkdir(mode=0o700)
                _fsync_dir(path.parent)

    def put(self, data: bytes, key: str | None = None) -> str:
        key = check_key(key) if key is not None else content_key(data)
        path = self._path(key)
        if path.exists():
            return key
        self._mkdirs(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingObject(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except MissingObject:
            return False

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def keys(self) -> Iterator[str]:
        for path in self.root.glob(f"??/??/*{SUFFIX}"):
            key = path.name.removesuffix(SUFFIX)
            if len(key) == 64 and HEX.issuperset(key):
                yield key
