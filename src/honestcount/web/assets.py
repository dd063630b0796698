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


@assets.get("/static/{path:path}")
def static(request: Request, path: str) -> Response:
    root = STATIC.resolve()
    target = (root / path).resolve()
    if not target.is_file() or root not in target.parents:
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
