"""The site's static files (CSS, scripts, vendored Leaflet): served with a year's cache, the
text ones gzipped once per process."""

from __future__ import annotations

import gzip
import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from honestcount.web.http import IMMUTABLE
from honestcount.web.render import STATIC

assets = APIRouter(include_in_schema=False)
_packed: dict[Path, bytes] = {}


def odd(path: str) -> bool:
    """A path no file of ours has: control characters (NUL among them: the OS refuses it),
    a backslash, or a part longer than a file name may be."""
    return (
        any(ord(c) < 32 or c in "\\\x7f" for c in path)
        or len(path) > 1024
        or any(len(part.encode("utf-8", "replace")) > 255 for part in path.split("/"))
    )


def _file(root: Path, path: str) -> Path | None:
    """``root / path`` if it is a file inside ``root``; None for anything else (odd names
    included: they answer 404, never 500)."""
    if odd(path):
        return None
    try:
        target = (root / path).resolve()
        if root not in target.parents or not target.is_file():
            return None
    except (OSError, ValueError):
        return None
    return target


@assets.get("/static/{path:path}")
def static(request: Request, path: str) -> Response:
    target = _file(STATIC.resolve(), path)
    if target is None:
        return Response("not found", status_code=404, media_type="text/plain")
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix == ".js":
        kind = "text/javascript"
    headers = {"Cache-Control": IMMUTABLE}
    if target.suffix in (".js", ".css", ".svg", ".json") and "gzip" in request.headers.get(
        "accept-encoding", ""
    ):
        body = _packed.get(target)
        if body is None:
            body = _packed[target] = gzip.compress(target.read_bytes(), 9)
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(body, media_type=kind, headers=headers)
    return FileResponse(target, media_type=kind, headers=headers)
