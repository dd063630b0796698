"""Page text in English, Belarusian and Russian, and numbers and dates formatted per language.

Every string a page shows lives in ``i18n/<lang>.json`` (nested objects, dotted keys here:
``t("verdict.falsification_proven.label")``). A key missing from a language falls back to
English, and a key missing from English shows itself, so a gap is visible, never a crash.
Placeholders use ``str.format`` names: ``"Page {page} of {pages}"``.

Numbers use the language's CLDR symbols (read once from Babel): 1,234,567 in English,
1 234 567 in Belarusian and Russian; shares as 27.2% / 27,2 %.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_percent

LANGUAGES = ("en", "be", "ru")
DEFAULT = "en"
I18N_DIR = Path(__file__).parent / "i18n"


@cache
def _catalog(lang: str) -> dict[str, str]:
    """The language file, flattened to dotted keys."""
    raw = json.loads((I18N_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}

    def walk(prefix: str, node) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = value

    walk("", raw)
    return flat


def keys() -> list[str]:
    """Every text key of every language (data labels may exist in one language only)."""
    seen: dict[str, None] = {}
    for lang in LANGUAGES:
        seen.update(dict.fromkeys(_catalog(lang)))
    return list(seen)


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an ``Accept-Language`` header (English by default)."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower()
        q = 1.0
        for f in fields[1:]:
            f = f.strip()
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if tag:
            ranked.append((-q, i, tag))
    for neg_q, _, tag in sorted(ranked):
        if -neg_q <= 0:
            continue
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT


class Translator:
    """Text, numbers and dates for one language (cheap to create: catalogs are cached)."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._text = _catalog(self.lang)
        self._fallback = _catalog(DEFAULT)
        symbols = Locale.parse(self.lang).number_symbols["latn"]
        self._group = symbols["group"]
        self.group = self._group
        self._decimal = symbols["decimal"]
        self.decimal = self._decimal
        self._percent = format_percent(0.5, locale=self.lang).replace("50", "{}", 1)

    # text -------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self._text or key in self._fallback

    def __call__(self, key: str, default: str | None = None, **values) -> str:
        text = self._text.get(key)
        if text is None:
            text = self._fallback.get(key, default if default is not None else key)
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text

    def label(self, kind: str, value, default: str | None = None) -> str:
        """A translated data label (region, settlement type, option...) or the value itself."""
        if value is None:
            return self("common.unknown")
        key = f"labels.{kind}.{value}"
        return self(key, default if default is not None else str(value))

    def option(self, election_id: str, option_id: str, default: str) -> str:
        """An option's name in this language where the language file has it."""
        return self(f"labels.option.{election_id}.{option_id}", default)

    def listing(self, items: list[str]) -> str:
        """Names as a list a reader cannot take for one name: each quoted, the last joined
        with "and" ("Sviatlana Tsikhanouskaya" and "Against all")."""
        quoted = [self("common.quoted", x=x) for x in items]
        if len(quoted) < 2:
            return "".join(quoted)
        return ", ".join(quoted[:-1]) + self("common.and") + quoted[-1]

    # numbers ----------------------------------------------------------------------------
    def _is_missing(self, value) -> bool:
        return value is None or (isinstance(value, float) and math.isnan(value))

    def num(self, value, digits: int = 0) -> str:
        """A count or a number with ``digits`` decimals; unknown shows as a dash."""
        if self._is_missing(value):
            return "—"
        text = f"{float(value):,.{digits}f}" if digits else f"{round(float(value)):,}"
        text = text.replace(",", "\0").replace(".", self._decimal).replace("\0", self._group)
        return text.replace("-", "−", 1) if text.startswith("-") else text

    def signed(self, value) -> str:
        if self._is_missing(value):
            return "—"
        return ("+" if value > 0 else "") + self.num(value)

    def pct(self, value, digits: int = 1) -> str:
        """A share (0.271 -> 27.1%)."""
        if self._is_missing(value):
            return "—"
        return self._percent.format(self.num(100 * float(value), digits))

    def stat(self, value) -> str:
        """A statistic: whole numbers as counts, tiny p-values in scientific notation, the
        rest with three significant decimals."""
        if self._is_missing(value) or isinstance(value, bool):
            return (
                "—" if not isinstance(value, bool) else self("common.yes" if value else "common.no")
            )
        value = float(value)
        if value.is_integer():
            return self.num(value)
        if value != 0 and abs(value) < 1e-3:
            mantissa, exponent = f"{value:.1e}".split("e")
            sup = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
            return f"{self.num(float(mantissa), 1)}×10{sup}"
        digits = 3 if abs(value) < 10 else (2 if abs(value) < 1000 else 0)
        return self.num(value, digits)

    def pct_range(self, low, high, digits: int = 1) -> str:
        """An interval of shares, compact: 25.5–28.2%."""
        if self._is_missing(low) or self._is_missing(high):
            return "—"
        return self._percent.format(
            f"{self.num(100 * float(low), digits)}–{self.num(100 * float(high), digits)}"
        )

    def date(self, value) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, dt.datetime):
            return format_datetime(value, format="medium", locale=self.lang)
        return format_date(value, format="long", locale=self.lang)

    def datetime(self, value) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
        return format_datetime(value, format="medium", locale=self.lang)

    def bytes(self, n) -> str:
        if self._is_missing(n):
            return "—"
        units = self("common.byte_units").split()
        size, unit = float(n), 0
        while size >= 1024 and unit < len(units) - 1:
            size /= 1024
            unit += 1
        return f"{self.num(size, 0 if unit == 0 else 1)} {units[unit]}"


@cache
def translator(lang: str) -> Translator:
    return Translator(lang)


def language_names() -> dict[str, str]:
    """Each language named in itself, for the switch."""
    return {lang: translator(lang)("lang.self") for lang in LANGUAGES}
