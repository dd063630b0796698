"""Commands that publish: serve the application, write a static mirror, and the main job."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
from honestcount.settings import DEFAULT_DB_URL


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
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="App processes (PostgreSQL only above 1: they share limits, sessions and "
            "idempotency records through it).",
        ),
    ] = 1,
    server: Annotated[
        str,
        typer.Option(
            "--server",
            help="The ASGI server: uvicorn, or granian (pip install granian; measured in "
            "docs/deploy.md).",
        ),
    ] = "uvicorn",
) -> None:
    """Serve the public pages and open data, and the intake API when it is configured."""
    import uvicorn

    from honestcount.app import create_app
    from honestcount.settings import get_settings

    settings = get_settings()
    url = db_url() or settings.db
    if server not in ("uvicorn", "granian"):
        typer.echo(f"error: --server is uvicorn or granian, not {server!r}", err=True)
        raise typer.Exit(2)
    if workers > 1 and url.startswith("sqlite"):
        typer.echo(
            "error: --workers above 1 needs PostgreSQL (--db postgresql://...); SQLite is "
            "the one-process store of a laptop",
            err=True,
        )
        raise typer.Exit(2)
    # Built here first even with workers: the configuration is checked and the schema
    # migrated once, before any worker process starts.
    application = run_guarded(lambda: create_app(url, public_only=public_only))
    proxies = settings.trusted_proxies
    parts = "public pages" + ("" if application.state.public_only else " and intake API")
    procs = f" ({workers} processes)" if workers > 1 else ""
    err.print(f"honestcount serving {parts} on http://{host}:{port}/{procs}")
    options: dict = dict(
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else "",
    )
    if workers == 1 and server == "uvicorn":
        uvicorn.run(application, **options)
        return
    application.state.engine.dispose()
    factory = "create_public_app" if public_only else "create_app"
    with _database_for_workers(url, settings.db) as env_file:
        if server == "granian":
            _granian(factory, host, port, workers, env_file)
            return
        uvicorn.run(
            f"honestcount.app:{factory}",
            factory=True,
            workers=workers,
            env_file=env_file,
            **options,
        )


def _granian(factory: str, host: str, port: int, workers: int, env_file: str | None) -> None:
    """Serve with granian (its HTTP in Rust: less CPU per request than uvicorn's); each
    process builds the app with ``honestcount.app.granian_app`` (forwarded headers trusted
    from ``trusted_proxies`` only, as with uvicorn)."""
    try:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels
    except ImportError:
        typer.echo("error: --server granian needs granian (pip install granian)", err=True)
        raise typer.Exit(2) from None
    Granian(
        f"honestcount.app:granian_{factory}",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        backlog=4096,
        log_level=LogLevels.warning,
        env_files=[Path(env_file)] if env_file else None,
    ).serve()


@contextmanager
def _database_for_workers(url: str, configured: str) -> Iterator[str | None]:
    """Worker processes build their app from the settings, so a ``--db`` given here reaches
    them as ``HONESTCOUNT_DB`` through an env file that uvicorn loads (a private file: the URL
    may hold a password; removed when the server stops)."""
    if url == configured:
        yield None
        return
    if configured != DEFAULT_DB_URL:  # an env file never overrides what is set already
        typer.echo(
            "error: --db and HONESTCOUNT_DB differ; with --workers, give the database once",
            err=True,
        )
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="honestcount-serve-") as folder:
        path = Path(folder) / "workers.env"
        path.touch(mode=0o600)
        path.write_text(f"HONESTCOUNT_DB={json.dumps(url)}\n", encoding="utf-8")
        yield str(path)


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
