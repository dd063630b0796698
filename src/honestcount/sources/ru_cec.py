"""Loader for the Russian Central Election Commission's polling-station tables.

One row per commission (UIK), zipped or plain UTF-8 CSV: the hierarchy (``level``, ``region``,
``oik``, ``tik``, ``uik``, whichever are present), the protocol's numbered lines with their
Russian captions, one column per candidate or party, and the ``url`` of the source page.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from honestcount.errors import InputError
from honestcount.model import BallotOption, Election, ElectionData, OfficialSource, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.sources.tables import check_unique, counts, read_csv

HIERARCHY = ("region", "oik", "tik", "uik")
# Caption fragments -> canonical protocol line; checked in this order (valid after invalid).
LINE_CAPTIONS: tuple[tuple[str, str], ...] = (
    ("число избирателей", "registered"),
    ("полученных", "ballots_received"),
    ("досрочно", "issued_early"),
    ("в помещении для голосования в день", "issued_on_day"),
    ("вне помещения", "issued_outside"),
    ("погашенных", "cancelled"),
    ("переносных", "ballots_portable"),
    ("стационарных", "ballots_stationary"),
    ("недействительных", "invalid"),
    ("действительных", "valid"),
    ("утраченных", "lost"),
    ("не учтенных", "unaccounted"),
)
_PARTY_WORDS = re.compile(r"^(всероссийская )?политическая партия ", re.IGNORECASE)
_TRANSLIT = (
    "а:a б:b в:v г:g д:d е:e ё:e ж:zh з:z и:i й:y к:k л:l м:m н:n о:o п:p р:r с:s т:t "
    "у:u ф:f х:kh ц:ts ч:ch ш:sh щ:shch ъ: ы:y ь: э:e ю:yu я:ya"
)
_LATIN = dict(pair.split(":") for pair in _TRANSLIT.split())


def slug(text: str) -> str:
    """A stable ASCII id from a Russian name: 'Путин Владимир' -> 'putin_vladimir'."""
    latin = "".join(_LATIN.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "_", latin).strip("_")


def option_for(column: str, position: int) -> BallotOption:
    """A candidate ('Surname Name Patronymic') or a party ('5. Party "NAME"') column."""
    party = re.match(r"^\s*(\d+)\.\s*(.*)$", column)
    if party:
        number, name = party.groups()
        quoted = re.findall(r'"([^"]+)', name)
        core = quoted[-1] if quoted else _PARTY_WORDS.sub("", name)
        return BallotOption(
            f"p{int(number):02d}_{slug(core)[:40]}", name.strip(), OptionKind.PARTY, position
        )
    return BallotOption(slug(column), column.strip(), OptionKind.CANDIDATE, position)


def line_for(column: str) -> str | None:
    caption = column.lower()
    for fragment, line in LINE_CAPTIONS:
        if fragment in caption:
            return line
    return None


def load_ru_cec(path: Path, election: Election) -> ElectionData:
    path = Path(path)
    table = read_csv(path, required=["region"], text_columns=(*HIERARCHY, "level", "url"))
    hierarchy = [c for c in HIERARCHY if c in table.columns]
    line_columns = {c: line_for(c) for c in table.columns if c.startswith("Число")}
    unmapped = [c for c, line in line_columns.items() if line is None]
    if unmapped:
        raise InputError(
            f"unknown protocol line {unmapped[0]!r}", file=str(path), line=1, column=unmapped[0]
        )
    other = set(hierarchy) | set(line_columns) | {"level", "url"}
    option_columns = [c for c in table.columns if c not in other]
    if not option_columns:
        raise InputError("no candidate or party columns", file=str(path), line=1)

    ids = table[hierarchy[0]].fillna("")
    for column in hierarchy[1:]:
        ids = ids + " / " + table[column].fillna("")
    if "uik" in table.columns:
        # Rows without a precinct number are whole-district remote electronic voting tallies.
        ids = ids.where(table["uik"].notna(), ids.str.removesuffix(" / ") + " / remote e-voting")
    check_unique(ids, path, "+".join(hierarchy))

    lines = pd.DataFrame(
        {line: counts(table, col, path, allow_negative=True) for col, line in line_columns.items()}
    )
    options = [option_for(c, i) for i, c in enumerate(option_columns)]
    seen: dict[str, int] = {}
    for i, opt in enumerate(options):  # disambiguate the rare duplicate slug
        if opt.id in seen:
            options[i] = BallotOption(f"{opt.id}_{i}", opt.name, opt.kind, opt.position)
        seen[opt.id] = i
    official = pd.DataFrame(
        {
            o.id: counts(table, c, path, allow_negative=True)
            for o, c in zip(options, option_columns, strict=True)
        }
    )
    index = pd.Index(ids.to_numpy(), name="station_id")
    stations = pd.DataFrame(
        {
            "region": table["region"].to_numpy(),
            "district": table["tik"].to_numpy() if "tik" in table else None,
            "name": table["uik"].to_numpy() if "uik" in table else None,
            "registered_voters": lines["registered"].to_numpy()
            if "registered" in lines
            else np.nan,
        },
        index=index,
    )
    if "url" in table:
        stations["url"] = table["url"].to_numpy()
    return assemble(
        election,
        options,
        stations,
        lines=lines.set_axis(index),
        official=official.set_axis(index),
        official_source=OfficialSource.COMMISSION_FEED.value,
    )
