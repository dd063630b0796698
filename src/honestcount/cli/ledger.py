"""The ``ledger`` command group: the aftermath ledger of detentions, releases and claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from honestcount.cli.common import JsonOpt, app, emit_json, engine, out, run_guarded
from honestcount.cli.output import fmt_count

ledger_app = typer.Typer(
    help="Aftermath ledger: detentions, releases, injuries and deaths, held against official "
    "figures. Names are encrypted with the key in HONESTCOUNT_LEDGER_KEY.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")


def _ledger(fn, as_json: bool, headline, **kwargs) -> None:
    """Run a ledger job on the current database; print JSON or a one-screen summary."""

    def run():
        doc = fn(db=engine(), **kwargs)
        if as_json:
            emit_json(doc)
        else:
            out.print(headline(doc))

    run_guarded(run)


@ledger_app.command("import")
def ledger_import(
    file: Annotated[Path, typer.Argument(help="A list: CSV or XLSX.")],
    source: Annotated[str, typer.Option(help="Name of the list (re-importing replaces it).")],
    source_kind: Annotated[
        str,
        typer.Option(help="volunteer_list, relative, lawyer, rights_group, media, official, ..."),
    ] = "volunteer_list",
    kind: Annotated[
        str,
        typer.Option(help="What each row reports: detained, released, held, tried, injured, died."),
    ] = "detained",
    date: Annotated[str | None, typer.Option(help="The list's date, YYYY-MM-DD.")] = None,
    place: Annotated[str | None, typer.Option(help="Where, if the list does not say.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a volunteer list into the ledger."""
    from honestcount.ledger.commands import ledger_import as job

    _ledger(
        job,
        as_json,
        lambda d: f"imported {d['records']:,} records from {d['source']}",
        file=file,
        source=source,
        source_kind=source_kind,
        kind=kind,
        date=date,
        place=place,
    )


@ledger_app.command("link")
def ledger_link(
    review_low: Annotated[float, typer.Option(help="Pairs above this go to review.")] = 0.2,
    review_high: Annotated[float, typer.Option(help="Pairs above this are linked.")] = 0.9,
    as_json: JsonOpt = False,
) -> None:
    """Decide who is who across all lists (probabilistic record linkage with Splink)."""
    from honestcount.ledger.commands import ledger_link as job

    _ledger(
        job,
        as_json,
        lambda d: json.dumps(d, ensure_ascii=False, default=str)[:2000],
        review_low=review_low,
        review_high=review_high,
    )


@ledger_app.command("claims")
def ledger_claims(as_json: JsonOpt = False) -> None:
    """Official and public claims beside what the cases support, with the gap."""
    from honestcount.ledger.commands import ledger_claims as job

    def headline(doc: dict) -> Table:
        table = Table(
            "stated",
            "source",
            "kind",
            "claimed",
            "cases support",
            "where, when",
            title="Claims against the cases",
        )
        for c in doc["claims"]:
            support = c.get("supported_range") or {}
            scope = c["scope"] if isinstance(c["scope"], dict) else {}
            table.add_row(
                str(c["date"]),
                str(c["source"]),
                c["kind"],
                fmt_count(c["quantity"]),
                f"{support.get('low', c['supported'])}–{support.get('high', c['supported'])}",
                f"{', '.join(scope.get('places') or [])} "
                f"{scope.get('from', '')}–{scope.get('to', '')}",
            )
        return table

    _ledger(job, as_json, headline)


@ledger_app.command("figures")
def ledger_figures(
    as_of: Annotated[str | None, typer.Option(help="Figures as of this date.")] = None,
    min_cell: Annotated[int, typer.Option(help="Hide cells smaller than this.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Counts by day, place and facility, each a low/best/high range."""
    from honestcount.ledger.commands import ledger_figures as job

    _ledger(
        job,
        as_json,
        lambda d: json.dumps(d.get("totals", d), ensure_ascii=False, default=str, indent=1)[:3000],
        as_of=as_of,
        min_cell=min_cell,
    )


@ledger_app.command("synth")
def ledger_synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the synthetic lists.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    records: Annotated[int, typer.Option(help="Records over all lists.")] = 35_000,
    lists: Annotated[int, typer.Option(help="Number of lists.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Write synthetic lists with known identities (for tests, training and benchmarks)."""
    from honestcount.ledger.commands import ledger_synth as job

    def run():
        doc = job(out_dir, seed=seed, records=records, lists=lists)
        emit_json(doc) if as_json else out.print(
            f"wrote {doc['records']:,} records of {doc['people']:,} people in "
            f"{len(doc['lists'])} lists to {out_dir}"
        )

    run_guarded(run)


@ledger_app.command("search")
def ledger_search(
    name: Annotated[str, typer.Argument(help="Full name: surname and given name.")],
    year: Annotated[int, typer.Option(help="Year of birth.")],
    as_json: JsonOpt = False,
) -> None:
    """The relatives' search: whether and where a person was last recorded, nothing else."""
    from honestcount.ledger.commands import ledger_search as job

    _ledger(
        job, as_json, lambda d: json.dumps(d, ensure_ascii=False, default=str), name=name, year=year
    )


ActorOpt = Annotated[
    str, typer.Option("--actor", help="Who is doing this (kept in the ledger's access log).")
]


def _pairs_table(doc: dict) -> Table:
    table = Table("A", "B", "p", "A: name, year, list", "B: name, year, list", title="To review")
    for pair in doc["pairs"]:
        a, b = pair["record_l"], pair["record_r"]
        table.add_row(
            str(a["id"]),
            str(b["id"]),
            f"{pair['probability']:.2f}",
            f"{a['name']}, {a['birth_year'] or '?'}, {a['source']} #{a['row']}",
            f"{b['name']}, {b['birth_year'] or '?'}, {b['source']} #{b['row']}",
        )
    table.caption = f"{doc['pending']:,} pairs pending; decide with `ledger decide A B --same`"
    return table


@ledger_app.command("review")
def ledger_review(
    actor: ActorOpt,
    limit: Annotated[int, typer.Option(help="How many pairs to show.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The review queue: uncertain pairs, most uncertain first (each record shown is logged)."""
    from honestcount.ledger.commands import ledger_review as job

    _ledger(job, as_json, _pairs_table, actor=actor, limit=limit)


@ledger_app.command("decide")
def ledger_decide(
    record_a: Annotated[int, typer.Argument(help="One record's id (from `ledger review`).")],
    record_b: Annotated[int, typer.Argument(help="The other record's id.")],
    actor: ActorOpt,
    same: Annotated[
        bool, typer.Option("--same/--different", help="The same person, or two people.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Record a reviewer's decision on a pair (kept across linkage runs; logged)."""
    from honestcount.ledger.commands import ledger_decide as job

    _ledger(
        job,
        as_json,
        lambda d: (
            f"records {d['record_l']} and {d['record_r']}: {d['status']}; people now "
            f"{d['people']['low']:,}–{d['people']['high']:,} (best {d['people']['best']:,})"
        ),
        record_a=record_a,
        record_b=record_b,
        same=same,
        actor=actor,
    )


@ledger_app.command("case")
def ledger_case(
    person: Annotated[int, typer.Argument(help="The person's id.")],
    actor: ActorOpt,
    purpose: Annotated[str, typer.Option(help="Why the case is read (logged).")],
    as_json: JsonOpt = False,
) -> None:
    """One person's case: records, facts with their sources, events, conflicts (logged)."""
    from honestcount.ledger.commands import ledger_case as job

    _ledger(
        job,
        as_json,
        lambda d: json.dumps(d, ensure_ascii=False, default=str, indent=1),
        person=person,
        actor=actor,
        purpose=purpose,
    )


@ledger_app.command("purge")
def ledger_purge(
    older_than: Annotated[
        int | None, typer.Option(help="Also delete records imported more than DAYS ago.")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who runs the purge (logged).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Apply the retention rule: delete records past their date (held and public cases stay)."""
    from honestcount.ledger.commands import ledger_purge as job

    _ledger(
        job,
        as_json,
        lambda d: f"deleted {d['records_deleted']:,} records and {d['people_deleted']:,} people",
        older_than_days=older_than,
        actor=actor,
    )


@ledger_app.command("keygen")
def ledger_keygen() -> None:
    """Print a new organisation key (keep it outside the database)."""
    from honestcount.ledger.commands import ledger_keygen as job

    emit_json(job())
