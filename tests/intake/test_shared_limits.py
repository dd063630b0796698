"""Rate limits kept in the database: two app processes (here two limiters on one store)
count against one bucket, with the burst and refill of the in-process limiter."""

from __future__ import annotations

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
