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

import functools
import random
import time
from collections.abc import Sequence

from sqlalchemy import Engine, create_engine

from honestcount.intake import sql

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

    def close(self) -> None:
        if self.postgres:
            self.engine.dispose()
