"""Rate limits kept in the database: two app processes (here two limiters on one store)
count against one bucket, with the burst and refill of the in-process limiter."""

from __future__ import annotations

import asyncio

from honestcount.intake.limits import SharedRateLimiter
from honestcount.intake.security import RateLimiter
from honestcount.store.db import make_engine


def test_two_limiters_on_one_store_share_the_bucket(db_url):
    engine = make_engine(db_url)
    a, b = SharedRateLimiter(engine), SharedRateLimiter(engine)
    waits = [(a if n % 2 else b).take("acct:7", 60, burst=4) for n in range(6)]
    assert waits[:4] == [0.0] * 4  # the burst, whichever process asks
    assert all(0.5 < w <= 1.0 for w in waits[4:])  # then one a second: about a second to wait
    assert a.take("acct:8", 60, burst=4) == 0.0  # another key has its own bucket
    engine.dispose()


def test_same_answers_as_the_in_process_limiter(db_url):
    engine = make_engine(db_url)
    shared, local = SharedRateLimiter(engine), RateLimiter()
    for per_minute, burst in ((12, None), (6, 2.0)):  # slow refill: no timing in the test
        key = f"k{per_minute}"
        ours = [shared.take(key, per_minute, burst) > 0 for _ in range(40)]
        theirs = [local.take(key, per_minute, burst) > 0 for _ in range(40)]
        assert ours == theirs
    engine.dispose()


def test_batched_takes_answer_as_one_at_a_time(pg_url):
    """Many requests' takes in one transaction (PostgreSQL) admit exactly the requests that
    taking them one after the other would: per bucket, in order, the burst and no more."""
    engine = make_engine(pg_url)
    batched, single = SharedRateLimiter(engine), RateLimiter()
    requests = [[("ip:1", 6.0, 3.0), (f"acct:{n % 3}", 12.0, None)] for n in range(14)] + [
        [("acct:9", 6.0, 1.0)],
        [("acct:9", 6.0, 1.0)],
    ]
    got = batched.take_many(requests)
    expected = [single.take_all(buckets) for buckets in requests]
    assert [w > 0 for w in got] == [w > 0 for w in expected]
    assert sum(w == 0 for w in got) == 4  # only ip:1's burst of 3, and acct:9's one
    refused = [w for w in got if w > 0]
    assert all(0.0 < w <= 10.0 + 1e-6 for w in refused)  # a refill step at most (6/min)
    again = batched.take_many([[("ip:1", 6.0, 3.0)]])  # the batch's takes are stored
    assert again[0] > 0
    batched.close()
    engine.dispose()


def test_async_takes_from_many_tasks_share_one_bucket(db_url):
    engine = make_engine(db_url)
    limiter = SharedRateLimiter(engine)

    async def run() -> list[float]:
        return list(
            await asyncio.gather(
                *(limiter.take_all_async([("acct:5", 60.0, 5.0)]) for _ in range(20))
            )
        )

    waits = asyncio.run(run())
    assert sum(w == 0 for w in waits) == 5  # the burst, however the takes were grouped
    limiter.close()
    engine.dispose()
