"""Loader for the Russian Central Election Commission's polling-station tables.

One row per commission (UIK), zipped or plain UTF-8 CSV: the hierarchy (``level``, ``region``,
``oik``, ``tik``, ``uik``, whichever are present), the protocol's numbered lines with their
Russian captions, one column per candidate, party or referendum answer, and the ``url`` of the
source page. Protocol lines are recognised by meaning through the caption grammar
``sources/captions/ru-cec.toml``; lines it does not know are kept as extra lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from honestcount.errors import InputError
from honestcount.model import BallotOption, Election, ElectionData, OfficialSource, OptionKind
from honestcount.sources.assemble import assemble, with_leader
from honestcount.sources.captions import (
    Grammar,
    check_required,
    grammar,
    map_lines,
    shown,
    slug,
)
from honestcount.sources.tables import check_unique, counts, read_csv

__all__ = ["load_ru_cec", "option_for", "line_for", "slug"]

HIERARCHY = ("region", "oik", "tik", "uik")
OTHER_COLUMNS = ("level", "url")
_PARTY_WORDS = re.compile(r"^(всероссийская )?политическая партия ", re.IGNORECASE)


def option_for(column: str, position: int, g: Grammar | None = None) -> BallotOption:
    """A candidate ('Surname Name Patronymic'), a party ('5. Party "NAME"'), a vote against
    all, or a referendum's yes/no column."""
    g = g or grammar("ru-cec")
    answer = g.yes_no(column)
    if answer is not None:
        return BallotOption(answer, shown(column), OptionKind.CANDIDATE, position)
    if g.is_against(column):
        return BallotOption("against_all", shown(column), OptionKind.AGAINST, position)
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
    """The canonical protocol line a caption means, or None (unknown or ambiguous)."""
    found = grammar("ru-cec").meanings(column)
    return found[0] if len(found) == 1 else None


def _options(option_columns: list[str], g: Grammar) -> list[BallotOption]:
    options = [option_for(c, i, g) for i, c in enumerate(option_columns)]
    seen: dict[str, int] = {}
    for i, opt in enumerate(options):  # disambiguate the rare duplicate slug
        if opt.id in seen:
            options[i] = BallotOption(f"{opt.id}_{i}", opt.name, opt.kind, opt.position)
        seen[opt.id] = i
    return options


def _station_ids(table: pd.DataFrame, hierarchy: list[str], path: Path) -> pd.Series:
    ids = table[hierarchy[0]].fillna("")
    for column in hierarchy[1:]:
        ids = ids + " / " + table[column].fillna("")
    if "uik" in table.columns:
        # Rows without a precinct number are whole-district remote electronic voting tallies.
        ids = ids.where(table["uik"].notna(), ids.str.removesuffix(" / ") + " / remote e-voting")
    check_unique(ids, path, "+".join(hierarchy))
    return ids


def load_ru_cec(
    path: Path, election: Election, *, leader: str | None = None, schema: str = "ru-cec"
) -> ElectionData:
    """Read a CEC station table; ``leader`` is the option the forensics follow (its id or
    caption; default: the option with most votes)."""
    path = Path(path)
    g = grammar(schema)
    table = read_csv(path, required=["region"], text_columns=(*HIERARCHY, *OTHER_COLUMNS))
    hierarchy = [c for c in HIERARCHY if c in table.columns]
    other = set(hierarchy) | set(OTHER_COLUMNS)
    candidates = [c for c in table.columns if c not in other]
    line_columns = [c for c in candidates if g.yes_no(c) is None and g.is_line(c)]
    option_columns = [c for c in candidates if c not in line_columns]
    if not option_columns:
        raise InputError("no candidate, party or yes/no columns", file=str(path), line=1)
    mapped = map_lines(line_columns, g)
    ids = _station_ids(table, hierarchy, path)
    lines = pd.DataFrame(
        {mapped.columns[c]: counts(table, c, path, allow_negative=True) for c in line_columns},
        index=table.index,
    )
    check_required(mapped, g, str(path))
    options = _options(option_columns, g)
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
        with_leader(election, leader, options, str(path)),
        options,
        stations,
        lines=lines.set_axis(index),
        official=official.set_axis(index),
        official_source=OfficialSource.COMMISSION_FEED.value,
        line_captions=mapped.captions,
    )
