"""Commands for designing and testing an evaluation: PVT samples and simulated elections."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from honestcount.cli.common import (
    ElectionOpt,
    JsonOpt,
    app,
    emit_json,
    engine,
    err,
    out,
    run_guarded,
)
from honestcount.errors import InputError

pvt_app = typer.Typer(
    help="Parallel vote tabulation: draw a sample of stations.", no_args_is_help=True
)
app.add_typer(pvt_app, name="pvt")


@pvt_app.command("draw")
def pvt_draw(
    election: ElectionOpt,
    n: Annotated[int, typer.Option("--n", help="Sample size (stations).")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same sample.")] = 0,
    strata: Annotated[
        str, typer.Option(help="Comma-separated station columns.")
    ] = "region,settlement_type",
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
            raise InputError(
                f"unknown strata column(s) {unknown}; station columns: "
                f"{', '.join(data.stations.columns)}"
            )
        if not 0 < n <= len(data):
            raise InputError(f"--n must be between 1 and {len(data):,}")
        sample = draw_sample(data.stations, n, columns, seed)
        if csv is not None:
            sample.to_csv(csv)
        doc = {
            "election": election,
            "seed": seed,
            "n": len(sample),
            "strata": columns,
            "stations": list(map(str, sample.index)),
        }
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
    falsify_where: Annotated[
        str, typer.Option(help="random | low_evidence | high_support")
    ] = "random",
    protocol_share: Annotated[
        float, typer.Option(help="Share of stations whose protocol is obtained.")
    ] = 0.24,
    protocol_bias: Annotated[
        float,
        typer.Option(
            help="How much more often protocols are "
            "obtained where the platform is "
            "popular (1 = no bias)."
        ),
    ] = 1.0,
    participation: Annotated[
        float, typer.Option(help="Scale of voters' participation in the platform.")
    ] = 1.0,
    photo_rate: Annotated[
        float, typer.Option(help="Share of participants who send a photo.")
    ] = 0.6,
    regime: Annotated[
        str | None,
        typer.Option(
            help="A validation regime (large_thefts, widespread, weak_platform, thin): its "
            "parameters replace the options above."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a synthetic election in the Golos layout, with known truth (truth.json)."""
    from honestcount.estimate.simulate import REGIMES, regime_parameters
    from honestcount.estimate.simulate import simulate as run_simulation

    def run() -> None:
        params: dict[str, Any] = {
            "falsified_share": falsified_share,
            "falsify_where": falsify_where,
            "protocol_share": protocol_share,
            "protocol_bias": protocol_bias,
            "participation": participation,
            "photo_rate": photo_rate,
        }
        if regime is not None:
            if regime not in REGIMES:
                raise InputError(f"--regime {regime!r}: one of {', '.join(REGIMES)}")
            params |= regime_parameters(regime, seed)
        sim = run_simulation(seed=seed, n_stations=stations, out=out_dir, **params)
        doc = {
            "out": str(out_dir),
            "seed": seed,
            "stations": len(sim.data),
            "truth": str(out_dir / "truth.json"),
            "load_with": f"honestcount import --format golos {out_dir} --election sim-{seed}",
        }
        emit_json(doc) if as_json else err.print(
            f"wrote a simulated election to {out_dir}; load it with: {doc['load_with']}"
        )

    run_guarded(run)
