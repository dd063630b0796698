"""Commands that analyse an election: verify, estimate, forensics (each result is stored)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from honestcount.cli.common import (
    ElectionOpt,
    JsonOpt,
    app,
    emit_json,
    engine,
    err,
    run_guarded,
    split_list,
)
from honestcount.cli.output import (
    print_estimates,
    print_forensics,
    print_verification,
)
from honestcount.defaults import ANALYSIS
from honestcount.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from honestcount.analyses import StoredAnalysis
    from honestcount.model import ElectionData


def verify_job(
    eng: Engine,
    data: ElectionData,
    thresholds: dict[str, Any] | None = None,
    *,
    recompute: bool = False,
    csv: Path | None = None,
) -> dict[str, Any]:
    """Verdicts for every station, stored with their evidence digest (reused while fresh)."""
    from honestcount.checks.verdicts import Thresholds
    from honestcount.checks.verify import evidence_digest, report, station_frame
    from honestcount.checks.verify import verify as run_verify
    from honestcount.store.verdicts import load_verification, save_verification

    th = Thresholds(**(thresholds or {}))
    digest = evidence_digest(data)
    stored = None if recompute else load_verification(eng, data.election.id)
    fresh = (
        stored is not None
        and stored["evidence_digest"] == digest
        and stored["thresholds"] == dataclasses.asdict(th)
    )
    if fresh and csv is None and stored is not None:
        doc: dict[str, Any] = stored["report"]
        return doc
    v = run_verify(data, th)
    doc = report(v)
    stations = station_frame(v)
    save_verification(eng, data.election.id, digest, dataclasses.asdict(th), doc, stations)
    if csv is not None:
        stations.to_csv(csv)
        err.print(f"wrote {len(stations):,} stations to {csv}")
    return doc


@app.command()
def verify(
    election: ElectionOpt,
    as_json: JsonOpt = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="One row per station.")] = None,
    min_photo_excess: Annotated[
        int, typer.Option(help="Photos must exceed the official count by at least this.")
    ] = ANALYSIS.min_photo_excess,
    min_declared_excess: Annotated[
        int, typer.Option(help="Same, for declared choices.")
    ] = ANALYSIS.min_declared_excess,
    turnout_tolerance: Annotated[
        float,
        typer.Option(help="Allowed relative excess of official voters over observers' count."),
    ] = ANALYSIS.turnout_tolerance,
    turnout_tolerance_votes: Annotated[
        int, typer.Option(help="...and at least this many voters.")
    ] = ANALYSIS.turnout_tolerance_votes,
    recompute: Annotated[bool, typer.Option(help="Ignore stored verdicts.")] = False,
) -> None:
    """What the evidence proves, station by station; stored for pages and later runs."""
    from honestcount.store.repository import load_election

    thresholds = {
        "min_photo_excess": min_photo_excess,
        "min_declared_excess": min_declared_excess,
        "turnout_tolerance": turnout_tolerance,
        "turnout_tolerance_votes": turnout_tolerance_votes,
    }

    def run() -> None:
        eng = engine()
        data = load_election(eng, election)
        doc = verify_job(eng, data, thresholds, recompute=recompute, csv=csv)
        if as_json:
            emit_json(doc)
        else:
            print_verification(doc, data)

    run_guarded(run)


def estimate_job(eng: Engine, data: ElectionData, parameters: dict[str, Any]) -> StoredAnalysis:
    """Run the estimates with ``parameters`` and store them (the pages then show this run)."""
    from honestcount import analyses

    n_boot = parameters["n_boot"]
    with err.status(f"estimating ({n_boot:,} bootstrap replicates)"):
        return analyses.run_estimate(eng, data, parameters)


@app.command()
def estimate(
    election: ElectionOpt,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method", "-m", help="ratio | ratio_photo | pvt | mixture (repeatable; default all)"
        ),
    ] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates.")] = ANALYSIS.n_boot,
    seed: Annotated[int, typer.Option(help="Random seed.")] = ANALYSIS.seed,
    threshold: Annotated[
        float, typer.Option(help="Evidence coverage a station needs to count as clean.")
    ] = ANALYSIS.estimate_threshold,
    definition: Annotated[
        str,
        typer.Option(
            help="'proof' (no proven falsification) or 'strict' (declarations do not exceed "
            "the official count either)."
        ),
    ] = ANALYSIS.estimate_definition,
    level: Annotated[
        float, typer.Option(help="Confidence level of the intervals.")
    ] = ANALYSIS.confidence_level,
    sensitivity_plot: Annotated[
        Path | None,
        typer.Option(
            "--sensitivity", help="Write the sensitivity table (CSV) and plot (PNG) with this stem."
        ),
    ] = None,
    honest_stations: Annotated[
        Path | None,
        typer.Option(
            "--honest-stations",
            help="Write the stations whose count is consistent with the evidence (CSV).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The real result with honest uncertainty: lower bounds and estimates with intervals."""
    from honestcount import analyses
    from honestcount.store.repository import load_election

    if not 0 < level < 1:
        raise typer.BadParameter("--level must be between 0 and 1")
    params = analyses.estimate_parameters(method, n_boot, seed, threshold, definition, level)

    def run() -> None:
        eng = engine()
        data = load_election(eng, election)
        stored = estimate_job(eng, data, params)
        doc = dict(stored.result)
        doc["stored"] = stored.provenance()
        if sensitivity_plot is not None:
            doc["sensitivity"] = _sensitivity(data, doc, sensitivity_plot, seed)
        if honest_stations is not None:
            _write_honest_stations(doc, honest_stations)
        if as_json:
            emit_json(doc)
        else:
            print_estimates(doc, data)

    run_guarded(run)


def _sensitivity(data: ElectionData, doc: dict[str, Any], stem: Path, seed: int) -> dict[str, str]:
    from honestcount.checks.rules import checks_ok
    from honestcount.estimate.sensitivity import plot_sensitivity, sensitivity

    with err.status("sensitivity analysis"):
        table = sensitivity(data, checks_ok=checks_ok(data), seed=seed)
    stem = stem.with_suffix("")
    table.to_csv(stem.with_suffix(".csv"), index=False)
    official = {
        o: r["share"]
        for o, r in doc.get("official", {}).items()
        if isinstance(r, dict) and r.get("share") is not None
    }
    plot_sensitivity(
        table,
        stem.with_suffix(".png"),
        reference=official or None,
        title=f"{data.election.name}: sensitivity of the estimate",
    )
    return {"csv": str(stem.with_suffix(".csv")), "png": str(stem.with_suffix(".png"))}


def _write_honest_stations(doc: dict[str, Any], path: Path) -> None:
    import pandas as pd

    honest = doc.get("honest_stations")
    if not isinstance(honest, dict) or not honest.get("stations"):
        raise InputError(
            "--honest-stations needs the mixture method's result: none was computed "
            "(add --method mixture, or see the warnings)"
        )
    frame = pd.json_normalize(honest["stations"])
    frame.to_csv(path, index=False)
    err.print(
        f"wrote {len(frame):,} stations with P(honest) >= {honest.get('threshold')} to {path}"
    )


@app.command()
def forensics(
    election: ElectionOpt,
    tests: Annotated[
        str | None, typer.Option(help="Comma-separated test names (default: all).")
    ] = None,
    leader: Annotated[
        str | None,
        typer.Option(help="Option id of the leader (default: most official votes)."),
    ] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG plots here.")] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Per-station class probabilities of the mixture model."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Statistical tests on official results: anomaly indicators, never verdicts."""
    from honestcount import analyses
    from honestcount.forensics.battery import TESTS
    from honestcount.store.repository import load_election

    names = split_list(tests)

    def run() -> None:
        unknown = [t for t in names or [] if t not in TESTS]
        if unknown:
            raise InputError(f"unknown test(s) {unknown}; available: {', '.join(TESTS)}")
        eng = engine()
        data = load_election(eng, election)
        if leader is not None and leader not in data.choice_option_ids:
            raise InputError(
                f"--leader {leader!r} is not an option of {election}; options: "
                f"{', '.join(data.choice_option_ids)}"
            )
        if plots is not None:
            plots.mkdir(parents=True, exist_ok=True)
        if csv is not None and "mixture" not in (names or []):
            raise InputError(
                "--csv writes the mixture model's per-station class probabilities: "
                "add mixture to --tests"
            )
        with err.status("running forensics"):
            stored = analyses.run_forensics(
                eng, data, analyses.forensics_parameters(names, leader), plots
            )
        doc = dict(stored.result)
        if csv is not None:
            from honestcount.forensics.mixture import station_probabilities

            station_probabilities(data, doc["leader"]).to_csv(csv)
            err.print(f"wrote per-station class probabilities to {csv}")
        if as_json:
            emit_json(doc)
        else:
            print_forensics(doc)

    run_guarded(run)
