"""Build an :class:`ElectionData` from loose frames, aligning every layer on the stations."""

from __future__ import annotations

import pandas as pd

from honestcount.model import (
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
    return frame.reindex(index=index, columns=columns).astype("float64")


def with_ballots_cast(lines: pd.DataFrame) -> pd.DataFrame:
    """Add ``ballots_cast`` from the boxes where a protocol has box lines and no such line."""
    if "ballots_cast" not in lines.columns:
        if {"ballots_portable", "ballots_stationary"} <= set(lines.columns):
            lines = lines.assign(
                ballots_cast=lines["ballots_portable"] + lines["ballots_stationary"]
            )
        else:
            lines = lines.assign(ballots_cast=float("nan"))
    return lines


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
) -> ElectionData:
    index = pd.Index(stations.index.astype(str), name="station_id")
    stations = stations.set_axis(index).reindex(columns=list(STATION_COLUMNS))
    for col in STATION_COLUMNS:
        if col in ("latitude", "longitude", "registered_voters"):
            stations[col] = pd.to_numeric(stations[col], errors="coerce").astype("float64")
        else:
            text = stations[col].astype(object)
            stations[col] = text.where(text.notna(), None)
    option_ids = [o.id for o in options]
    official = layer(official, index, option_ids)
    line_frame = with_ballots_cast(
        layer(lines, index, list(lines.columns) if lines is not None else [])
    )
    known = official.notna().any(axis=1) | line_frame.notna().any(axis=1)
    if isinstance(official_source, pd.Series):
        source = official_source.reindex(index)
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
    )
