"""Commands that publish: serve the application, write a static mirror, and the main job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from honestcount.cli.common import (
    ElectionOpt,
    JsonOpt,
    app,
    db_url,
    emit_json,
    engine,
    err,
    out,
    run_guarded,
    split_list,
)
from honestcount.cli.output import print_estimates, print_headline, print_verification


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    public_only: Annotated[
        bool,
        typer.Option(
            "--public-only", help="Serve the public pages and open data only, not the intake."
        ),
    ] = False,
) -> None:
    """Serve the public pages and open data, and the intake API when it is configured."""
    import uvicorn

    from honestcount.app import create_app
    from honestcount.settings import get_settings

    application = run_guarded(lambda: create_app(db_url(), public_only=public_only))
    proxies = get_settings().trusted_proxies
    parts = "public pages" + ("" if application.state.public_only else " and intake API")
    err.print(f"honestcount serving {parts} on http://{host}:{port}/")
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else "",
    )


@app.command()
def publish(
    election: ElectionOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the static site.")],
    languages: Annotated[str, typer.Option(help="Comma-separated: en,be,ru.")] = "en,be,ru",
    as_json: JsonOpt = False,
) -> None:
    """Write the whole public site as static files: a mirror that works from any host or disk."""
    from honestcount.web.publish import publish as write_site

    def run() -> None:
        langs = tuple(split_list(languages) or ())
        doc = write_site(
            engine(),
            election,
            out_dir,
            languages=langs,
            progress=lambda msg: err.print(msg, highlight=False),
        )
        if as_json:
            emit_json(doc)
        else:
            out.print(
                f"wrote {doc['files']:,} files ({doc['bytes'] / 1e6:,.1f} MB) to {out_dir}; "
                f"open {doc['index']}"
            )

    run_guarded(run)


@app.command("run")
def run_all(
    source: Annotated[str, typer.Argument(help="The bundled data set to run on.")] = "belarus-2020",
    host: Annotated[str, typer.Option(help="Address to serve the dashboard on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve the dashboard on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the report.")] = False,
) -> None:
    """The main job: import the bundled evidence, verify it, estimate, and serve the dashboard."""
    from honestcount import analyses
    from honestcount.cli.analysis import estimate_job, verify_job
    from honestcount.cli.data import import_job

    if source != "belarus-2020":
        typer.echo(f"error: unknown bundled data set {source!r}; try belarus-2020", err=True)
        raise typer.Exit(2)

    def run() -> None:
        eng = engine()
        data = import_job(eng, source, None, None).data
        out.print(f"[bold]{data.election.name}[/]: {len(data):,} polling stations imported")
        verification = verify_job(eng, data)
        print_verification(verification, data)
        stored = estimate_job(eng, data, analyses.estimate_parameters())
        print_estimates(stored.result, data)
        print_headline(verification, stored.result, data)

    run_guarded(run)
    if not no_serve:
        out.print(f"[bold]Dashboard:[/] http://{host}:{port}/elections/{source} (Ctrl+C to stop)")
        serve(host=host, port=port, public_only=False)
