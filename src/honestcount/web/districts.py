"""District names for the codes the data carries (``07-006`` is Pieršamajski district, Minsk).

An election's data folder may hold ``districts.csv`` (``honestcount/data/{election}/``: code,
kind, a name per language, certainty, basis; its PROVENANCE.md says how each name was
established). Pages show the name in their language beside the code, JSON twins carry the
romanised name as ``district_name`` and all three as ``district_names``, and search folds them
all. One code can name two places: Belarus numbers its stations abroad under a Minsk district,
so a row of kind ``abroad`` applies to the stations whose region is abroad.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from importlib import resources

import pandas as pd

LANGS = ("be", "ru", "en")
ABROAD = "abroad"
COLUMNS = tuple(f"district_{lang}" for lang in LANGS)
_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@lru_cache(maxsize=16)
def table(election_id: str) -> dict[tuple[str, bool], dict[str, str]]:
    """``(code, abroad) -> {be, ru, en, kind, certainty}`` for one election, or ``{}``."""
    if not _SAFE_ID.match(election_id):
        return {}
    path = resources.files("honestcount").joinpath(f"data/{election_id}/districts.csv")
    if not path.is_file():
        return {}
    out: dict[tuple[str, bool], dict[str, str]] = {}
    text = path.read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        names = {lang: row[f"name_{lang}"] for lang in LANGS}
        entry = {**names, "kind": row["kind"], "certainty": row["certainty"]}
        out[(row["code"], row["kind"] == ABROAD)] = entry
    return out


def names(election_id: str, code: str | None, region: str | None) -> dict[str, str] | None:
    """The names of district ``code`` (``{be, ru, en}``), or ``None`` where none is known."""
    if not code:
        return None
    entry = table(election_id).get((code, region == ABROAD))
    return {lang: entry[lang] for lang in LANGS} if entry else None


def add_names(election_id: str, index: pd.DataFrame) -> pd.DataFrame:
    """``index`` with ``district_be``/``_ru``/``_en`` columns (``None`` where unknown)."""
    known = table(election_id)
    found = [
        known.get((d, r == ABROAD)) if isinstance(d, str) else None
        for d, r in zip(index["district"], index["region"], strict=True)
    ]
    for lang, column in zip(LANGS, COLUMNS, strict=True):
        index[column] = [e[lang] if e else None for e in found]
    return index


def fields(row: dict, lang: str = "en") -> dict[str, object]:
    """The twin's ``district_name`` (romanised) and ``district_names`` from a row with the
    ``district_*`` columns."""
    named = {lang_: row.get(f"district_{lang_}") for lang_ in LANGS}
    if not any(named.values()):
        return {"district_name": None, "district_names": None}
    return {"district_name": named[lang], "district_names": named}


def label(row: dict, lang: str) -> str:
    """What a page shows for a station's district: the name in ``lang`` and the code."""
    code = row.get("district")
    name = row.get(f"district_{lang}") or (row.get("district_names") or {}).get(lang)
    if name and code:
        return f"{name} ({code})"
    return name or code or "—"
