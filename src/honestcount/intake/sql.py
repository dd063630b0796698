"""Plain SQL on the driver's own cursor, for the few statements on the hot path.

Building SQLAlchemy statements costs more CPU than SQLite or PostgreSQL take to run them;
the submissions that arrive by the thousand (registrations, declarations, observer reports,
audit entries) use these helpers instead. Statements are written once with ``:name``
parameters (sqlite3's style) and rewritten to ``%(name)s`` for psycopg.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=256)
def _for_postgres(sql: str) -> str:
    return _NAMED.sub(r"%(\1)s", sql)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _cursor(conn: Connection, sql: str, params: dict):
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection has its driver's connection
    cursor = driver.cursor()
    text = _for_postgres(sql) if is_postgres(conn) else sql
    try:
        cursor.execute(text, params)
    except conn.dialect.loaded_dbapi.Error as exc:
        cursor.close()
        # The same exception classes as SQLAlchemy statements raise (IntegrityError...).
        raise DBAPIError.instance(
            text, params, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    except BaseException:
        cursor.close()
        raise
    return cursor


def fetchone(conn: Connection, sql: str, params: dict | None = None) -> tuple | None:
    cursor = _cursor(conn, sql, params or {})
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def fetchrow(conn: Connection, sql: str, params: dict | None = None) -> tuple:
    """The one row a statement returns (an INSERT ... RETURNING, an outer-joined lookup)."""
    row = fetchone(conn, sql, params)
    if row is None:
        raise LookupError("the statement returned no row")
    return row


def fetchall(conn: Connection, sql: str, params: dict | None = None) -> list[tuple]:
    cursor = _cursor(conn, sql, params or {})
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def execute(conn: Connection, sql: str, params: dict | None = None) -> int:
    cursor = _cursor(conn, sql, params or {})
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def stamp(conn: Connection, value: dt.datetime | None):
    """A UTC time as the column expects it: SQLAlchemy's SQLite text form, or a datetime."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    if is_postgres(conn):
        return value
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def for_update(conn: Connection) -> str:
    """Row lock suffix (SQLite needs none: its writer holds the database lock)."""
    return " FOR UPDATE" if is_postgres(conn) else ""
