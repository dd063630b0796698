"""Jinja2 rendering and the two ways of linking pages: the live site and a static copy.

Templates never write a URL themselves: they ask ``u`` (a :class:`ServerUrls` or a
:class:`StaticUrls`), so the same templates serve ``/elections/belarus-2020/stations/...`` on
the live site and ``../s/01-010-0001.html`` in a folder opened from disk.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from honestcount import __version__
from honestcount.web.common import VERDICT_CODE
from honestcount.web.districts import label as district_label
from honestcount.web.i18n import LANGUAGES, Translator, language_names

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def query_string(params: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return ("?" + urlencode(pairs)) if pairs else ""


def q(text: str) -> str:
    """One path segment, every reserved character (the slash included) percent-encoded."""
    return quote(str(text), safe="")


class ServerUrls:
    """Links on the live site: absolute paths under the application's root path."""

    static_site = False

    def __init__(
        self,
        root: str = "",
        path: str = "/",
        query: dict | None = None,
        asset_version: str = __version__,
    ):
        self.root = root.rstrip("/")
        self.path = path
        self.query = dict(query or {})
        self.v = asset_version

    def _e(self, eid: str) -> str:
        return f"{self.root}/elections/{q(eid)}"

    def home(self, eid: str | None = None) -> str:
        return f"{self.root}/"

    def overview(self, eid: str) -> str:
        return self._e(eid)

    def map(self, eid: str, **params) -> str:
        return self._e(eid) + "/map" + query_string(params)

    def layer(self, eid: str, stamp: str) -> str:
        return self._e(eid) + f"/map-layer.js?v={stamp}"

    def geojson(self, eid: str, **params) -> str:
        return self._e(eid) + "/map.geojson" + query_string(params)

    def stations(self, eid: str, **params) -> str:
        return self._e(eid) + "/stations" + query_string(params)

    def search(self, eid: str, **params) -> str:
        return self.stations(eid, **params)

    def station(self, eid: str, sid: str) -> str:
        return self._e(eid) + "/stations/" + q(sid)

    def station_json(self, eid: str, sid: str) -> str:
        return self.station(eid, sid) + ".json"

    def forensics(self, eid: str) -> str:
        return self._e(eid) + "/forensics"

    def plot(self, eid: str, name: str) -> str:
        return self._e(eid) + "/forensics/" + q(name)

    def data(self, eid: str) -> str:
        return self._e(eid) + "/data"

    def data_file(self, eid: str, name: str) -> str:
        return self._e(eid) + "/data/" + q(name)

    def static(self, path: str) -> str:
        return f"{self.root}/static/{path}?v={self.v}"

    def aftermath(self) -> str | None:
        return f"{self.root}/aftermath"

    def twin(self) -> str:
        """This page's JSON twin: the same URL with ``.json``."""
        path = self.path.rstrip("/") or "/index"
        if path == self.root or path == "":
            path = "/index"
        params = {k: v for k, v in self.query.items() if k != "lang"}
        return f"{path}.json" + query_string(params)

    def switch(self, lang: str) -> str:
        return self.path + query_string({**self.query, "lang": lang})


def station_key(sid: str) -> str:
    """A file name for a station page: the id when it is plain ASCII, else a stable hash."""
    if SAFE_KEY.match(sid):
        return sid
    return "x" + hashlib.sha256(sid.encode()).hexdigest()[:20]


def station_keys(ids) -> dict[str, str]:
    """File names for all stations, unique even on case-insensitive file systems."""
    keys = {sid: station_key(sid) for sid in ids}
    seen: dict[str, int] = {}
    for key in keys.values():
        seen[key.lower()] = seen.get(key.lower(), 0) + 1
    for sid, key in keys.items():
        if seen[key.lower()] > 1:
            keys[sid] = "x" + hashlib.sha256(sid.encode()).hexdigest()[:20]
    return keys


def region_key(region: str | None) -> str:
    return "r" + hashlib.sha256(str(region).encode()).hexdigest()[:12]


class StaticUrls:
    """Links inside a static copy: relative, so it works from any host or from disk.

    ``page`` is the page's path inside the copy (``en/station.html``).
    """

    static_site = True

    def __init__(
        self, lang: str, page: str, keys: dict[str, str], eid: str, aftermath: bool = False
    ):
        self.has_aftermath = aftermath
        self.lang = lang
        self.page = page
        self.keys = keys
        self.eid = eid
        self.up = "../" * page.count("/")

    def _p(self, path: str) -> str:
        return self.up + path

    def home(self, eid: str | None = None) -> str:
        return self._p(f"{self.lang}/index.html")

    overview = home

    def map(self, eid: str, **params) -> str:
        return self._p(f"{self.lang}/map.html") + query_string(params)

    def layer(self, eid: str, stamp: str) -> str:
        return self._p("assets/map-layer.js")

    def search_index(self) -> str:
        return self._p("assets/search-index.js")

    def geojson(self, eid: str, **params) -> str:
        return self._p("json/map.geojson")

    def stations(self, eid: str, **params) -> str:
        params = {k: v for k, v in params.items() if v not in (None, "", [])}
        if params:  # a region's list too: the search page draws it from the index
            return self._p(f"{self.lang}/search.html") + query_string(params)
        return self._p(f"{self.lang}/stations.html")

    def search(self, eid: str, **params) -> str:
        return self._p(f"{self.lang}/search.html") + query_string(params)

    def station(self, eid: str, sid: str) -> str:
        """One page per language draws every station (``station.js``) from its data."""
        return self._p(f"{self.lang}/station.html?id={self.keys[sid]}")

    def station_json(self, eid: str, sid: str) -> str:
        return self._p(f"json/s/{self.keys[sid]}.json")

    def forensics(self, eid: str) -> str:
        return self._p(f"{self.lang}/forensics.html")

    def plot(self, eid: str, name: str) -> str:
        return self._p(f"assets/plots/{q(name)}")

    def data(self, eid: str) -> str:
        return self._p(f"{self.lang}/data.html")

    def data_file(self, eid: str, name: str) -> str:
        return self._p(f"data/{q(name)}")

    def static(self, path: str) -> str:
        return self._p(f"static/{path}")

    def aftermath(self) -> str | None:
        """The aftermath figures, where the copy has them."""
        return self._p(f"{self.lang}/aftermath.html") if self.has_aftermath else None

    def twin(self) -> str:
        name = self.page.split("/", 1)[1]
        if name == "index.html":
            return self._p("json/overview.json")
        if name == "data.html":
            return self._p("data/manifest.json")
        if name == "aftermath.html":
            return self._p("json/aftermath.json")
        if name in ("search.html", "station.html"):
            return self._p("json/stations.json")
        return self._p("json/" + name.removesuffix(".html") + ".json")

    def switch(self, lang: str) -> str:
        rest = self.page.split("/", 1)[1]
        return self.up + f"{lang}/{rest}"


def _attr_json(value) -> Markup:
    """JSON for a <script type="application/json"> block (no '</' can close the tag)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("</", "<\\/"))


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        LANGUAGES=LANGUAGES,
        LANGUAGE_NAMES=language_names(),
        VERDICT_CODE=VERDICT_CODE,
        version=__version__,
    )
    env.filters["tojson_script"] = _attr_json
    env.filters["district"] = district_label
    env.filters["pick"] = lambda keys, mapping: [mapping.get(k, k) for k in keys]
    return env


_ENV: Environment | None = None


def env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = make_env()
    return _ENV


def render(template: str, *, t: Translator, u, **context) -> str:
    """``template`` in ``t``'s language; ``languages`` (default: all) are those to switch to."""
    context.setdefault("languages", LANGUAGES)
    return env().get_template(template).render(t=t, u=u, lang=t.lang, **context)
