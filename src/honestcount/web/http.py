"""What every public page needs from a request, and how its answer is sent.

* :class:`Public` (one per mounted site) holds the :class:`~honestcount.web.site.Site`, the
  optional tile layer, the security headers and the cache of rendered answers. The routers
  reach it through :func:`public` (``Depends``); :func:`honestcount.web.routes.router` binds it.
* :class:`Ctx` (``Depends(ctx)``) is one request: language (``?lang=``, then the ``hc_lang``
  cookie the switch sets, then ``Accept-Language``), translator, links.
* :meth:`Ctx.answer` renders a page or its JSON twin once per state of the store
  (:meth:`Site.version`), keeps the bytes and their gzip, and answers ``If-None-Match`` with
  304: on election night a page costs a dictionary look-up, not a render.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from honestcount.settings import get_settings
from honestcount.web import views
from honestcount.web.i18n import LANGUAGES, Translator, negotiate, translator
from honestcount.web.render import ServerUrls, render
from honestcount.web.site import Site, Snapshot

COOKIE = "hc_lang"
JSON = "application/json"
HTML = "text/html; charset=utf-8"
HTML_CACHE = "public, max-age=60"
IMMUTABLE = "public, max-age=31536000, immutable"
GZIP_MIN = 1400  # bytes: smaller answers fit one packet anyway
RENDERED_MAX = 4000  # answers kept per site (least recently used dropped)


def tiles_from_settings() -> dict[str, str] | None:
    """A tile layer only if the operator names one (their own tile server): by default the map
    loads nothing from anyone else."""
    settings = get_settings()
    if not settings.tiles:
        return None
    return {"url": settings.tiles, "attribution": settings.tiles_attribution}


def security_headers(tiles: dict[str, str] | None) -> dict[str, str]:
    """Pages load nothing from elsewhere (tiles aside, when the operator names a server), and
    following a link out does not tell the other site which page a visitor was reading."""
    images = "'self' data:"
    if tiles:
        # Leaflet's {s} is a subdomain (a., b., c.): the policy must admit every one
        parts = urlsplit(tiles["url"].replace("{s}.", "*."))
        host = parts.netloc
        images += f" {parts.scheme}://{host}" if host and "{" not in host else " https:"
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            # no other site may frame a page (a search form under someone else's overlay)
            "frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


@dataclass(frozen=True)
class Answer:
    """One rendered answer: its bytes, their gzip and an ETag."""

    body: bytes
    media_type: str
    headers: dict[str, str]
    status: int = 200
    packed: bytes | None = None
    etag: str = ""

    @classmethod
    def of(cls, body: bytes, media_type: str, headers: dict[str, str], status: int = 200):
        packed = gzip.compress(body, 6, mtime=0) if len(body) > GZIP_MIN else None
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        return cls(body, media_type, headers, status, packed, etag)

    def send(self, request: Request, cookie: str | None = None) -> Response:
        headers = dict(self.headers)
        headers["ETag"] = self.etag
        vary = {v.strip() for v in headers.get("Vary", "").split(",") if v.strip()}
        headers["Vary"] = ", ".join(sorted(vary | {"Accept-Encoding"}))
        if self.status == 200 and self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body = self.body
        if self.packed is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = self.packed
            headers["Content-Encoding"] = "gzip"
        response = Response(body, status_code=self.status, media_type=self.media_type)
        response.headers.update(headers)
        if cookie:
            response.set_cookie(COOKIE, cookie, max_age=365 * 86400, samesite="lax")
        return response


@dataclass
class Public:
    """One mounted public site: data, tiles, headers and the rendered answers."""

    site: Site
    tiles: dict[str, str] | None
    security: dict[str, str] = field(default_factory=dict)
    rendered: OrderedDict[tuple[Any, ...], Answer] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.security = security_headers(self.tiles)

    def recall(self, key: tuple[Any, ...]) -> Answer | None:
        hit = self.rendered.get(key)
        if hit is not None:
            with self.lock:
                if key in self.rendered:
                    self.rendered.move_to_end(key)
        return hit

    def keep(self, key: tuple[Any, ...], answer: Answer) -> None:
        with self.lock:
            self.rendered[key] = answer
            while len(self.rendered) > RENDERED_MAX:
                self.rendered.popitem(last=False)


def public(request: Request) -> Public:
    """The site this request is for (bound by :func:`honestcount.web.routes.router`)."""
    bound: Public = request.state.honestcount_public
    return bound


def language(request: Request) -> tuple[str, bool]:
    """The page language and whether the visitor chose it just now (``?lang=``)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked), True
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return str(cookie), False
    return negotiate(request.headers.get("accept-language")), False


@dataclass
class Ctx:
    """One request to a public page."""

    request: Request
    public: Public
    lang: str
    chosen: bool
    t: Translator

    @property
    def site(self) -> Site:
        return self.public.site

    @property
    def twin(self) -> bool:
        """Whether the JSON twin was asked for (the page's URL plus ``.json``)."""
        return self.request.url.path.endswith(".json")

    def urls(self, path: str = "") -> ServerUrls:
        root = self.request.scope.get("root_path", "")
        query: dict[str, list[str]] = {}
        for key, value in self.request.query_params.multi_items():
            query.setdefault(key, []).append(value)
        flat = {k: v if len(v) > 1 else v[0] for k, v in query.items()}
        return ServerUrls(root, root + path, flat)

    def snapshot(self, eid: str) -> Snapshot | None:
        return self.site.snapshot(eid)

    # answers ----------------------------------------------------------------------------
    def page(
        self, path: str, template: str, *, title: Any, status: int = 200, **context: Any
    ) -> Answer:
        """A page rendered in this request's language."""
        snap = context.pop("snap", None)
        html = render(
            template,
            t=self.t,
            u=self.urls(path),
            title=title(self.t) if callable(title) else title,
            election=snap.election if snap is not None else None,
            generated=None,
            **context,
        )
        headers = dict(self.public.security)
        headers |= {"Content-Language": self.lang, "Cache-Control": HTML_CACHE}
        headers["Vary"] = "Accept-Language, Cookie"
        return Answer.of(html.encode(), HTML, headers, status)

    def data(self, doc: Any, media_type: str = JSON, status: int = 200) -> Answer:
        body = doc if isinstance(doc, bytes) else views.dumps(doc)
        headers = {"Cache-Control": HTML_CACHE, "Access-Control-Allow-Origin": "*"}
        return Answer.of(body, media_type, headers, status)

    def send(self, answer: Answer) -> Response:
        return answer.send(self.request, self.lang if self.chosen else None)

    def answer(
        self, snap: Snapshot | None, build: Callable[[], Answer], *, cacheable: bool = True
    ) -> Response:
        """``build()`` once per state of the store, language and URL (see the module
        docstring); answers that show work in progress are not kept."""
        version = self.site.version(snap) if snap is not None else self.site.elections_version()
        key = (
            version,
            "json" if self.twin else self.lang,
            self.request.url.path,
            str(self.request.url.query),
        )
        hit = self.public.recall(key)
        if hit is not None:
            return self.send(hit)
        made = build()
        if cacheable and (snap is None or self.site.settled(snap)):
            self.public.keep(key, made)
        return self.send(made)

    def not_found(self, message: str, as_json: bool | None = None) -> Response:
        if self.twin if as_json is None else as_json:
            return self.send(self.data({"error": "not_found", "message": message}, status=404))
        page = self.page(
            self.request.url.path,
            "error.html",
            status=404,
            title=lambda t: t("error.not_found"),
            message=message,
        )
        return self.send(page)

    def missing_election(self, eid: str) -> Response:
        return self.not_found(self.t("error.no_election", id=eid))


def ctx(request: Request, site: Public = Depends(public)) -> Ctx:  # noqa: B008
    lang, chosen = language(request)
    return Ctx(request, site, lang, chosen, translator(lang))
