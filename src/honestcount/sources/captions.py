"""Protocol lines recognised by meaning: a caption grammar written as data.

A grammar (``sources/captions/<schema>.toml``) says which words make a caption mean a
canonical protocol line. Columns whose caption means no line, or more than one, are kept as
extra lines under their own names, with their captions; a file is refused only when a line
the analyses need is missing or claimed by two columns.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from honestcount.errors import InputError
from honestcount.model import PROTOCOL_LINES
from honestcount.sources.assemble import DERIVED, derivation

GRAMMARS = Path(__file__).parent / "captions"
_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"^(строка\s+)?\d+[а-я]?(\s|$)")
_TRANSLIT = (
    "а:a б:b в:v г:g д:d е:e ё:e ж:zh з:z и:i й:y к:k л:l м:m н:n о:o п:p р:r с:s т:t "
    "у:u ф:f х:kh ц:ts ч:ch ш:sh щ:shch ъ: ы:y ь: э:e ю:yu я:ya"
)
_LATIN = dict(pair.split(":") for pair in _TRANSLIT.split())
NAME_LENGTH = 60  # protocol line names are stored in a String(64) column


def slug(text: str) -> str:
    """A stable ASCII id from a Russian name: 'Путин Владимир' -> 'putin_vladimir'."""
    latin = "".join(_LATIN.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "_", latin).strip("_")


def normalise(caption: str) -> str:
    """Lower case, 'ё' as 'е', no punctuation or quotes, single spaces, no line number."""
    text = _PUNCT.sub(" ", caption.lower().replace("ё", "е").replace("_", " "))
    text = _SPACE.sub(" ", text).strip()
    return _NUMBER.sub("", text).strip()


def shown(caption: str) -> str:
    """A caption as printed, on one line."""
    return _SPACE.sub(" ", caption).strip()


def _has(text: str, stem: str) -> bool:
    """Whether ``stem`` starts a word of ``text`` (so 'действительн' misses 'недействительных')."""
    return f" {stem}" in f" {text}"


@dataclass(frozen=True)
class LineRule:
    id: str
    all: tuple[tuple[str, ...], ...]
    none: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        return all(any(_has(text, s) for s in group) for group in self.all) and not any(
            _has(text, s) for s in self.none
        )


@dataclass(frozen=True)
class Grammar:
    schema: str
    rules: tuple[LineRule, ...]
    line_words: tuple[str, ...]
    breakdown: tuple[str, ...]
    required: tuple[str, ...]
    against: tuple[str, ...] = ()
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()

    def is_line(self, caption: str) -> bool:
        text = normalise(caption)
        return any(text.startswith(w) for w in self.line_words) or bool(self.meanings(caption))

    def meanings(self, caption: str) -> list[str]:
        """Every canonical line the caption can mean (one when it is clear)."""
        text = normalise(caption)
        if any(_has(text, b) for b in self.breakdown):
            return []
        return list(dict.fromkeys(r.id for r in self.rules if r.matches(text)))

    def yes_no(self, caption: str) -> str | None:
        """'yes' or 'no' for a referendum option column, else None."""
        text = normalise(caption)
        words = text.split()
        if not words:
            return None
        whole = len(words) == 1 or "голос" in text
        last = words[-1] if whole else None
        if text in self.yes or last in self.yes:
            return "yes"
        if text in self.no or last in self.no:
            return "no"
        return None

    def is_against(self, caption: str) -> bool:
        return any(normalise(caption).startswith(a) for a in self.against)


@cache
def grammar(schema: str) -> Grammar:
    """The shipped caption grammar of ``schema`` (``sources/captions/<schema>.toml``)."""
    path = GRAMMARS / f"{schema}.toml"
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no caption grammar for protocol schema {schema!r}") from None
    rules = []
    for item in spec.get("line", []):
        if item["id"] not in PROTOCOL_LINES:
            raise InputError(f"caption rule for unknown line {item['id']!r}", file=str(path))
        groups = tuple(tuple(normalise(s) for s in group) for group in item["all"])
        rules.append(
            LineRule(item["id"], groups, tuple(normalise(s) for s in item.get("none", [])))
        )
    options = spec.get("options", {})
    return Grammar(
        schema=spec.get("schema", schema),
        rules=tuple(rules),
        line_words=tuple(normalise(w) for w in spec.get("line_words", [])),
        breakdown=tuple(normalise(w) for w in spec.get("breakdown", [])),
        required=tuple(spec.get("required", [])),
        against=tuple(normalise(w) for w in options.get("against", [])),
        yes=tuple(normalise(w) for w in options.get("yes", [])),
        no=tuple(normalise(w) for w in options.get("no", [])),
    )


@dataclass
class LineMap:
    """Which column holds which protocol line, and what could not be mapped."""

    columns: dict[str, str] = field(default_factory=dict)  # column -> line name
    captions: dict[str, str] = field(default_factory=dict)  # line name -> caption as printed
    extra: list[str] = field(default_factory=list)  # line names kept without a meaning
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # line -> its columns

    @property
    def canonical(self) -> list[str]:
        return [line for line in self.columns.values() if line in PROTOCOL_LINES]


def extra_name(caption: str, taken: set[str]) -> str:
    """A stable snake_case name for a line with no canonical meaning."""
    words = [w for w in normalise(caption).split() if w not in ("число", "количество")]
    base = "x_" + (slug(" ".join(words)) or "line")
    base = base[:NAME_LENGTH].rstrip("_")
    name, n = base, 2
    while name in taken or name in PROTOCOL_LINES:
        name = f"{base[: NAME_LENGTH - 4]}_{n}"
        n += 1
    return name


def map_lines(columns: list[str], g: Grammar) -> LineMap:
    """Map caption columns onto canonical lines by meaning; keep the rest as extra lines."""
    claims: dict[str, list[str]] = {}
    meaning: dict[str, str | None] = {}
    for column in columns:
        found = g.meanings(column)
        meaning[column] = found[0] if len(found) == 1 else None
        if len(found) == 1:
            claims.setdefault(found[0], []).append(column)
    out = LineMap()
    taken: set[str] = set()
    for line, cols in claims.items():
        if len(cols) > 1:
            out.ambiguous[line] = cols
            for column in cols:
                meaning[column] = None
    for column in columns:
        line = meaning[column] or extra_name(column, taken)
        if meaning[column] is None:
            out.extra.append(line)
        taken.add(line)
        out.columns[column] = line
        out.captions[line] = shown(column)
    return out


def check_required(lines: LineMap, g: Grammar, file: str) -> None:
    """Refuse a file without a line the analyses need, naming what was found."""
    present = set(lines.canonical)
    missing = [r for r in g.required if r not in present and derivation(r, present) is None]
    if not missing:
        return
    line = missing[0]
    found = ", ".join(f"{ln} ({lines.captions[ln]!r})" for ln in lines.canonical) or "none"
    if lines.extra:
        found += "; other lines: " + ", ".join(repr(lines.captions[ln]) for ln in lines.extra)
    if line in lines.ambiguous:
        cols = " and ".join(repr(shown(c)) for c in lines.ambiguous[line])
        raise InputError(
            f"protocol line {line!r} ({PROTOCOL_LINES[line]}) is ambiguous: both {cols} "
            f"mean it; lines found: {found}",
            file=file,
            line=1,
        )
    how = ""
    if line in DERIVED:
        how = " and cannot be derived from " + " or ".join(" + ".join(alt) for alt in DERIVED[line])
    raise InputError(
        f"protocol line {line!r} ({PROTOCOL_LINES[line]}) is missing{how}; lines found: {found}",
        file=file,
        line=1,
    )
