"""The voter web app at ``/vote/{election}``: a small installable page on the intake API.

The page is one HTML document, a stylesheet and a script from this package (no other
origin). The browser finds the station itself (text folded as the public pages fold it, the
nearest stations computed from the phone's location, which is never sent), downscales the
ballot photo in a canvas (which drops its metadata) and keeps every submission in an
IndexedDB queue with its idempotency key until the intake has answered, so nothing typed or
photographed is lost to a dropped connection. A voter registered here proves the number
with a one-time code from the Telegram bot (a link the voter follows; the page itself talks
only to its own origin). A service worker keeps the page for offline
use. ``/vote/{election}/status`` shows a station's published counts without JavaScript.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine, select

from honestcount.frontdoor.messages import LANGUAGE_NAMES, LANGUAGES, MESSAGES
from honestcount.frontdoor.stations import StationDirectory
from honestcount.settings import FrontdoorSettings
from honestcount.store import tables as t
from honestcount.web.i18n import negotiate
from honestcount.web.search import fold

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ASSETS = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "sw.js": "text/javascript",
    "manifest.webmanifest": "application/manifest+json",
}


def page_language(request: Request, wanted: str | None) -> str:
    """``?lang=`` when it is one of ours, else the browser's choice as the public pages make
    it (:func:`honestcount.web.i18n.negotiate`)."""
    if wanted in LANGUAGES:
        return wanted
    return negotiate(request.headers.get("accept-language"))


def _election(engine: Engine, election_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.elections.c.id, t.elections.c.name).where(t.elections.c.id == election_id)
        ).first()
        if row is None:
            return None
        options = conn.execute(
            select(t.options.c.id, t.options.c.name)
            .where(t.options.c.election_id == election_id)
            .order_by(t.options.c.position)
        ).all()
    return {"id": row.id, "name": row.name, "options": [[o.id, o.name] for o in options]}


def _page(lang: str, title: str, body: str) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/vote/app.css">'
        '<link rel="manifest" href="/vote/manifest.webmanifest"></head>'
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(document, headers=HEADERS)


def language_links(path: str, lang: str) -> str:
    """The language switch of the voter app and the staff consoles."""
    links = " · ".join(
        f'<a href="{path}?lang={code}"{" aria-current=true" if code == lang else ""}>'
        f"{html.escape(name)}</a>"
        for code, name in LANGUAGE_NAMES.items()
    )
    return f'<nav class="langs" aria-label="Language">{links}</nav>'


def _verify_section(m: dict[str, str]) -> str:
    """Proving the number through the bot; the script fills in the challenge."""
    e = html.escape
    return f"""<section id="verify" hidden><h2>{e(m["web_verify"])}</h2>
<p>{e(m["web_verify_why"])}</p>
<button type="button" id="do-verify" class="secondary">{e(m["web_verify_start"])}</button>
<div id="verify-go" hidden>
<a id="verify-link" class="button" rel="noopener noreferrer" target="_blank" hidden>\
{e(m["web_verify_open"])}</a>
<p><span id="verify-say">{e(m["web_verify_command"])}</span> <code id="verify-command"></code></p>
<p>{e(m["web_verify_steps"])}</p>
<label for="code">{e(m["web_verify_code"])}</label>
<input id="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12">
<button type="button" id="do-confirm">{e(m["web_verify_confirm"])}</button></div>
<p id="verify-result" role="status" aria-live="polite"></p></section>"""


def _shell(election: dict[str, Any], lang: str, bot: str | None = None) -> str:
    m = MESSAGES[lang]
    e = html.escape
    eid = e(election["id"])
    config = json.dumps(
        {
            "election": election["id"],
            "options": election["options"],
            "lang": lang,
            "m": m,
            "bot": bot,
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    options = "".join(
        f'<label class="opt"><input type="radio" name="option" value="{e(o[0])}"> {e(o[1])}</label>'
        for o in election["options"]
    )
    return f"""{language_links(f"/vote/{eid}", lang)}
<h1>{e(m["web_title"])}</h1><p class="muted">{e(election["name"])}</p>
<p>{e(m["web_intro"])}</p>
<p id="queue" role="status" aria-live="polite"></p>
<section id="register"><h2>1. {e(m["web_register"])}</h2>
<label for="phone">{e(m["web_phone"])}</label>
<input id="phone" type="tel" autocomplete="tel" inputmode="tel">
<label for="q">{e(m["web_station"])}</label>
<input id="q" type="search" autocomplete="off">
<button type="button" id="near" class="secondary">{e(m["web_nearest"])}</button>
<div id="found" role="list" aria-label="{e(m["web_pick"])}"></div>
<button type="button" id="do-register" disabled>{e(m["web_register"])}</button></section>
<section id="declare" hidden><h2>2. {e(m["web_choice"])}</h2>
<fieldset><legend class="sr">{e(m["web_choice"])}</legend>{options}</fieldset>
<button type="button" id="do-declare">{e(m["web_declare"])}</button></section>
<section id="photo" hidden><h2>3. {e(m["web_photo"])}</h2>
<label for="file" class="sr">{e(m["web_photo"])}</label>
<input id="file" type="file" accept="image/*" capture="environment">
<progress id="progress" max="100" value="0" hidden></progress></section>
{_verify_section(m)}
<section id="receipt" hidden><h2>{e(m["web_receipt"])}</h2><ul id="receipt-list"></ul></section>
<noscript><p>{e(m["web_no_js"])}</p></noscript>
<form method="get" action="/vote/{eid}/status" class="status-form">
<label for="station">{e(m["web_status_station"])}</label>
<input id="station" name="station"><button>{e(m["web_show"])}</button></form>
<script type="application/json" id="config">{config}</script>
<script src="/vote/app.js" defer></script>"""


@lru_cache(maxsize=16)
def _stations_doc(engine: Engine, election_id: str) -> bytes:
    directory = StationDirectory.from_store(engine, election_id)
    doc = {
        "id": [s.id for s in directory.stations],
        "label": [s.label() for s in directory.stations],
        "text": [
            fold(" ".join(p for p in (s.id, s.town, s.name, s.district, s.region) if p))
            for s in directory.stations
        ],
        "lat": [s.latitude for s in directory.stations],
        "lon": [s.longitude for s in directory.stations],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _status_body(engine: Engine, election: dict[str, Any], station: str, lang: str) -> str:
    from honestcount.intake import publishable_counts

    m, e = MESSAGES[lang], html.escape
    frame = publishable_counts(engine, election["id"])
    names = dict(election["options"])
    if frame.attrs.get("embargoed"):
        rows = f"<p>{e(MESSAGES[lang]['status_embargo'])}</p>"
    else:
        mine = frame[frame["station_id"] == station]
        cells = "".join(
            f"<tr><td>{e(names.get(str(option), str(option)))}</td>"
            f"<td>{'&lt;' if declared != declared else int(float(declared))}</td></tr>"
            for option, declared in zip(mine["option_id"], mine["declared"], strict=True)
        )
        rows = f"<table>{cells}</table>" if cells else f"<p>{e(m['web_none'])}</p>"
    return f"<h1>{e(m['web_status_title'])} {e(station)}</h1>{rows}"


def vote_router(engine: Engine, settings: FrontdoorSettings | None = None) -> APIRouter:
    """The ``/vote`` pages on the store behind ``engine`` (the intake API is at /api/v1);
    ``settings.bot_username`` (else the environment's) names the bot that proves numbers."""
    router = APIRouter(include_in_schema=False)
    bot = (settings or FrontdoorSettings()).bot_username

    @router.get("/vote")
    def elections(request: Request, lang: str | None = Query(None, max_length=8)) -> Response:
        with engine.connect() as conn:
            rows = conn.execute(select(t.elections.c.id, t.elections.c.name)).all()
        if len(rows) == 1:
            return RedirectResponse(f"/vote/{quote(rows[0].id)}", status_code=303)
        chosen = page_language(request, lang)
        items = "".join(
            f'<li><a href="/vote/{html.escape(quote(r.id))}">{html.escape(r.name)}</a></li>'
            for r in rows
        )
        return _page(chosen, MESSAGES[chosen]["web_title"], f"<ul>{items}</ul>")

    @router.get("/vote/{name}", response_model=None)
    def asset_or_shell(
        name: str, request: Request, lang: str | None = Query(None, max_length=8)
    ) -> Response:
        if name in ASSETS:
            data = (STATIC / name).read_bytes()
            headers = {**HEADERS, "Cache-Control": "no-cache"}
            if name == "sw.js":
                headers["Service-Worker-Allowed"] = "/vote/"
            return Response(data, media_type=ASSETS[name], headers=headers)
        election = _election(engine, name)
        if election is None:
            return HTMLResponse("not found", status_code=404, headers=HEADERS)
        chosen = page_language(request, lang)
        return _page(chosen, MESSAGES[chosen]["web_title"], _shell(election, chosen, bot))

    @router.get("/vote/{election_id}/stations.json")
    def stations(election_id: str) -> Response:
        if _election(engine, election_id) is None:
            return JSONResponse({"detail": "no such election"}, status_code=404)
        return Response(
            _stations_doc(engine, election_id),
            media_type="application/json",
            headers={**HEADERS, "Cache-Control": "max-age=3600"},
        )

    @router.get("/vote/{election_id}/status")
    def status(
        election_id: str,
        request: Request,
        station: str = Query("", max_length=64),
        lang: str | None = Query(None, max_length=8),
    ) -> HTMLResponse:
        election = _election(engine, election_id)
        if election is None:
            return HTMLResponse("not found", status_code=404, headers=HEADERS)
        chosen = page_language(request, lang)
        body = _status_body(engine, election, station.strip(), chosen)
        back = f'<p><a href="/vote/{html.escape(election_id)}">←</a></p>'
        return _page(chosen, MESSAGES[chosen]["web_status_title"], body + back)

    return router
