"""The aftermath ledger on the public site: figures, claims beside them, and the relatives'
search. Mounted at ``/`` next to :mod:`honestcount.web.routes` (see docs/ledger.md, *On the
public site*).

* ``/aftermath`` (twin ``/aftermath.json``): counts of people detained, held, released,
  injured and dead, as low–high ranges by day, place and facility, and every stated claim
  beside what the cases support. Aggregates only; small place and facility counts are
  withheld (``min_cell``).
* ``/aftermath/search`` (form; ``POST`` answers in HTML) and ``POST /aftermath/search.json``:
  the relatives' search (:func:`honestcount.ledger.cases.relatives_search`). It answers only
  *found / not found* and *last recorded where and when*: the date, the city, and the
  facility only when it is a known place of detention (a hospital, a morgue or any other
  place is "not disclosed": where a person was taken can say what happened to them). It is
  rate-limited per client address and every query is written to the ledger's access log by
  the core. Names travel in the request body (4 KB at most), never in a URL, and answers are
  not cached. It does not answer other sites: no ``Access-Control-Allow-Origin``, the JSON
  search takes only JSON bodies, and a request another origin sent (``Origin``,
  ``Sec-Fetch-Site``) is refused; the form is accepted only from this site's own page.

The organisation key is needed only by the search; without it the search says it is not
available here and the figures still work.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import Engine

from honestcount.intake.security import RateLimiter, retry_after
from honestcount.ledger import cases, claims, figures
from honestcount.ledger.crypto import LedgerKeyError, Vault
from honestcount.ledger.names import FACILITY_CITY
from honestcount.web import views
from honestcount.web.http import COOKIE, HTML_CACHE, JSON, language, security_headers
from honestcount.web.i18n import Translator, translator
from honestcount.web.render import ServerUrls, render

KINDS = ("detained", "held", "released", "injured", "died")
MAX_FIELD = 120  # characters of a name field or a year a search accepts
MAX_BODY = 4096  # bytes of a search request's body
NOT_DISCLOSED = "not_disclosed"  # a facility that is not a known place of detention
SEARCH_ACTOR = "public-search"


# --- the document ------------------------------------------------------------------------


def aftermath_doc(engine: Engine, *, min_cell: int = 5) -> dict[str, Any]:
    """Figures and claims as one public document (what the page and its twin show)."""
    fig = figures.figures(engine, min_cell=min_cell)
    report = claims.claims_report(engine)
    days = fig.get("by_day", [])
    groups = claim_groups(report["claims"])
    return {
        "as_of": fig.get("as_of"),
        "range_method": fig.get("range_method"),
        "records": fig["records"],
        "people": fig["people"],
        "review_pairs": fig["review_pairs"],
        "min_cell": min_cell,
        "totals": {
            k: fig["totals"][k]
            for k in ("detained", "held_now", "released", "injured", "died", "missing", "tried")
            if k in fig.get("totals", {})
        },
        "undated": fig.get("undated", {}),
        "by_day": days,
        "by_place": fig.get("by_place", []),
        "by_facility": fig.get("by_facility", []),
        "claims": [_public_claim(c) for c in report["claims"]],
        "claim_groups": groups,
        "claim_sides": [k for k in SIDES if any(g["sides"][k] for g in groups)],
        "links": {"page": "/aftermath", "json": "/aftermath.json", "search": "/aftermath/search"},
    }


def _public_claim(c: dict) -> dict:
    keep = (
        "kind", "quantity", "qualifier", "quantity_text", "source", "source_kind",
        "reported_by", "date", "scope", "statement", "note", "url", "supported",
        "supported_range", "gap", "gap_range", "bundled",
    )  # fmt: skip
    out = {k: c.get(k) for k in keep}
    out["reading"] = gap_reading(c)
    return out


SIDES = ("official_statement", "rights_group", "media", "other")  # columns, left to right
SAME_KIND = {"killed": "died"}  # one count: "killed" is a reading of a death's cause


def claim_groups(claims_: list[dict]) -> list[dict]:
    """Claims of the same kind whose periods overlap, side by side: the official figure
    beside the rights groups' beside the media's (``sides``: source kind -> claims, each with
    its source, date, scope and URL, ``None`` where none was recorded)."""
    groups: list[dict] = []
    ordered = sorted(claims_, key=lambda c: (c["kind"], c["scope"].get("from") or ""))
    for c in ordered:
        kind = SAME_KIND.get(c["kind"], c["kind"])
        start = c["scope"].get("from") or c["scope"].get("to")
        end = c["scope"].get("to") or start
        group = next((g for g in groups if g["kind"] == kind and _overlaps(g, start, end)), None)
        if group is None:
            group = {"kind": kind, "from": start, "to": end, "sides": {k: [] for k in SIDES}}
            groups.append(group)
        group["from"] = min(x for x in (group["from"], start) if x) if start else group["from"]
        group["to"] = max(x for x in (group["to"], end) if x) if end else group["to"]
        side = c["source_kind"] if c["source_kind"] in SIDES else "other"
        group["sides"][side].append(
            {k: c.get(k) for k in ("kind", "quantity", "qualifier", "source", "reported_by")}
            | {"date": c.get("date"), "places": c["scope"].get("places", []), "url": c.get("url")}
        )
    for g in groups:
        g["compared"] = sum(1 for side in g["sides"].values() if side) > 1
    return groups


def _overlaps(group: dict, start: str | None, end: str | None) -> bool:
    if not (start and group["from"]):
        return start == group["from"]
    return start <= group["to"] and group["from"] <= (end or start)


def gap_reading(c: dict) -> str:
    """How a claim stands against the cases, in one word (the page words it carefully).

    ``within``: the claim lies inside what the cases support; ``above``: the claim says more
    than the cases show (common: lists are never complete); ``below``: the cases show more
    than the claim says. A claim of *more than*, *at least* or *hundreds* is a floor, so cases
    above it do not contradict it.
    """
    low, high = c["supported_range"]["low"], c["supported_range"]["high"]
    q = c["quantity"]
    floor = c.get("qualifier") in ("more_than", "at_least", "hundreds", "thousands")
    if q > high:
        return "above"
    if q < low:
        return "consistent_floor" if floor else "below"
    return "within"


# --- the timeline chart --------------------------------------------------------------------

_SERIES = (  # kind, colour (Okabe-Ito), drawn as
    ("detained", "#0072b2", "bar"),
    ("released", "#009e73", "bar"),
    ("held", "#d55e00", "line"),
)


def timeline_svg(days: list[dict], t: Translator) -> Markup:
    """A small inline SVG: people first recorded detained and released per day (bars, best
    reading, whiskers low–high) and people held at the end of each day (line, band low–high).
    The table under it carries the same numbers for screen readers and copying."""
    if not days:
        return Markup("")
    width, height, left, right, top, bottom = 720, 240, 48, 12, 12, 40
    top_value = 1
    for d in days:
        for kind, _, _ in _SERIES:
            r = d.get(kind)
            if isinstance(r, dict):
                top_value = max(top_value, r["high"])
    step = _nice_step(top_value)
    top_value = step * -(-top_value // step)
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(days)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="timeline-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="timeline-title">{escape(t("ledger.chart.title"))}</title>',
    ]
    v = 0
    while v <= top_value:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#d5d9de" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(t.num(v))}</text>"
        )
        v += step
    bars = [s for s in _SERIES if s[2] == "bar"]
    bar_w = slot * 0.8 / len(bars)
    for i, d in enumerate(days):
        x0 = left + i * slot + slot * 0.1
        for j, (kind, colour, _) in enumerate(bars):
            r = d.get(kind)
            if not isinstance(r, dict) or r["high"] == 0:
                continue
            bx = x0 + j * bar_w
            parts.append(
                f'<rect x="{bx:.1f}" y="{y(r["best"]):.1f}" width="{bar_w * 0.9:.1f}" '
                f'height="{y(0) - y(r["best"]):.1f}" fill="{colour}"/>'
            )
            if r["high"] > r["low"]:
                cx = bx + bar_w * 0.45
                parts.append(
                    f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(r["low"]):.1f}" '
                    f'y2="{y(r["high"]):.1f}" stroke="#1b1f23" stroke-width="1.5"/>'
                )
        if len(days) <= 16 or i % -(-len(days) // 16) == 0:
            label = dt.date.fromisoformat(d["date"]).strftime("%d.%m")
            parts.append(
                f'<text x="{left + (i + 0.5) * slot:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" class="tick">{label}</text>'
            )
    held = [(i, d["held"]) for i, d in enumerate(days) if isinstance(d.get("held"), dict)]
    if held:
        xs = [left + (i + 0.5) * slot for i, _ in held]
        band = [f"{x:.1f},{y(r['high']):.1f}" for x, (_, r) in zip(xs, held, strict=True)]
        band += [
            f"{x:.1f},{y(r['low']):.1f}" for x, (_, r) in reversed(list(zip(xs, held, strict=True)))
        ]
        parts.append(f'<polygon points="{" ".join(band)}" fill="#d55e00" fill-opacity=".18"/>')
        line = " ".join(f"{x:.1f},{y(r['best']):.1f}" for x, (_, r) in zip(xs, held, strict=True))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#d55e00" stroke-width="2.5"/>')
        for x, (_, r) in zip(xs, held, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y(r["best"]):.1f}" r="3" fill="#d55e00"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_step(top: int) -> int:
    raw = max(1, top / 4)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


# --- the routes ----------------------------------------------------------------------------

aftermath = APIRouter(include_in_schema=False)


@dataclass
class Ledger:
    """One mounted ledger site: the store, the search's key and limits, the cached figures."""

    engine: Engine
    vault: Vault | None
    min_cell: int
    search_per_minute: float
    search_burst: float
    cache_seconds: float
    limiter: RateLimiter = field(default_factory=RateLimiter)
    security: dict[str, str] = field(default_factory=lambda: security_headers(None))
    doc: dict[str, Any] | None = None
    at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def document(self) -> dict[str, Any]:
        with self.lock:
            if self.doc is None or time.monotonic() - self.at > self.cache_seconds:
                self.doc = aftermath_doc(self.engine, min_cell=self.min_cell)
                self.at = time.monotonic()
            return self.doc

    def the_vault(self) -> Vault | None:
        if self.vault is None:
            try:
                self.vault = Vault.from_env()
            except LedgerKeyError:
                return None
        return self.vault


def ledger(request: Request) -> Ledger:
    bound: Ledger = request.state.honestcount_ledger
    return bound


Ledger_ = Depends(ledger)


def _page(request: Request, led: Ledger, path: str, template: str, *, title: str,
          status: int = 200, cache: str = HTML_CACHE, **context: Any) -> HTMLResponse:  # fmt: skip
    lang, chosen = language(request)
    t = translator(lang)
    root = request.scope.get("root_path", "")
    query = {k: v for k, v in request.query_params.items()}
    u = ServerUrls(root, root + path, query)
    html = render(template, t=t, u=u, title=t(title), election=None, generated=None,
                  page="aftermath", **context)  # fmt: skip
    response = HTMLResponse(html, status_code=status)
    response.headers.update(led.security)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = cache
    if chosen:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _json(body: dict[str, Any], status: int = 200, cache: str = HTML_CACHE,
          cors: bool = True, **headers: str) -> Response:  # fmt: skip
    """A JSON answer; ``cors``: other sites' scripts may read it (the figures, not the
    search)."""
    if cors:
        headers = {"Access-Control-Allow-Origin": "*", **headers}
    return Response(
        views.dumps(body),
        status_code=status,
        media_type=JSON,
        headers={"Cache-Control": cache, **headers},
    )


@aftermath.get("/aftermath.json")
def aftermath_json(led: Ledger = Ledger_) -> Response:
    return _json(led.document())


@aftermath.get("/aftermath", response_class=HTMLResponse)
def aftermath_page(request: Request, led: Ledger = Ledger_) -> Response:
    doc = led.document()
    t = translator(language(request)[0])
    return _page(request, led, "/aftermath", "ledger/aftermath.html", title="ledger.title",
                 doc=doc, chart=timeline_svg(doc["by_day"], t))  # fmt: skip


# --- the relatives' search -------------------------------------------------------------------


class Refused(Exception):
    """A search request refused before it is read: ``status`` and a short reason."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def same_origin(request: Request, *, proof: bool) -> bool:
    """Whether the request came from this site's own pages, as far as the browser says.

    ``Sec-Fetch-Site`` (which no page script can set) decides where a browser sends it;
    else ``Origin`` must name this host. The pages' ``Referrer-Policy: no-referrer`` makes a
    browser send ``Origin: null`` with the form, so ``null`` passes only beside
    ``Sec-Fetch-Site: same-origin``. ``proof``: one of them must say so (a form post);
    otherwise a request that names no origin (a program, not a browser) passes."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin == "null":
        return site == "same-origin"
    if origin is not None:
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc.lower() != host.lower():
            return False
    return not proof or site == "same-origin" or origin is not None


async def _body(request: Request) -> bytes:
    """The request body, refused (413) past :data:`MAX_BODY` before more of it is read."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise Refused(413, "body_too_large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, "body_too_large")
    return body


async def _fields(request: Request, *, form: bool) -> dict[str, str]:
    """The search fields: from a JSON body (the JSON search) or a form (the page's own
    form). A cross-site request is refused before its body is read."""
    if not same_origin(request, proof=form):
        raise Refused(403, "cross_site")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != ("application/x-www-form-urlencoded" if form else "application/json"):
        raise Refused(415, "form_only" if form else "json_only")
    body = await _body(request)
    names = ("surname", "given_name", "birth_year")
    if not form:
        try:
            raw = json.loads(body or b"{}")
        except ValueError:
            return {}
        raw = raw if isinstance(raw, dict) else {}
        items = {k: raw.get(k) for k in names}
    else:
        parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        items = {k: (parsed.get(k) or [""])[0] for k in names}
    return {k: str(v or "").strip()[:MAX_FIELD] for k, v in items.items()}


def public_facility(facility: str | None) -> str | None:
    """A facility as the search may name it: a known place of detention by its name; any
    other (a hospital, a morgue, free text) only as :data:`NOT_DISCLOSED`."""
    if not facility:
        return None
    return facility if facility in FACILITY_CITY else NOT_DISCLOSED


def _search(request: Request, led: Ledger, f: dict[str, str]) -> tuple[int, dict, dict]:
    """(status, public answer, headers). The answer is found / last recorded only."""
    client = request.client.host if request.client else "unknown"
    wait = led.limiter.take(f"ledger-search:{client}", led.search_per_minute, led.search_burst)
    if wait:
        return 429, {"error": "rate_limited"}, {"Retry-After": retry_after(wait)}
    v = led.the_vault()
    if v is None:
        return 503, {"error": "search_unavailable"}, {}
    if not (f.get("surname") and f.get("given_name") and f.get("birth_year")):
        # incomplete queries still go to the core, which logs them (probing shows)
        cases.relatives_search(led.engine, v, f.get("surname", ""), None, actor=SEARCH_ACTOR)
        return 200, {"found": False, "complete": False}, {}
    name = f"{f['surname']} {f['given_name']}"
    got = cases.relatives_search(led.engine, v, name, f["birth_year"], actor=SEARCH_ACTOR)
    answer: dict[str, Any] = {"found": bool(got.get("found"))}
    if "needs" in got:
        answer["complete"] = False
    if answer["found"]:
        last = got.get("last_recorded") or None
        answer["last_recorded"] = (
            {
                "date": last.get("date"),
                "place": last.get("place"),
                "facility": public_facility(last.get("facility")),
            }
            if last
            else None
        )
    return 200, answer, {}


@aftermath.get("/aftermath/search.json")
def search_help() -> Response:
    return _json({
        "method": "POST",
        "url": "/aftermath/search.json",
        "fields": ["surname", "given_name", "birth_year"],
        "content_type": "application/json",
        "answer": {"found": "bool", "last_recorded": {"date": "YYYY-MM-DD or null",
                   "place": "city or null",
                   "facility": f"a place of detention, {NOT_DISCLOSED!r} or null"}},
        "note": "names go in a JSON body (4 KB at most), never in the URL; same origin "
                "only; rate-limited",
    }, cors=False)  # fmt: skip


@aftermath.post("/aftermath/search.json")
async def search_json(request: Request, led: Ledger = Ledger_) -> Response:
    try:
        fields = await _fields(request, form=False)
    except Refused as no:
        return _json({"error": no.reason}, status=no.status, cache="no-store", cors=False)
    status, answer, headers = _search(request, led, fields)
    return _json(answer, status=status, cache="no-store", cors=False, **headers)


@aftermath.get("/aftermath/search", response_class=HTMLResponse)
def search_form(request: Request, led: Ledger = Ledger_) -> Response:
    return _page(request, led, "/aftermath/search", "ledger/search.html",
                 title="ledger.search.title", answer=None, status_code=None,
                 available=led.the_vault() is not None)  # fmt: skip


@aftermath.post("/aftermath/search", response_class=HTMLResponse)
async def search_page(request: Request, led: Ledger = Ledger_) -> Response:
    try:
        fields = await _fields(request, form=True)
    except Refused as no:
        return Response(no.reason, status_code=no.status, media_type="text/plain",
                         headers={"Cache-Control": "no-store", **led.security})  # fmt: skip
    status, answer, headers = _search(request, led, fields)
    response = _page(request, led, "/aftermath/search", "ledger/search.html",
                     title="ledger.search.title", status=status, cache="no-store",
                     answer=answer, status_code=status,
                     available=led.the_vault() is not None)  # fmt: skip
    response.headers.update(headers)
    return response


def router(
    engine: Engine,
    *,
    vault: Vault | None = None,
    min_cell: int = 5,
    search_per_minute: float = 6.0,
    search_burst: float = 5.0,
    cache_seconds: float = 60.0,
) -> APIRouter:
    """The ledger's public pages on ``engine``.

    ``vault`` holds the organisation key for the relatives' search (default: read from
    ``HONESTCOUNT_LEDGER_KEY`` when the first search comes; without a key the search answers
    503). ``min_cell`` withholds place and facility counts below it. Each client address may
    search ``search_per_minute`` times a minute after a burst of ``search_burst``.
    Figures and claims are recomputed at most every ``cache_seconds``.
    """
    bound = Ledger(engine, vault, min_cell, search_per_minute, search_burst, cache_seconds)

    def bind(request: Request) -> None:
        request.state.honestcount_ledger = bound

    api = APIRouter(include_in_schema=False, dependencies=[Depends(bind)])
    api.include_router(aftermath)
    api.ledger_document = bound.document  # type: ignore[attr-defined]
    return api
