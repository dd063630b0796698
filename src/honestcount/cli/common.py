"""What every command shares: the Typer app, the database option, output and error handling."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from honestcount.errors import HonestcountError

if TYPE_CHECKING:
    from sqlalchemy import Engine

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

T = TypeVar("T")


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


def db_url() -> str | None:
    """The database URL given with ``--db`` (None: the ``db`` setting)."""
    return _state["db"]


def engine() -> Engine:
    from honestcount.store.db import make_engine

    return make_engine(_state["db"])


def emit_json(document: object) -> None:
    from honestcount.results import jsonable

    text = json.dumps(jsonable(document), ensure_ascii=False, indent=1, allow_nan=False)
    sys.stdout.write(text + "\n")


def run_guarded(fn: Callable[[], T]) -> T:
    """Report honestcount errors as one clear line on stderr and exit non-zero."""
    try:
        return fn()
    except HonestcountError as exc:
        typer.echo(f"error: {exc}", err=True)  # one unwrapped line, easy to grep
        raise typer.Exit(2) from None


def sha256_of(path: Path | None) -> str:
    """SHA-256 of a file, or of a folder's files in name order ('' when there is none)."""
    if path is None or not path.exists():
        return ""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def split_list(text: str | None) -> list[str] | None:
    """'a, b,,c' -> ['a', 'b', 'c']; None stays None."""
    if text is None:
        return None
    return [x.strip() for x in text.split(",") if x.strip()]
