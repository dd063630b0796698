"""Build an :class:`ElectionData` from loose frames, aligning every layer on the stations."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from honestcount.errors import InputError
from honestcount.model import (
    BALLOT_KINDS,
    PROTOCOL_LINES,
    STATION_COLUMNS,
    BallotOption,
    Election,
    ElectionData,
)


def empty_layer(index: pd.Index, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(float("nan"), index=index, columns=columns, dtype="float64")


def layer(frame: pd.DataFrame | None, index: pd.Index, columns: list[str]) -> pd.DataFrame:
    """``frame`` reindexed to the stations and columns; absent cells are NaN (unknown)."""
    if frame is None:
        return empty_layer(index, columns)
    if frame.index is index:  # already aligned (a snapshot): skip comparing 100,000 ids
        return frame.reindex(columns=columns).astype("float64")
    return frame.reindex(index=index, columns=columns).astype("float64")


# Lines derived where a protocol does not print them: the first alternative whose lines the
# protocol has is used (column by column: a station's unknown part stays unknown).
DERIVED: dict[str, tuple[tuple[str, ...], ...]] = {
    "ballots_cast": (("ballots_portable", "ballots_stationary"), ("valid", "invalid")),
}


def derivation(line: str, present: set[str]) -> tuple[str, ...] | None:
    """The lines ``line`` is derived from given the lines ``present``; None if it cannot be."""
    return next((alt for alt in DERIVED.get(line, ()) if set(alt) <= present), None)


def with_ballots_cast(
    lines: pd.DataFrame, derivations: dict[str, str] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Add ``ballots_cast`` where a protocol has no such line: from the boxes, else from valid +
    invalid ballots, else unknown. Returns the lines and how each derived line was derived."""
    derived = dict(derivations or {})
    if "ballots_cast" not in lines.columns:
        parts = derivation("ballots_cast", set(lines.columns))
        if parts is None:
            lines = lines.assign(ballots_cast=float("nan"))
        else:
            lines = lines.assign(ballots_cast=lines[list(parts)].sum(axis=1, min_count=len(parts)))
            derived["ballots_cast"] = " + ".join(parts)
    return lines, derived


def ordered_lines(columns: list[str], captions: dict[str, str] | None = None) -> list[str]:
    """Protocol lines in one order whatever the source: canonical lines as listed in
    ``PROTOCOL_LINES``, then extra lines in the order of their captions, then the rest."""
    present = set(columns)
    order = [c for c in PROTOCOL_LINES if c in present]
    order += [c for c in captions or {} if c in present and c not in order]
    return order + sorted(c for c in columns if c not in order)


def with_leader(
    election: Election, leader: str | None, options: list[BallotOption], where: str = ""
) -> Election:
    """``election`` with its leader set to the option ``leader`` names (an id or a name);
    unchanged when ``leader`` is None. A name that is no choice option is refused."""
    if leader is None:
        return election
    choices = [o for o in options if o.kind in BALLOT_KINDS[:3]]
    # a column header may carry the ballot number ("5. Party"): the option's name does not
    bare = " ".join(re.sub(r"^\s*\d+\.\s*", "", leader).split())
    found = next((o for o in choices if leader == o.id or bare == " ".join(o.name.split())), None)
    if found is None:
        raise InputError(
            f"leader {leader!r} is not an option; options: {', '.join(o.id for o in choices)}",
            file=where or None,
        )
    return dataclasses.replace(election, leader=found.id)


def assemble(
    election: Election,
    options: list[BallotOption],
    stations: pd.DataFrame,
    *,
    lines: pd.DataFrame | None = None,
    official: pd.DataFrame | None = None,
    official_source: str | pd.Series | None = None,
    declared: pd.DataFrame | None = None,
    photo: pd.DataFrame | None = None,
    observers: pd.DataFrame | None = None,
    violations: pd.DataFrame | None = None,
    violation_codes: dict[str, str] | None = None,
    national_totals: dict[str, float] | None = None,
    line_captions: dict[str, str] | None = None,
    line_derivations: dict[str, str] | None = None,
) -> ElectionData:
    index = stations.index
    if not (isinstance(index.dtype, pd.StringDtype) and index.name == "station_id"):
        index = pd.Index(stations.index.astype(str), name="station_id")
        stations = stations.set_axis(index)
    stations = stations.reindex(columns=list(STATION_COLUMNS))
    for col in STATION_COLUMNS:
        if col in ("latitude", "longitude", "registered_voters"):
            stations[col] = pd.to_numeric(stations[col], errors="coerce").astype("float64")
        else:
            text = stations[col].astype(object)
            stations[col] = text.where(text.notna(), None)
    option_ids = [o.id for o in options]
    official = layer(official, index, option_ids)
    line_frame, derived = with_ballots_cast(
        layer(lines, index, list(lines.columns) if lines is not None else []), line_derivations
    )
    line_frame = line_frame[ordered_lines(list(line_frame.columns), line_captions)]
    known = official.notna().any(axis=1) | line_frame.notna().any(axis=1)
    if isinstance(official_source, pd.Series):
        source = (
            official_source if official_source.index is index else official_source.reindex(index)
        )
    else:
        source = pd.Series(official_source, index=index, dtype=object)
    source = source.astype(object).where(known, None)
    obs = layer(observers, index, ["observers", "turnout_count"])
    if violations is None:
        violations = pd.DataFrame(
            {"station_id": pd.Series(dtype=str), "code": pd.Series(dtype=str)}
        )
    return ElectionData(
        election=election,
        options=options,
        stations=stations,
        lines=line_frame,
        official=official,
        official_source=source,
        declared=layer(declared, index, option_ids),
        photo=layer(photo, index, option_ids),
        observers=obs,
        violations=violations.reset_index(drop=True),
        violation_codes=violation_codes or {},
        national_totals=national_totals or {},
        line_captions=dict(line_captions or {}),
        line_derivations=derived,
    )
