"""The ``honestcount`` command line: one command for every job, ``--json`` on every report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from honestcount.errors import HonestcountError, InputError

app = typer.Typer(
    help="Independent verification of an election count from citizens' evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 120)  # pipes get readable tables too
_state: dict[str, str | None] = {"db": None}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout.")]
ElectionOpt = Annotated[str, typer.Option("--election", "-e", help="Election id.")]


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="HONESTCOUNT_DB",
            help="Database URL (sqlite:///file.db or postgresql://...). "
            "Default: honestcount.db in the working directory.",
        ),
    ] = None,
) -> None:
    _state["db"] = db


def engine():
    from honestcount.store.db import make_engine

    return make_engine(_state["db"])


def emit_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str, indent=1) + "\n")


def run_guarded(fn):
    """Report honestcount errors as one clear line on stderr and exit non-zero."""
    try:
        return fn()
    except HonestcountError as exc:
        typer.echo(f"error: {exc}", err=True)  # one unwrapped line, easy to grep
        raise typer.Exit(2) from None


def _sha256(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


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
    as_json: JsonOpt = False,
) -> None:
    """Import an election (replacing it if present): all or nothing."""
    from honestcount.checks.quality import findings as quality_findings
    from honestcount.sources import read_source
    from honestcount.store.repository import save_election
    from honestcount.summary import summarise

    def run():
        if fmt is None and source != "belarus-2020":
            raise InputError(f"unknown source {source!r}: give --format golos|ru-cec|generic")
        path = None if fmt is None else Path(source)
        with err.status(f"reading {source}"):
            data = read_source(fmt or "belarus-2020", path, election)
            data.election = _override(data.election, name, date, country)
            found = quality_findings(data)
        with err.status(f"writing {len(data):,} stations"):
            written = save_election(
                engine(),
                data,
                findings=found,
                import_format=fmt or source,
                import_path=str(path or "bundled:belarus-2020"),
                import_sha256=_sha256(path),
            )
        report = summarise(data, found) | {"rows_written": written}
        if as_json:
            emit_json(report)
        else:
            print_summary(report)

    run_guarded(run)


def _override(election, name, date, country):
    changes = {k: v for k, v in {"name": name, "country": country}.items() if v}
    if date:
        try:
            changes["date"] = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError(f"--date {date!r} is not YYYY-MM-DD") from None
    return dataclasses.replace(election, **changes)


def print_summary(report: dict) -> None:
    out.print(f"[bold]{report['name']}[/] ({report['election']})")
    for key in (
        "stations",
        "registered_voters",
        "stations_with_official_result",
        "stations_with_voter_evidence",
        "stations_with_observers",
        "stations_with_violations",
    ):
        value = report.get(key)
        out.print(f"  {key.replace('_', ' ')}: {'unknown' if value is None else f'{value:,}'}")
    table = Table(
        "option",
        "official (stations known)",
        "declared",
        "photo-confirmed",
        "national official",
        title="Votes by option",
    )
    for o in report["options"]:
        table.add_row(
            o["id"],
            *[
                _fmt(o[k])
                for k in ("official_votes", "declared", "photo_confirmed", "national_total")
            ],
        )
    out.print(table)
    if report.get("data_quality"):
        out.print("Data-quality findings (imported as they are, see `honestcount findings`):")
        for rule, n in report["data_quality"].items():
            out.print(f"  {rule}: {n:,}")


def _fmt(value) -> str:
    return "unknown" if value is None else f"{value:,}"


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
                _fmt(None if r["registered_voters"] is None else int(r["registered_voters"])),
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


@app.command()
def verify(
    election: ElectionOpt,
    as_json: JsonOpt = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="One row per station.")] = None,
    min_photo_excess: Annotated[
        int, typer.Option(help="Photos must exceed the official count by at least this.")
    ] = 1,
    min_declared_excess: Annotated[int, typer.Option(help="Same, for declared choices.")] = 1,
    turnout_tolerance: Annotated[
        float,
        typer.Option(help="Allowed relative excess of official voters over observers' count."),
    ] = 0.05,
    turnout_tolerance_votes: Annotated[
        int, typer.Option(help="...and at least this many voters.")
    ] = 10,
    recompute: Annotated[bool, typer.Option(help="Ignore stored verdicts.")] = False,
) -> None:
    """What the evidence proves, station by station; stored for pages and later runs."""
    from honestcount.checks.verdicts import Thresholds
    from honestcount.checks.verify import evidence_digest, report, station_frame
    from honestcount.checks.verify import verify as run_verify
    from honestcount.store.repository import load_election
    from honestcount.store.verdicts import load_verification, save_verification

    thresholds = Thresholds(
        min_photo_excess, min_declared_excess, turnout_tolerance, turnout_tolerance_votes
    )

    def run():
        eng = engine()
        data = load_election(eng, election)
        digest = evidence_digest(data)
        stored = None if recompute else load_verification(eng, election)
        fresh = (
            stored is not None
            and stored["evidence_digest"] == digest
            and stored["thresholds"] == dataclasses.asdict(thresholds)
        )
        if fresh and csv is None:
            doc = stored["report"]
        else:
            v = run_verify(data, thresholds)
            doc = report(v)
            stations = station_frame(v)
            save_verification(eng, election, digest, dataclasses.asdict(thresholds), doc, stations)
            if csv is not None:
                stations.to_csv(csv)
                err.print(f"wrote {len(stations):,} stations to {csv}")
        if as_json:
            emit_json(doc)
        else:
            print_verification(doc)

    run_guarded(run)


def print_verification(doc: dict) -> None:
    out.print(
        f"[bold]Verification of {doc['election']}[/]: {doc['stations']:,} stations, "
        f"{doc['stations_with_official_result']:,} with an official result"
    )
    table = Table("verdict", "stations", title="Overall verdict per station")
    for verdict, n in doc["verdicts"].items():
        table.add_row(verdict, f"{n:,}")
    out.print(table)
    table = Table(
        "option",
        "photos exceed official",
        "declarations exceed official",
        "proven excess votes",
        title="Proven by option",
    )
    for option, row in doc["proven_by_option"].items():
        table.add_row(
            option, f"{row['photo']:,}", f"{row['declared']:,}", f"{row['excess_votes']:,}"
        )
    out.print(table)
    failures = {k: v for k, v in doc["check_failures"].items() if v}
    if failures:
        out.print("Protocol checks failed: " + ", ".join(f"{k} {v:,}" for k, v in failures.items()))
    remainder = doc.get("national_remainder")
    if remainder:
        table = Table(
            "option",
            "national official",
            "in known stations",
            "share known",
            "share remainder",
            title=f"National result vs the "
            f"{remainder['stations_known']:,} stations with known protocols",
        )
        for option, row in remainder["options"].items():
            table.add_row(
                option,
                _fmt(row["national"]),
                _fmt(row["known_stations"]),
                _pct(row["share_in_known_stations"]),
                _pct(row["share_in_remainder"]),
            )
        out.print(table)


def _pct(x) -> str:
    return "unknown" if x is None else f"{100 * x:.1f}%"


def _checks_ok(data):
    """Stations whose protocol fails no control relation (for the 'clean' definition)."""
    import numpy as np
    import pandas as pd

    from honestcount.checks.rules import check_all

    failed = np.zeros(len(data), dtype=bool)
    for outcome in check_all(data):
        failed |= outcome.failed
    return pd.Series(~failed, index=data.stations.index)


@app.command()
def estimate(
    election: ElectionOpt,
    method: Annotated[list[str] | None, typer.Option("--method", "-m",
                                                     help="ratio | ratio_photo | pvt "
                                                          "(repeatable; default all)")] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    threshold: Annotated[float, typer.Option(help="Evidence coverage a station needs to count "
                                                  "as clean.")] = 0.02,
    definition: Annotated[str, typer.Option(help="'proof' (no proven falsification) or "
                                                 "'strict' (declarations do not exceed the "
                                                 "official count either).")] = "proof",
    sensitivity_plot: Annotated[Path | None, typer.Option("--sensitivity",
                                                          help="Write the sensitivity table "
                                                               "(CSV) and plot (PNG) with "
                                                               "this path stem.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The real result with honest uncertainty: lower bounds and estimates with intervals."""
    from honestcount.estimate import estimates_table, run_estimate
    from honestcount.store.repository import load_election

    def run():
        data = load_election(engine(), election)
        checks_ok = _checks_ok(data)
        with err.status(f"estimating ({n_boot:,} bootstrap replicates)"):
            doc = run_estimate(data, method or None, n_boot=n_boot, seed=seed,
                               checks_ok=checks_ok, threshold=threshold, definition=definition)
        if sensitivity_plot is not None:
            from honestcount.estimate.sensitivity import plot_sensitivity, sensitivity

            with err.status("sensitivity analysis"):
                table = sensitivity(data, checks_ok=checks_ok, seed=seed)
            stem = sensitivity_plot.with_suffix("")
            table.to_csv(stem.with_suffix(".csv"), index=False)
            official = {o: r["share"] for o, r in doc.get("official", {}).items()
                        if isinstance(r, dict) and r.get("share") is not None}
            plot_sensitivity(table, stem.with_suffix(".png"), reference=official or None,
                             title=f"{data.election.name}: sensitivity of the estimate")
            doc["sensitivity"] = {"csv": str(stem.with_suffix(".csv")),
                                  "png": str(stem.with_suffix(".png"))}
        if as_json:
            emit_json(doc)
            return
        out.print(f"[bold]Estimates for {election}[/] (shares of ballots cast, 95% intervals)")
        out.print(estimates_table(doc).to_string())
        for name, text in doc.get("assumptions", {}).items():
            out.print(f"[bold]{name}[/]: {text}")

    run_guarded(run)


pvt_app = typer.Typer(help="Parallel vote tabulation: draw a sample of stations.",
                      no_args_is_help=True)
app.add_typer(pvt_app, name="pvt")


@pvt_app.command("draw")
def pvt_draw(
    election: ElectionOpt,
    n: Annotated[int, typer.Option("--n", help="Sample size (stations).")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same sample.")] = 0,
    strata: Annotated[str, typer.Option(help="Comma-separated station columns.")] =
        "region,settlement_type",
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the sample here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw a stratified random sample of stations, reproducibly from a seed."""
    from honestcount.estimate import draw_sample
    from honestcount.store.repository import load_election

    def run():
        data = load_election(engine(), election)
        columns = [c.strip() for c in strata.split(",") if c.strip()]
        unknown = [c for c in columns if c not in data.stations.columns]
        if unknown:
            raise InputError(f"unknown strata column(s) {unknown}; station columns: "
                             f"{', '.join(data.stations.columns)}")
        if not 0 < n <= len(data):
            raise InputError(f"--n must be between 1 and {len(data):,}")
        sample = draw_sample(data.stations, n, columns, seed)
        if csv is not None:
            sample.to_csv(csv)
        doc = {"election": election, "seed": seed, "n": len(sample), "strata": columns,
               "stations": list(map(str, sample.index))}
        if as_json:
            emit_json(doc)
        elif csv is None:
            out.print("\n".join(doc["stations"]))
        err.print(f"drew {len(sample):,} stations (seed {seed})")

    run_guarded(run)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the election to.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    stations: Annotated[int, typer.Option(help="Number of stations.")] = 5767,
    falsified_share: Annotated[float, typer.Option(help="Share of falsified stations.")] = 0.3,
    falsify_where: Annotated[str, typer.Option(help="random | low_evidence | high_support")] =
        "random",
    protocol_share: Annotated[float, typer.Option(help="Share of stations whose protocol "
                                                       "is obtained.")] = 0.24,
    protocol_bias: Annotated[float, typer.Option(help="How much more often protocols are "
                                                      "obtained where the platform is "
                                                      "popular (1 = no bias).")] = 1.0,
    participation: Annotated[float, typer.Option(help="Scale of voters' participation in "
                                                      "the platform.")] = 1.0,
    photo_rate: Annotated[float, typer.Option(help="Share of participants who send a "
                                                   "photo.")] = 0.6,
    as_json: JsonOpt = False,
) -> None:
    """Write a synthetic election in the Golos layout, with known truth (truth.json)."""
    from honestcount.estimate.simulate import simulate as run_simulation

    def run():
        sim = run_simulation(seed=seed, n_stations=stations, out=out_dir,
                             falsified_share=falsified_share, falsify_where=falsify_where,
                             protocol_share=protocol_share, protocol_bias=protocol_bias,
                             participation=participation, photo_rate=photo_rate)
        doc = {"out": str(out_dir), "seed": seed, "stations": len(sim.data),
               "truth": str(out_dir / "truth.json"),
               "load_with": f"honestcount import --format golos {out_dir} --election sim-{seed}"}
        emit_json(doc) if as_json else err.print(f"wrote a simulated election to {out_dir}; "
                                                 f"load it with: {doc['load_with']}")

    run_guarded(run)


@app.command()
def forensics(
    election: ElectionOpt,
    tests: Annotated[str | None, typer.Option(help="Comma-separated test names "
                                                   "(default: all).")] = None,
    leader: Annotated[str | None, typer.Option(help="Option id of the leader (default: most "
                                                    "official votes).")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG plots here.")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Per-station class probabilities "
                                                           "of the mixture model.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Statistical tests on official results: anomaly indicators, never verdicts."""
    from honestcount.forensics.battery import TESTS, run_battery
    from honestcount.store.repository import load_election

    names = None if tests is None else [t.strip() for t in tests.split(",") if t.strip()]

    def run():
        unknown = [t for t in names or [] if t not in TESTS]
        if unknown:
            raise InputError(f"unknown test(s) {unknown}; available: {', '.join(TESTS)}")
        data = load_election(engine(), election)
        if leader is not None and leader not in data.choice_option_ids:
            raise InputError(f"--leader {leader!r} is not an option of {election}; options: "
                             f"{', '.join(data.choice_option_ids)}")
        if plots is not None:
            plots.mkdir(parents=True, exist_ok=True)
        with err.status("running forensics"):
            doc = run_battery(data, names, leader, plots)
        if csv is not None:
            _write_mixture_csv(data, doc, csv)
        if as_json:
            emit_json(doc)
            return
        out.print(f"[bold]Forensics for {doc['election']}[/] (leader: {doc['leader']}, "
                  f"{doc['stations']:,} stations)")
        out.print(f"[italic]{doc['note']}[/]")
        for name, result in doc["tests"].items():
            out.print(f"[bold]{name}[/]: {_headline(result)}")

    run_guarded(run)


def _headline(result: dict) -> str:
    if result.get("skipped"):
        return f"skipped ({result['reason']})"
    if "error" in result:
        return f"error: {result['error']}"
    keys = ("observed", "expected", "excess", "p_value", "anomalous_votes", "core_turnout",
            "corrected_share", "corrected_turnout", "f_incremental", "f_extreme", "pi")
    shown = {k: result[k] for k in keys if k in result}
    return ", ".join(f"{k} {v:,.4g}" if isinstance(v, int | float) else f"{k} {v}"
                     for k, v in shown.items()) or "done (see --json)"


def _write_mixture_csv(data, doc: dict, path: Path) -> None:
    try:
        from honestcount.forensics.mixture import station_probabilities
    except ImportError:
        raise InputError("--csv needs the mixture model, which is not available") from None
    if "mixture" not in doc["tests"]:
        raise InputError("--csv writes the mixture model's per-station class probabilities: "
                         "add mixture to --tests")
    station_probabilities(data, doc["leader"]).to_csv(path)
    err.print(f"wrote per-station class probabilities to {path}")


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
    source_kind: Annotated[str, typer.Option(help="volunteer_list, relative, lawyer, "
                                                  "rights_group, media, official, ...")] =
        "volunteer_list",
    kind: Annotated[str, typer.Option(help="What each row reports: detained, released, "
                                           "held, tried, injured, died.")] = "detained",
    date: Annotated[str | None, typer.Option(help="The list's date, YYYY-MM-DD.")] = None,
    place: Annotated[str | None, typer.Option(help="Where, if the list does not say.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a volunteer list into the ledger."""
    from honestcount.ledger.commands import ledger_import as job

    _ledger(job, as_json, lambda d: f"imported {d['records']:,} records from {d['source']}",
            file=file, source=source, source_kind=source_kind, kind=kind, date=date, place=place)


@ledger_app.command("link")
def ledger_link(
    review_low: Annotated[float, typer.Option(help="Pairs above this go to review.")] = 0.2,
    review_high: Annotated[float, typer.Option(help="Pairs above this are linked.")] = 0.9,
    as_json: JsonOpt = False,
) -> None:
    """Decide who is who across all lists (probabilistic record linkage with Splink)."""
    from honestcount.ledger.commands import ledger_link as job

    _ledger(job, as_json, lambda d: json.dumps(d, ensure_ascii=False, default=str)[:2000],
            review_low=review_low, review_high=review_high)


@ledger_app.command("claims")
def ledger_claims(as_json: JsonOpt = False) -> None:
    """Official and public claims beside what the cases support, with the gap."""
    from honestcount.ledger.commands import ledger_claims as job

    def headline(doc: dict) -> Table:
        table = Table("stated", "source", "kind", "claimed", "cases support", "where, when",
                      title="Claims against the cases")
        for c in doc["claims"]:
            support = c.get("supported_range") or {}
            scope = c["scope"] if isinstance(c["scope"], dict) else {}
            table.add_row(str(c["date"]), str(c["source"]), c["kind"], _fmt(c["quantity"]),
                          f"{support.get('low', c['supported'])}–"
                          f"{support.get('high', c['supported'])}",
                          f"{', '.join(scope.get('places') or [])} "
                          f"{scope.get('from', '')}–{scope.get('to', '')}")
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

    _ledger(job, as_json, lambda d: json.dumps(d.get("totals", d), ensure_ascii=False,
                                               default=str, indent=1)[:3000],
            as_of=as_of, min_cell=min_cell)


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
            f"{len(doc['lists'])} lists to {out_dir}")

    run_guarded(run)


@ledger_app.command("search")
def ledger_search(
    name: Annotated[str, typer.Argument(help="Full name: surname and given name.")],
    year: Annotated[int, typer.Option(help="Year of birth.")],
    as_json: JsonOpt = False,
) -> None:
    """The relatives' search: whether and where a person was last recorded, nothing else."""
    from honestcount.ledger.commands import ledger_search as job

    _ledger(job, as_json, lambda d: json.dumps(d, ensure_ascii=False, default=str),
            name=name, year=year)


@ledger_app.command("keygen")
def ledger_keygen() -> None:
    """Print a new organisation key (keep it outside the database)."""
    from honestcount.ledger.commands import ledger_keygen as job

    emit_json(job())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the intake API, the public pages and the open data (one ASGI application)."""
    import uvicorn

    from honestcount.app import create_app

    application = run_guarded(lambda: create_app(_state["db"]))
    err.print(f"honestcount serving on http://{host}:{port}/")
    uvicorn.run(application, host=host, port=port, log_level="warning")


audit_app = typer.Typer(help="The intake service's hash-chained audit log.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Check every link of the audit chain: a silent edit or deletion is reported."""
    from honestcount.intake import audit_verify as check

    def run():
        report = check(engine())
        doc = report.as_dict()
        if as_json:
            emit_json(doc)
        else:
            out.print(f"audit log: {report.entries:,} entries in {report.chains} chain(s): "
                      + ("intact" if report.ok else "[bold red]BROKEN[/]"))
            for problem in report.problems:
                out.print(f"  {problem}")
        if not report.ok:
            raise typer.Exit(1)

    run_guarded(run)


intake_app = typer.Typer(help="The intake service: accounts and evidence.", no_args_is_help=True)
app.add_typer(intake_app, name="intake")


@intake_app.command("admin")
def intake_admin(
    label: Annotated[str, typer.Argument(help="Who the account is for (no personal data).")],
) -> None:
    """Create an admin account and print its token once (the store keeps only its hash)."""
    from honestcount.intake import create_account

    def run():
        account, token = create_account(engine(), "admin", label)
        emit_json({"account": account, "role": "admin", "token": token})

    run_guarded(run)


@intake_app.command("materialise")
def intake_materialise(election: ElectionOpt, as_json: JsonOpt = False) -> None:
    """Turn accepted intake evidence into the election's evidence layers (verify then sees it)."""
    from honestcount.intake import materialise_evidence

    def run():
        doc = materialise_evidence(engine(), election)
        emit_json(doc) if as_json else out.print(json.dumps(doc, default=str))

    run_guarded(run)


@app.command()
def publish(
    election: ElectionOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the static site.")],
    languages: Annotated[str, typer.Option(help="Comma-separated: en,be,ru.")] = "en,be,ru",
    as_json: JsonOpt = False,
) -> None:
    """Write the whole public site as static files: a mirror that works from any host or disk."""
    from honestcount.web.publish import publish as write_site

    def run():
        langs = tuple(x.strip() for x in languages.split(",") if x.strip())
        doc = write_site(engine(), election, out_dir, languages=langs,
                         progress=lambda msg: err.print(msg, highlight=False))
        if as_json:
            emit_json(doc)
        else:
            out.print(f"wrote {doc['files']:,} files ({doc['bytes'] / 1e6:,.1f} MB) to {out_dir}; "
                      f"open {doc['index']}")

    run_guarded(run)


def _ensure_secret() -> None:
    """A local key for hashing phone numbers, made once and kept beside the database."""
    import os
    import secrets

    if os.environ.get("HONESTCOUNT_SECRET") or os.environ.get("HONESTCOUNT_DEV"):
        return
    path = Path("honestcount.secret")
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
        err.print(f"made a new intake secret in {path.resolve()} (keep it private, back it up)")
    os.environ["HONESTCOUNT_SECRET"] = path.read_text().strip()


@app.command("run")
def run_all(
    source: Annotated[str, typer.Argument(help="The bundled data set to run on.")] = "belarus-2020",
    host: Annotated[str, typer.Option(help="Address to serve the dashboard on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve the dashboard on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the report.")] = False,
) -> None:
    """The main job: import the bundled evidence, verify it, estimate, and serve the dashboard."""
    if source != "belarus-2020":
        typer.echo(f"error: unknown bundled data set {source!r}; try belarus-2020", err=True)
        raise typer.Exit(2)
    import_(source, None, None, None, None, None, as_json=False)
    verify(source, as_json=False, csv=None, min_photo_excess=1, min_declared_excess=1,
           turnout_tolerance=0.05, turnout_tolerance_votes=10, recompute=False)
    estimate(source, method=None, n_boot=2000, seed=0, threshold=0.02, definition="proof",
             sensitivity_plot=None, as_json=False)
    if not no_serve:
        _ensure_secret()
        out.print(f"[bold]Dashboard:[/] http://{host}:{port}/elections/{source} "
                  "(Ctrl+C to stop)")
        serve(host=host, port=port)


if __name__ == "__main__":
    app()
