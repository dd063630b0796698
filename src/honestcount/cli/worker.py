"""``honestcount worker``: run queued jobs; ``honestcount jobs``: the queue and its dead letters."""

from __future__ import annotations

import multiprocessing
import signal
from typing import Annotated, Any

import typer

from honestcount.cli.common import (
    JsonOpt,
    app,
    db_url,
    emit_json,
    engine,
    out,
    run_guarded,
    split_list,
)

jobs_app = typer.Typer(help="The job queue: counts, dead letters, retries.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

HandlersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--handlers",
        help="A module whose register(registry) adds job kinds (repeatable).",
    ),
]


def _work(
    url: str | None,
    kinds: list[str] | None,
    handlers: list[str],
    burst: bool,
    max_jobs: int | None,
    poll: float,
) -> dict[str, Any]:
    """One worker process: its own engine (connections are never shared across a fork)."""
    import logging

    from honestcount.jobs import Worker, default_registry
    from honestcount.store.db import make_engine

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("honestcount.jobs").setLevel(logging.INFO)
    # The schema is brought up to date once, by the parent, before any worker starts.
    engine = make_engine(url, migrate=False)
    worker = Worker(engine, default_registry(handlers), kinds=kinds, poll_s=poll)
    worker.install_signals()
    report = worker.run(burst=burst, max_jobs=max_jobs)
    return {"worker": worker.name, **report.__dict__}


def _child(args: tuple, results: Any) -> None:
    results.put(_work(*args))


def _supervise(args: tuple, processes: int) -> list[dict[str, Any]]:
    """Run ``processes`` workers; SIGTERM/SIGINT here is passed on to each of them."""
    import queue as stdlib_queue

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    children = [ctx.Process(target=_child, args=(args, results)) for _ in range(processes)]
    for child in children:
        child.start()

    def forward(_signum: int, _frame: object) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: the child finishes its job in hand, then stops

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    reports: list[dict[str, Any]] = []
    while any(child.is_alive() for child in children) or not results.empty():
        try:
            reports.append(results.get(timeout=0.5))
        except stdlib_queue.Empty:
            continue
    for child in children:
        child.join()
    return reports


@app.command()
def worker(
    kinds: Annotated[
        str | None, typer.Option(help="Comma-separated job kinds (default: every registered one).")
    ] = None,
    handlers: HandlersOpt = None,
    processes: Annotated[
        int, typer.Option(min=1, max=256, help="Worker processes to run (one job each at once).")
    ] = 1,
    burst: Annotated[
        bool, typer.Option("--burst", help="Stop once no job of these kinds is left unfinished.")
    ] = False,
    max_jobs: Annotated[
        int | None, typer.Option(help="Stop after this many jobs (per process).")
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between polls of an empty queue.")] = 0.5,
    json_output: JsonOpt = False,
) -> None:
    """Run queued jobs (photo processing and others) until SIGTERM; the job in hand finishes."""
    args = (db_url(), split_list(kinds), list(handlers or []), burst, max_jobs, poll)
    run_guarded(lambda: engine().dispose())  # migrates the store once, before the workers
    one = processes == 1
    reports = [run_guarded(lambda: _work(*args))] if one else _supervise(args, processes)
    if json_output:
        emit_json({"workers": reports})
    else:
        for r in reports:
            out.print(
                f"{r['worker']}: {r['done']} done, {r['retried']} retried, {r['dead']} dead, "
                f"{r['lost']} lost leases"
            )


@jobs_app.command("status")
def jobs_status(json_output: JsonOpt = False) -> None:
    """Jobs by kind and state."""
    from honestcount.jobs import counts

    with engine().connect() as conn:
        table = counts(conn)
    if json_output:
        emit_json(table)
        return
    for kind, states in sorted(table.items()):
        out.print(kind + ": " + ", ".join(f"{n} {s}" for s, n in states.items()))


@jobs_app.command("dead")
def jobs_dead(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    json_output: JsonOpt = False,
) -> None:
    """The dead letters: jobs that failed every attempt, with their last error."""
    from honestcount.jobs import dead_letters

    with engine().connect() as conn:
        rows = dead_letters(conn, kind, limit)
    if json_output:
        emit_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']} {row['kind']} ({row['attempts']} attempts): {row['last_error']}")


@jobs_app.command("retry")
def jobs_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Job ids (default: every dead job).")
    ] = None,
) -> None:
    """Return dead jobs to the queue with fresh attempts."""
    from honestcount.jobs import retry_dead

    with engine().begin() as conn:
        n = retry_dead(conn, ids or None)
    out.print(f"{n} job(s) queued again")


@jobs_app.command("sweep")
def jobs_sweep() -> None:
    """Delete sealed uploads whose photo job is done (left when a worker stopped between its
    commit and the delete)."""
    from honestcount.jobs.photo import sweep_staged
    from honestcount.storage import staging_store

    n = run_guarded(lambda: sweep_staged(engine(), staging_store()))
    out.print(f"{n} staged upload(s) deleted")
