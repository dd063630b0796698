"""Finding a station the way people type it: in Belarusian, Russian or a Latin spelling.

:func:`fold` maps a text to a skeleton that the usual spellings of one name share: Мінск,
Минск and Minsk all become ``minsk``; Гомель, Homiel and Gomel become ``homel``. It lowers
case, equates ё/е, і/и, ў/у, transliterates Cyrillic and then merges the letters that
transliteration systems spell differently (g/h, kh/h, ts/c, y/j/i, w/v, diacritics). A
station's search text holds its id, town, name and district code, folded once per snapshot; a
query is folded the same way and matched as a substring, and against the district's names
(:func:`district_text`) word for word.
``static/js/search.js`` carries the same table for the static copy.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e",
    "є": "e", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "'": "", "ʼ": "", "’": "",
}  # fmt: skip
LATIN_BEFORE = {"č": "ch", "š": "sh", "ž": "zh", "ć": "ts", "ł": "l", "x": "ks"}
# Spellings that differ between transliteration systems, merged (order matters: digraphs
# first).
MERGE = (
    ("shch", "sch"),
    ("kh", "h"),
    ("tz", "c"),
    ("ts", "c"),
    ("g", "h"),
    ("w", "v"),
    ("j", "i"),
    ("y", "i"),
    ("ie", "e"),
)
_CYRILLIC_RE = re.compile("|".join(map(re.escape, CYRILLIC)))
_SPACE = re.compile(r"\s+")
_BRACKETS = r"\s*\([^)]*\)"
_W_AFTER_VOWEL = re.compile(r"(?<=[aeiouy])w")


def fold(text: str | None) -> str:
    """The search skeleton of ``text`` (see the module docstring)."""
    if not text:
        return ""
    s = text.lower()
    s = _CYRILLIC_RE.sub(lambda m: CYRILLIC[m.group(0)], s)
    for a, b in LATIN_BEFORE.items():
        s = s.replace(a, b)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = _W_AFTER_VOWEL.sub("u", s)  # Belarusian ў: Vawkavysk (BGN) is Vaŭkavysk, Ваўкавыск
    for a, b in MERGE:
        s = s.replace(a, b)
    return _SPACE.sub(" ", s).strip()


def search_text(index: pd.DataFrame) -> pd.Series:
    """The folded search text of every station (indexed like ``index``)."""
    raw = pd.Series(index.index, index=index.index, dtype=object).astype(str)
    for column in ("town", "name", "district"):
        raw = raw + " " + index[column].fillna("").astype(str)
    folded = {text: fold(text) for text in raw.unique()}
    return raw.map(folded).astype(object)


def district_text(index: pd.DataFrame) -> pd.Series:
    """The folded district names of every station in all three scripts, as whole words
    between spaces (`` frunzenskii raion frunzenski raen ... ``): a query matches them only
    word for word, so Фрунзенский, Фрунзенскі and Frunzienski find Frunzienski district but
    "Minsk" does not find every station of Minski raion. The city in brackets is left out
    (the town already says it)."""
    raw = pd.Series("", index=index.index, dtype=object)
    for column in ("district_be", "district_ru", "district_en"):
        if column in index.columns:
            raw = (
                raw
                + " "
                + index[column].fillna("").astype(str).str.replace(_BRACKETS, "", regex=True)
            )
    folded = {text: " " + fold(text.replace(",", " ")) + " " for text in raw.unique()}
    return raw.map(folded).astype(object)


def matches(text: pd.Series, districts: pd.Series | None, needle: str) -> pd.Series:
    """Stations whose search text holds ``needle`` (folded), or whose district names are
    ``needle`` word for word."""
    hit = text.str.contains(needle, regex=False)
    if districts is not None:
        hit |= districts.str.contains(f" {needle} ", regex=False)
    return hit
