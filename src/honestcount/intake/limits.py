"""Rate limits shared by every app process and host: buckets in the database.

Each key is one row holding its GCRA "theoretical arrival time" (``tat``, epoch seconds): a
request is admitted when ``tat - now`` is within the burst, and then moves ``tat`` on by one
interval. That is a token bucket (same rate, same burst as :class:`~.security.RateLimiter`)
kept in one number, so one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` takes a token from
every bucket of a request atomically, in one round trip: no read-modify-write race between
processes. Clocks of the app hosts should be kept by NTP; a second of skew shifts a
per-minute limit by a second.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future

from sqlalchemy import Connection, Engine, create_engine

from honestcount.intake import sql
from honestcount.intake.db import settle

# One call in this many also deletes rows whose bucket is full again (they hold nothing).
PRUNE_EVERY = 2000

Bucket = tuple[str, float, float | None]  # key, per minute, burst (None: a quarter minute's)


@functools.lru_cache(maxsize=8)
def _take_sql(n: int, greatest: str) -> str:
    """Take one token from each of ``n`` buckets; returns the keys that had one. The step of
    a bucket travels as ``excluded.tat - :now`` (a new row starts one step ahead)."""
    values = ", ".join(f"(:k{i}, :now + :s{i})" for i in range(n))
    tau = " ".join(f"WHEN :k{i} THEN :t{i}" for i in range(n))
    return (
        f"INSERT INTO intake_rate_limits AS b (key, tat) VALUES {values} "
        f"ON CONFLICT (key) DO UPDATE SET tat = {greatest}(b.tat, :now) + (excluded.tat - :now) "
        f"WHERE {greatest}(b.tat, :now) - :now <= CASE b.key {tau} END RETURNING key"
    )


# Many requests' takes at once (PostgreSQL): the new buckets first, then every bucket locked
# in key order and moved on by as many tokens as it admits of its ``c`` requests (GCRA, one
# after the other: admitted while ``max(tat, now) - now <= tau``). Returns each bucket's
# admitted count and its new ``tat`` (for the wait of a refusal).
NEW_BUCKETS = (
    "INSERT INTO intake_rate_limits (key, tat) SELECT key, :now FROM unnest(:k::text[]) "
    "AS i(key) ORDER BY key ON CONFLICT (key) DO NOTHING"
)
TAKE_MANY = (
    "WITH i AS (SELECT * FROM unnest(:k::text[], :c::int[], :s::float8[], :t::float8[]) "
    "AS i(key, c, step, tau)), "
    "o AS (SELECT b.key, b.tat FROM intake_rate_limits b WHERE b.key = ANY(:k::text[]) "
    "ORDER BY b.key FOR UPDATE), "
    "n AS (SELECT i.key, i.step, GREATEST(o.tat, :now) AS base, "
    "LEAST(i.c, GREATEST(0, floor((i.tau - (GREATEST(o.tat, :now) - :now)) / i.step) + 1)) "
    "AS admitted FROM i JOIN o ON o.key = i.key) "
    "UPDATE intake_rate_limits b SET tat = n.base + n.step * n.admitted FROM n "
    "WHERE b.key = n.key RETURNING b.key, n.admitted, b.tat"
)


class SharedRateLimiter:
    """:class:`~.security.RateLimiter`'s interface over the ``intake_rate_limits`` table.

    On PostgreSQL it has its own small pool of autocommit connections without
    ``synchronous_commit``: a take is one statement and one round trip, and never waits for a
    WAL flush (a bucket lost in a crash only lets a few more requests through)."""

    def __init__(self, engine: Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        if self.postgres:
            engine = create_engine(
                engine.url,
                pool_size=8,
                max_overflow=24,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c synchronous_commit=off"},
            )
        self.engine = engine
        self._greatest = "GREATEST" if self.postgres else "MAX"
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: float, burst: float | None = None) -> float:
        """Take one token; returns 0 if allowed, else the seconds to wait before a retry."""
        return self.take_all([(key, per_minute, burst)])

    def take_all(self, buckets: Sequence[Bucket]) -> float:
        """One token from each bucket (distinct keys); 0, or the longest wait of a refusal."""
        if not buckets:
            return 0.0
        now = time.time()
        params: dict[str, object] = {"now": now}
        taus: dict[str, float] = {}
        for i, (key, per_minute, burst) in enumerate(buckets):
            step = 60.0 / per_minute
            capacity = burst if burst is not None else max(1.0, per_minute / 4)
            taus[key[:160]] = (capacity - 1.0) * step
            params.update({f"k{i}": key[:160], f"s{i}": step, f"t{i}": taus[key[:160]]})
        with self.engine.begin() as conn:
            taken = {
                r[0] for r in sql.fetchall(conn, _take_sql(len(buckets), self._greatest), params)
            }
            wait = 0.0
            for key, tau in taus.items():
                if key not in taken:  # refused: that bucket is empty until tat - tau
                    row = sql.fetchone(
                        conn, "SELECT tat FROM intake_rate_limits WHERE key = :k", {"k": key}
                    )
                    wait = max(wait, 0.001, (float(row[0]) if row else now) - now - tau)
            if random.random() * PRUNE_EVERY < 1.0:
                sql.execute(conn, "DELETE FROM intake_rate_limits WHERE tat < :now", params)
        return wait

    async def take_all_async(self, buckets: Sequence[Bucket]) -> float:
        """:meth:`take_all` for the event loop: the takes of every request waiting at that
        moment go to the database together (PostgreSQL), in one transaction."""
        if not self.postgres:
            return await asyncio.to_thread(self.take_all, buckets)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._loop, name="honestcount-limits", daemon=True
                    )
                    self._thread.start()
        future: Future = Future()
        self._queue.put((list(buckets), future))
        wait: float = await asyncio.wrap_future(future)
        return wait

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 512:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            try:
                waits = self.take_many([buckets for buckets, _f in batch])
            except Exception:  # one at a time: each request gets its own answer or error
                for buckets, future in batch:
                    try:
                        settle(future, self.take_all(buckets))
                    except Exception as exc:
                        settle(future, error=exc)
                continue
            for (_b, future), wait in zip(batch, waits, strict=True):
                settle(future, wait)

    def take_many(self, requests: Sequence[Sequence[Bucket]]) -> list[float]:
        """:meth:`take_all` for many requests at once (PostgreSQL): one transaction that
        locks each bucket once, in key order (so two processes never wait on each other in
        a cycle), and takes as many tokens as it has for the requests in their order."""
        now = time.time()
        steps: dict[str, tuple[float, float]] = {}
        counts: Counter[str] = Counter()
        for buckets in requests:
            for key, per_minute, burst in buckets:
                step = 60.0 / per_minute
                capacity = burst if burst is not None else max(1.0, per_minute / 4)
                steps[key[:160]] = (step, (capacity - 1.0) * step)
                counts[key[:160]] += 1
        keys = sorted(counts)

        def take(conn: Connection, some: list[str]) -> dict[str, tuple[int, float]]:
            params = {
                "k": some,
                "c": [counts[k] for k in some],
                "s": [steps[k][0] for k in some],
                "t": [steps[k][1] for k in some],
                "now": now,
            }
            return {r[0]: (int(r[1]), float(r[2])) for r in sql.fetchall(conn, TAKE_MANY, params)}

        with self.engine.connect() as conn, conn.begin():
            found = take(conn, keys)
            new = [k for k in keys if k not in found]
            if new:  # buckets seen for the first time (or pruned): created full, then taken
                sql.execute(conn, NEW_BUCKETS, {"k": new, "now": now})
                found.update(take(conn, new))
            if random.random() * PRUNE_EVERY < 1.0:
                sql.execute(conn, "DELETE FROM intake_rate_limits WHERE tat < :now", {"now": now})
        left = {k: found[k][0] for k in keys}
        waits = []
        for buckets in requests:
            wait = 0.0
            for key, _rate, _burst in buckets:
                key = key[:160]
                if left[key] > 0:
                    left[key] -= 1
                else:  # refused: that bucket is empty until tat - tau
                    wait = max(wait, 0.001, found[key][1] - now - steps[key][1])
            waits.append(wait)
        return waits

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
        if self.postgres:
            self.engine.dispose()
