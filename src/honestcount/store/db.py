"""Engines, migrations and fast bulk writes, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.exc import DBAPIError

from honestcount.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else the ``db`` setting (``HONESTCOUNT_DB``, default
    ``honestcount.db`` here)."""
    url = url or get_settings().db
    if url.startswith("postgresql://"):
        # psycopg 3 is the supported driver; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    elif "://" not in url:
        url = f"sqlite:///{url}"
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk imports touch large B-trees
    cursor.close()


def make_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """An engine for ``url``; with ``migrate`` the schema is brought to the newest revision."""
    engine = create_engine(database_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate:
        upgrade(engine)
    return engine


_REVISION = re.compile(r"""^(down_revision|revision)\s*=\s*["']?([\w]+)["']?""", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration, read from the migration files' ``revision`` lines (loading them
    through Alembic costs a quarter of a second per command); None if it is not one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _is_current(engine: Engine) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no schema yet
        return False
    return current == [head]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on ``engine`` (nothing to do, and no
    Alembic loaded, when the database is already at the newest one)."""
    if revision == "head" and _is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("elections")


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` (columns named as in ``table``) inside ``conn``'s transaction.

    PostgreSQL gets ``COPY``; SQLite gets one ``executemany`` over native Python values. Both
    are an order of magnitude faster than ORM inserts for the million-row protocol tables.
    """
    if frame.empty:
        return 0
    columns: Sequence[str] = list(frame.columns)
    dbapi = conn.connection.driver_connection
    assert dbapi is not None  # a live connection inside a transaction
    names = ", ".join(f'"{c}"' for c in columns)
    values = [_native(frame[c]) for c in columns]
    if conn.dialect.name == "postgresql":
        from psycopg.types.json import Json

        types = [_pg_type(table.c[c].type) for c in columns]
        values = [
            [None if v is None else Json(v) for v in col] if kind == "json" else col
            for col, kind in zip(values, types, strict=True)
        ]
        with (
            dbapi.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy,
        ):
            copy.set_types(types)
            for row in zip(*values, strict=True):
                copy.write_row(row)
    else:
        values = [
            [None if v is None else json.dumps(v) for v in col]
            if isinstance(table.c[c].type, JSON)
            else col
            for col, c in zip(values, columns, strict=True)
        ]
        marks = ", ".join("?" * len(columns))
        dbapi.executemany(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', zip(*values, strict=True)
        )
    return len(frame)


def _pg_type(sql_type) -> str:
    """The PostgreSQL type name that binary COPY must be told for a column."""
    for python_type, name in (
        (BigInteger, "int8"),
        (Integer, "int4"),
        (Float, "float8"),
        (Date, "date"),
        (DateTime, "timestamptz"),
        (JSON, "json"),
    ):
        if isinstance(sql_type, python_type):
            return name
    return "text"


def _native(series: pd.Series) -> list:
    """Python values for the driver: NaN/NA become None, numpy scalars become int/float/str."""
    if series.dtype.kind in "iub" and not series.hasnans:
        return series.tolist()
    return series.astype(object).where(series.notna(), None).tolist()
