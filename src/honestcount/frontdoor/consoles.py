"""The staff consoles: ``/observe``, ``/digitise``, ``/moderate`` and ``/admin``.

Each console is one server-rendered page, a shared script and stylesheet and a script of its
own (``static/consoles/``), all from this origin. The page holds no data: the browser signs in
with a staff token (kept in ``sessionStorage``, sent as ``Authorization: Bearer``) and works
on the intake API (``/api/v1``), which enforces every rule (roles, separation of duties, the
two-person rule); a console shows a refusal as the service words it. Two helpers are served
here for the browser: station search (``/consoles/{election}/stations``) and the control
relations of a protocol schema (``/consoles/rules/{schema}``), from the checks' rule files.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Engine, select

from honestcount.checks.rules import rules_for
from honestcount.frontdoor.console_messages import CONSOLE_MESSAGES
from honestcount.frontdoor.protocol_labels import labels
from honestcount.frontdoor.stations import StationDirectory
from honestcount.frontdoor.webapp import language_links, page_language
from honestcount.store import tables as t

STATIC = Path(__file__).with_name("static") / "consoles"
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ASSETS = {
    "console.css": "text/css",
    "common.js": "text/javascript",
    "observe.js": "text/javascript",
    "digitise.js": "text/javascript",
    "moderate.js": "text/javascript",
    "admin.js": "text/javascript",
    "sw.js": "text/javascript",
}
# The role each console is for (an admin may use any: the API lets it).
ROLES = {
    "observe": ("observer", "admin"),
    "digitise": ("digitiser", "admin"),
    "moderate": ("moderator", "admin"),
    "admin": ("admin",),
}


def _field(ident: str, label: str, attrs: str = "") -> str:
    return f'<label for="{ident}">{html.escape(label)}</label><input id="{ident}" {attrs}>'


def _observe(m: dict[str, str]) -> str:
    e = html.escape
    return f"""<section aria-labelledby="h-station"><h2 id="h-station">{e(m["station"])}</h2>
<p id="station-fixed" hidden></p><div id="station-pick">
{_field("station-q", m["find_station"], 'type="search" autocomplete="off"')}
<div id="station-hits" role="list"></div></div><p id="station-chosen" class="chosen"></p></section>
<section aria-labelledby="h-turnout"><h2 id="h-turnout">{e(m["turnout"])}</h2>
{_field("count", m["count"], 'type="number" min="0" inputmode="numeric"')}
{_field("turnout-time", m["time"], 'type="datetime-local"')}
<button type="button" id="do-turnout">{e(m["report"])}</button></section>
<section aria-labelledby="h-violation"><h2 id="h-violation">{e(m["violation"])}</h2>
<label for="code">{e(m["code"])}</label><select id="code"></select>
{_field("note", m["note"], 'type="text" maxlength="500"')}
<button type="button" id="do-violation">{e(m["report"])}</button></section>
<section aria-labelledby="h-photo"><h2 id="h-photo">{e(m["protocol_photo"])}</h2>
{_field("protocol-file", m["protocol_photo"], 'type="file" accept="image/*" capture="environment"')}
</section><section aria-labelledby="h-sent"><h2 id="h-sent">{e(m["sent"])}</h2>
<ul id="sent-list"></ul></section>"""


def _digitise(m: dict[str, str]) -> str:
    e = html.escape
    return f"""<p id="task-title" class="chosen"></p><p id="third" hidden>{e(m["third_entry"])}</p>
<div class="split"><div class="photo-pane"><img id="protocol-img" alt=""></div>
<form id="entry-form" class="entry"><fieldset id="lines"><legend>{e(m["lines"])}</legend></fieldset>
<fieldset id="votes"><legend>{e(m["votes"])}</legend></fieldset>
<div class="checks-box"><h2>{e(m["checks"])}</h2><ul id="checks" aria-live="polite"></ul></div>
<button type="submit" id="do-entry">{e(m["submit_entry"])}</button></form></div>
<button type="button" id="do-next" class="secondary">{e(m["next"])}</button>"""


REASON = 'type="text" maxlength="200" autocomplete="off"'


def _moderate(m: dict[str, str]) -> str:
    e = html.escape
    return f"""<p class="muted">{e(m["keys_moderate"])}</p>
<p id="item-title" class="chosen"></p><p id="dup-title" hidden></p>
<div class="pair"><figure><img id="photo" alt=""><figcaption>{e(m["this_photo"])}</figcaption>
</figure><figure id="dup-fig" hidden><img id="dup-photo" alt="">
<figcaption>{e(m["earlier_photo"])}</figcaption></figure></div>
<div class="decide">{_field("reason", m["reason"], REASON)}
<div class="row"><button type="button" id="do-accept">{e(m["accept"])}</button>
<button type="button" id="do-reject" class="danger">{e(m["reject"])}</button>
<button type="button" id="do-skip" class="secondary">{e(m["skip"])}</button></div></div>"""


ISSUED = ("observer", "digitiser", "moderator", "admin", "gateway")
TIERS = ("none", "sms_code", "bot_code", "messenger_contact")


def _options(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<option value="{v}">{html.escape(t)}</option>' for v, t in pairs)


def _admin(m: dict[str, str]) -> str:
    e = html.escape
    roles = _options([(r, r) for r in ISSUED])
    embargo = _options([("", m["keep"]), ("true", m["embargo_on"]), ("false", m["embargo_lift"])])
    any_role = _options([("", m["any"]), ("voter", "voter"), *((r, r) for r in ISSUED)])
    states = _options(
        [("", m["any"]), *((s, m[f"status_{s}"]) for s in ("active", "pending", "disabled"))]
    )
    tiers = _options([("", m["keep"]), *((x, m[f"tier_{x}"]) for x in TIERS)])
    dt = 'type="datetime-local"'
    return f"""<section aria-labelledby="h-acc"><h2 id="h-acc">{e(m["accounts"])}</h2>
<label for="new-role">{e(m["role"])}</label><select id="new-role">{roles}</select>
{_field("new-election", m["election"], 'type="text"')}
{_field("new-station", m["station"], 'type="text"')}
{_field("new-label", m["label"], 'type="text" maxlength="200"')}
<button type="button" id="do-create">{e(m["create"])}</button>
<h3 id="h-list">{e(m["list_accounts"])}</h3>
<label for="list-role">{e(m["role"])}</label><select id="list-role">{any_role}</select>
<label for="list-status">{e(m["status"])}</label><select id="list-status">{states}</select>
<button type="button" id="do-list" class="secondary">{e(m["show"])}</button>
<ul id="accounts-list" class="accounts" aria-labelledby="h-list"></ul>
<button type="button" id="do-more" class="secondary" hidden>{e(m["more"])}</button></section>
<section aria-labelledby="h-set"><h2 id="h-set">{e(m["settings"])}</h2>
{_field("set-election", m["election"], 'type="text"')}
{_field("set-registration", m["deadline_registration"], dt)}
{_field("set-declaration", m["deadline_declaration"], dt)}
{_field("set-upload", m["deadline_upload"], dt)}
<label for="set-embargo">{e(m["embargo"])}</label><select id="set-embargo">{embargo}</select>
{_field("set-min-group", m["min_group"], 'type="number" min="1" max="1000"')}
<label for="set-min-tier">{e(m["min_verification"])}</label>
<select id="set-min-tier">{tiers}</select>
<button type="button" id="do-settings">{e(m["save"])}</button></section>
<section aria-labelledby="h-audit"><h2 id="h-audit">{e(m["audit"])}</h2>
<button type="button" id="do-audit" class="secondary">{e(m["audit_verify"])}</button>
<button type="button" id="do-checkpoint" class="secondary">{e(m["checkpoint"])}</button>
<p><a id="download" hidden download="checkpoint.json">{e(m["download"])}</a></p>
<pre id="audit-out"></pre></section>"""


BODIES = {"observe": _observe, "digitise": _digitise, "moderate": _moderate, "admin": _admin}


def console_page(console: str, lang: str) -> str:
    """The whole HTML document of one console in one language."""
    m = CONSOLE_MESSAGES[lang]
    e = html.escape
    config = json.dumps(
        {
            "console": console,
            "roles": ROLES[console],
            "lang": lang,
            "api": "/api/v1",
            "m": m,
            **({"labels": labels(lang)} if console == "digitise" else {}),
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    token = _field("token", m["token"], 'type="password" autocomplete="off" required')
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(m[console])} · honestcount</title>"
        '<link rel="stylesheet" href="/consoles/console.css"></head>'
        f'<body class="c-{console}"><main>{language_links("/" + console, lang)}'
        f"<h1>{e(m[console])}</h1>"
        f'<form id="signin" class="signin">{token}'
        f'<button type="submit">{e(m["sign_in"])}</button></form>'
        f'<p id="who" class="muted" hidden></p>'
        '<button type="button" id="signout" class="secondary small" hidden>'
        f"{e(m['sign_out'])}</button>"
        '<p id="status" role="status" aria-live="polite"></p>'
        '<p id="alert" role="alert" class="alert"></p>'
        f'<div id="work" hidden>{BODIES[console](m)}</div>'
        f'<script type="application/json" id="config">{config}</script>'
        '<script src="/consoles/common.js" defer></script>'
        f'<script src="/consoles/{console}.js" defer></script></main></body></html>'
    )


def rules_doc(schema: str) -> list[dict[str, object]]:
    """The control relations of a protocol schema, for the browser to check as one types."""
    return [
        {
            "id": r.id,
            "description": r.description,
            "kind": r.kind,
            "left": [list(term) for term in r.left],
            "operator": r.operator,
            "right": [list(term) for term in r.right],
            "tolerance": r.tolerance,
        }
        for r in rules_for(schema)
    ]


def consoles_router(engine: Engine) -> APIRouter:
    """The four staff consoles on the store behind ``engine`` (the API is at /api/v1)."""
    router = APIRouter(include_in_schema=False)

    @lru_cache(maxsize=8)
    def directory(election_id: str) -> StationDirectory:
        return StationDirectory.from_store(engine, election_id)

    def page(console: str, request: Request, lang: str | None) -> HTMLResponse:
        return HTMLResponse(console_page(console, page_language(request, lang)), headers=HEADERS)

    for console in BODIES:

        def show(
            request: Request, lang: str | None = Query(None, max_length=8), console: str = console
        ) -> HTMLResponse:
            return page(console, request, lang)

        router.add_api_route(f"/{console}", show, methods=["GET"], response_class=HTMLResponse)

    @router.get("/consoles/rules/{schema}")
    def rules(schema: str) -> JSONResponse:
        return JSONResponse(rules_doc(schema), headers={"Cache-Control": "max-age=3600"})

    def known(election_id: str) -> bool:
        with engine.connect() as conn:
            found = conn.execute(
                select(t.elections.c.id).where(t.elections.c.id == election_id)
            ).first()
        return found is not None

    @router.get("/consoles/{election_id}/stations")
    def stations(election_id: str, q: str = Query("", max_length=100)) -> JSONResponse:
        # Only a known election is loaded and kept: made-up ids cannot churn the cache.
        if len(election_id) > 64 or not known(election_id):
            return JSONResponse({"detail": "no such election"}, status_code=404)
        found = directory(election_id)
        hits = found.find(q, limit=8) if q.strip() else []
        return JSONResponse([{"id": s.id, "label": s.label()} for s in hits])

    @router.get("/consoles/{name}")
    def asset(name: str) -> Response:
        if name not in ASSETS:
            return Response("not found", status_code=404)
        headers = {**HEADERS, "Cache-Control": "no-cache"}
        if name == "sw.js":  # the observer console's offline copy
            headers["Service-Worker-Allowed"] = "/observe"
        return Response((STATIC / name).read_bytes(), media_type=ASSETS[name], headers=headers)

    return router
