"""Commands that load and list what the store holds: import, elections, stations, summary,
findings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from honestcount.cli.common import (
    ElectionOpt,
    JsonOpt,
    app,
    emit_json,
    engine,
    err,
    out,
    run_guarded,
    sha256_of,
)
from honestcount.cli.output import fmt_count, print_summary
from honestcount.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from honestcount.model import Election, ElectionData


@dataclasses.dataclass(frozen=True)
class Imported:
    data: ElectionData
    findings: pd.DataFrame
    rows_written: dict[str, int]


def import_job(
    eng: Engine,
    source: str,
    fmt: str | None,
    election: str | None,
    overrides: dict[str, str | None] | None = None,
    leader: str | None = None,
) -> Imported:
    """Read a source and replace its election in the store (one transaction)."""
    from honestcount.checks.quality import findings as quality_findings
    from honestcount.sources import read_source
    from honestcount.store.repository import save_election

    if fmt is None and source != "belarus-2020":
        raise InputError(f"unknown source {source!r}: give --format golos|ru-cec|generic")
    path = None if fmt is None else Path(source)
    with err.status(f"reading {source}"):
        data = read_source(fmt or "belarus-2020", path, election, leader=leader)
        data.election = _override(data.election, **(overrides or {}))
        found = quality_findings(data)
    with err.status(f"writing {len(data):,} stations"):
        written = save_election(
            eng,
            data,
            findings=found,
            import_format=fmt or source,
            import_path=str(path or "bundled:belarus-2020"),
            import_sha256=sha256_of(path),
        )
    return Imported(data, found, written)


@app.command("import")
def import_(
    source: Annotated[
        str, typer.Argument(help="'belarus-2020' (bundled), or a file/folder with --format.")
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="golos | ru-cec | generic")
    ] = None,
    election: Annotated[str | None, typer.Option("--election", "-e")] = None,
    name: Annotated[str | None, typer.Option(help="Election name.")] = None,
    date: Annotated[str | None, typer.Option(help="Election date, YYYY-MM-DD.")] = None,
    country: Annotated[str | None, typer.Option(help="Country code.")] = None,
    leader: Annotated[
        str | None,
        typer.Option(
            help="The option the forensics treat as the leader (id, name or column header; "
            "default: the option with most votes)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import an election (replacing it if present): all or nothing."""
    from honestcount.summary import summarise

    def run() -> None:
        overrides = {"name": name, "date": date, "country": country}
        done = import_job(engine(), source, fmt, election, overrides, leader)
        report = summarise(done.data, done.findings) | {"rows_written": done.rows_written}
        if as_json:
            emit_json(report)
        else:
            print_summary(report)

    run_guarded(run)


def _override(
    election: Election, name: str | None = None, date: str | None = None, country: str | None = None
) -> Election:
    changes: dict[str, Any] = {k: v for k, v in {"name": name, "country": country}.items() if v}
    if date:
        try:
            changes["date"] = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError(f"--date {date!r} is not YYYY-MM-DD") from None
    return dataclasses.replace(election, **changes)


@app.command()
def elections(as_json: JsonOpt = False) -> None:
    """List the elections in the store."""
    from honestcount.store.repository import list_elections

    def run():
        frame = list_elections(engine())
        records = [
            {k: (None if v != v else v) for k, v in row.items()}  # NaN -> None
            for row in frame.to_dict("records")
        ]
        if as_json:
            emit_json({"elections": records})
            return
        table = Table("id", "name", "date", "stations", "registered voters")
        for r in records:
            table.add_row(
                r["id"],
                r["name"],
                str(r["date"] or ""),
                f"{r['stations']:,}",
                fmt_count(None if r["registered_voters"] is None else int(r["registered_voters"])),
            )
        out.print(table)

    run_guarded(run)


@app.command()
def stations(
    election: ElectionOpt,
    region: Annotated[str | None, typer.Option(help="Only this region.")] = None,
    settlement_type: Annotated[str | None, typer.Option(help="Only this settlement type.")] = None,
    official: Annotated[
        bool | None,
        typer.Option(
            "--official/--no-official", help="Only stations with/without an official result."
        ),
    ] = None,
    search: Annotated[str | None, typer.Option(help="Station id, town or name contains.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (after filters).")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the stations to CSV.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List an election's stations with their evidence."""
    import numpy as np

    from honestcount.store.repository import load_election
    from honestcount.summary import station_records, station_table

    def run():
        data = load_election(engine(), election)
        s = data.stations
        mask = np.ones(len(data), dtype=bool)
        if region is not None:
            mask &= (s["region"] == region).to_numpy()
        if settlement_type is not None:
            mask &= (s["settlement_type"] == settlement_type).to_numpy()
        if official is not None:
            mask &= data.has_official == official
        if search:
            text = s.index.to_series() + " " + s["town"].fillna("") + " " + s["name"].fillna("")
            mask &= text.str.contains(search, case=False, regex=False).to_numpy()
        if limit is not None:
            mask &= np.cumsum(mask) <= limit
        if csv is not None:
            station_table(data)[mask].to_csv(csv)
            err.print(f"wrote {int(mask.sum()):,} stations to {csv}")
        if as_json:
            emit_json(
                {
                    "election": election,
                    "count": int(mask.sum()),
                    "stations": station_records(data, mask),
                }
            )
        elif csv is None:
            show = station_records(data, mask)[:50]
            table = Table("id", "region", "settlement", "official source", "voters' evidence")
            for r in show:
                photo = r["photo_confirmed"]
                table.add_row(
                    r["id"],
                    str(r["region"] or ""),
                    str(r["settlement_type"] or ""),
                    r["official_source"] or "none",
                    "none" if photo is None else f"{sum(v or 0 for v in photo.values())} photos",
                )
            out.print(table)
            out.print(
                f"{int(mask.sum()):,} stations" + (" (first 50 shown)" if mask.sum() > 50 else "")
            )

    run_guarded(run)


@app.command()
def summary(election: ElectionOpt, as_json: JsonOpt = False) -> None:
    """Summarise one election: stations, evidence coverage, official sums, data quality."""
    from honestcount.store.repository import load_election, load_findings
    from honestcount.summary import summarise

    def run():
        eng = engine()
        report = summarise(load_election(eng, election), load_findings(eng, election))
        emit_json(report) if as_json else print_summary(report)

    run_guarded(run)


@app.command()
def findings(
    election: ElectionOpt,
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Data-quality findings recorded at import (odd but real values, kept as they are)."""
    from honestcount.store.repository import load_election, load_findings

    def run():
        eng = engine()
        load_election(eng, election)  # a clear error for an unknown election
        frame = load_findings(eng, election)
        if rule:
            frame = frame[frame["rule"] == rule]
        records = frame.to_dict("records")
        if as_json:
            emit_json({"election": election, "count": len(records), "findings": records})
            return
        table = Table("station", "rule", "detail")
        for r in records[:200]:
            table.add_row(str(r["station_id"]), r["rule"], r["detail"])
        out.print(table)
        out.print(f"{len(records):,} findings")

    run_guarded(run)
