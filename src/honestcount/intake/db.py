"""Engines and the write path of the intake: acknowledged means committed.

SQLite: one writer thread per process takes every pending submission, runs each in its own
SAVEPOINT inside one ``BEGIN IMMEDIATE`` transaction, commits once with
``synchronous=FULL`` (the WAL is fsynced), and only then answers each request (group
commit). One failing submission rolls back its savepoint only. Readers use their own
connections (WAL: they never block the writer).

PostgreSQL: each submission is its own transaction on a pooled connection; the server
makes it durable at commit (``synchronous_commit``) and groups concurrent commits itself.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
Job = Callable[[Connection], T]


def _sqlite_connect(full_sync: bool):
    def on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if full_sync else 'NORMAL'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return on_connect


def intake_engines(engine: Engine) -> tuple[Engine, Engine]:
    """(reader, writer) engines on the same database as ``engine``."""
    if engine.dialect.name == "sqlite":
        url = engine.url
        reader = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(reader, "connect", _sqlite_connect(False))
        event.listen(reader, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        writer = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=1
        )
        event.listen(writer, "connect", _sqlite_connect(True))
        event.listen(writer, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return reader, writer
    pooled = create_engine(
        engine.url, pool_size=16, max_overflow=16, pool_pre_ping=False, pool_recycle=3600
    )
    return pooled, pooled


class DirectWriter:
    """Each job in its own transaction (PostgreSQL); retried on serialisation failures."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def submit(self, job: Job[T]) -> T:
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    return job(conn)
            except OperationalError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in ("40001", "40P01") or attempt == 4:  # serialization, deadlock
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.engine.dispose()


class GroupCommitWriter:
    """One thread, one connection: every queued job in one transaction, one fsync (SQLite)."""

    def __init__(self, engine: Engine, max_batch: int = 256) -> None:
        self.engine = engine
        self.max_batch = max_batch
        # All audit entries of this writer go to one chain: a batch holds one head lock, so
        # two processes' batches never wait on each other's heads in a cycle.
        self.chain = os.getpid()
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="honestcount-intake-writer", daemon=True
                )
                self._thread.start()

    def submit(self, job: Job[T]) -> T:
        if self._closed:
            raise RuntimeError("the intake writer is closed")
        if self._thread is None:
            self._start()
        future: Future = Future()
        self._queue.put((job, future))
        return future.result()

    def close(self) -> None:
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
        self.engine.dispose()

    def _loop(self) -> None:
        conn: Connection | None = None
        while True:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            conn = self._run(conn, batch)
            if stop:
                break
        if conn is not None:
            conn.close()

    def _run(self, conn: Connection | None, batch: list) -> Connection | None:
        for attempt in range(3):
            outcomes: list[tuple[Future, object, BaseException | None]] = []
            try:
                if conn is None:
                    conn = self.engine.connect()
                with conn.begin():
                    raw = conn.connection.driver_connection
                    assert raw is not None
                    for job, future in batch:
                        raw.execute("SAVEPOINT job")
                        try:
                            result = job(conn)
                        except Exception as exc:  # this job only: its savepoint is rolled back
                            if _retryable(exc):
                                raise  # the whole batch again (PostgreSQL deadlock victim)
                            raw.execute("ROLLBACK TO job")
                            raw.execute("RELEASE job")
                            outcomes.append((future, None, exc))
                        else:
                            raw.execute("RELEASE job")
                            outcomes.append((future, result, None))
            except Exception as exc:  # BEGIN or COMMIT failed: nothing of the batch is stored
                if conn is not None:
                    conn.close()
                    conn = None
                if attempt == 2 or not (isinstance(exc, OperationalError) or _retryable(exc)):
                    for _job, future in batch:
                        future.set_exception(exc)
                    return None
                time.sleep(0.05 * (attempt + 1))
                continue
            # Committed (fsynced): now, and only now, the answers go out.
            for future, result, error in outcomes:
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(error)
            return conn
        return conn


def settle(future: Future, result: object = None, *, error: BaseException | None = None) -> None:
    """Answer a request waiting on ``future`` unless it has gone (the future was cancelled:
    its client left; what was committed stays committed, as for any request)."""
    if future.done():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except InvalidStateError:  # cancelled in the meantime
        pass


def _retryable(exc: BaseException) -> bool:
    """A deadlock or serialisation failure: the transaction may simply be run again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40001", "40P01")


def make_writer(engine: Engine, max_batch: int = 256, group: bool | None = None):
    """Group commit for SQLite (and PostgreSQL when ``group``); else one transaction each."""
    if group is None:
        group = engine.dialect.name == "sqlite"
    if group:
        return GroupCommitWriter(engine, max_batch)
    return DirectWriter(engine)
