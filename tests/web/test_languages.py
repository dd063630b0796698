"""Every page in Belarusian and Russian says nothing in English, proper names and data aside.

A visible run of three or more Latin-alphabet words is taken for an English sentence. Text
marked as another language (``lang="en"``: the forensic tests' technical output, quoted
sources, the estimate's warnings), marked as data (``class="data"``: a name as the source
wrote it), code and scripts are left out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

BY = "/elections/belarus-2020"
PAGES = (
    "/",
    BY,
    BY + "/map",
    BY + "/stations",
    BY + "/stations?q=minsk",
    BY + "/stations?region=Minsk+city",
    BY + "/stations/07-006-0042",
    BY + "/stations/01-011-0003",
    BY + "/forensics",
    BY + "/data",
    "/aftermath",
    "/aftermath/search",
)
SENTENCE = re.compile(r"(?:\b[A-Za-z][a-z']+\b[\s,;:()\-]*){3,}")
VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}


class Visible(HTMLParser):
    """The page's text a reader sees in the page's own language."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        other = ("lang" in a and tag != "html") or "mono" in classes or "data" in classes
        self.stack.append((tag, tag in ("code", "script", "style", "pre") or other))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not any(skip for _, skip in self.stack):
            self.text.append(data)


def english(html: str) -> list[str]:
    parser = Visible()
    parser.feed(html)
    return [m.group(0).strip() for m in SENTENCE.finditer(" ".join(parser.text))]


def test_the_detector_finds_english():
    assert english("<p>Официально: 80,1 %. The claim is 7,000 more than the cases.</p>")
    assert not english('<p>Брест <span lang="en">as the source wrote it here</span> 01-011</p>')


@pytest.fixture(scope="module")
def site(engine, tmp_path_factory):
    from honestcount.ledger.web import router as ledger_router
    from honestcount.web.routes import router

    app = FastAPI()
    app.include_router(router(engine, cache_dir=tmp_path_factory.mktemp("l"), background=False))
    app.include_router(ledger_router(engine))
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("lang", ["be", "ru"])
def test_no_english_sentence_on_any_page(site, lang):
    found = {}
    for path in PAGES:
        r = site.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
        assert r.status_code == 200, path
        assert f'<html lang="{lang}">' in r.text
        if hits := english(r.text):
            found[path] = hits[:5]
    assert not found, found
