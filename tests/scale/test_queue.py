"""The queue on SQLite and PostgreSQL: claims, leases, fencing, retries, dead letters."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import select, text, update

from honestcount.jobs import (
    DEAD,
    DONE,
    QUEUED,
    JobKind,
    LeaseLost,
    Permanent,
    Registry,
    Worker,
    claim,
    complete,
    counts,
    dead_letters,
    enqueue,
    extend,
    fail,
    retry_dead,
)
from honestcount.settings import ConfigurationError
from honestcount.store.tables.jobs import jobs


def _state(engine, job_id):
    with engine.connect() as conn:
        return conn.execute(select(jobs).where(jobs.c.id == job_id)).one()._mapping


def _effects_table(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE effects (job_id INTEGER NOT NULL, note TEXT)"))


def _effects(engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT job_id FROM effects")).scalars())


def test_jobs_are_claimed_once_in_priority_then_age_order(queue_engine):
    with queue_engine.begin() as conn:
        low = enqueue(conn, "k", {"n": 1})
        high = enqueue(conn, "k", {"n": 2}, priority=5)
        enqueue(conn, "other", {"n": 3})
        later = enqueue(conn, "k", {"n": 4}, delay_s=3600)
    first = claim(queue_engine, ["k"], "w1", 30)
    second = claim(queue_engine, ["k"], "w2", 30)
    assert (first.id, second.id) == (high, low)
    assert first.payload == {"n": 2} and first.attempts == 1
    assert claim(queue_engine, ["k"], "w3", 30) is None  # held, or not due yet
    assert _state(queue_engine, later)["state"] == QUEUED


def test_dedupe_key_gives_one_job(queue_engine):
    with queue_engine.begin() as conn:
        a = enqueue(conn, "photo.process", {"photo_id": 7}, dedupe_key="photo:7")
        b = enqueue(conn, "photo.process", {"photo_id": 7}, dedupe_key="photo:7")
    assert a == b
    with queue_engine.connect() as conn:
        assert counts(conn) == {"photo.process": {"queued": 1, "running": 0, "done": 0, "dead": 0}}


def test_an_enqueue_rolled_back_with_its_caller_leaves_no_job(queue_engine):
    with pytest.raises(RuntimeError), queue_engine.begin() as conn:
        enqueue(conn, "k", {})
        raise RuntimeError("the request failed")
    assert claim(queue_engine, ["k"], "w", 30) is None


def test_an_expired_lease_fences_the_old_worker(queue_engine):
    """The slow worker's writes roll back; the job's effects are committed once."""
    _effects_table(queue_engine)
    with queue_engine.begin() as conn:
        job_id = enqueue(conn, "k", {})
    slow = claim(queue_engine, ["k"], "slow", 0.2)
    time.sleep(0.5)
    fast = claim(queue_engine, ["k"], "fast", 30)
    assert fast is not None and fast.id == job_id and fast.attempts == 2
    assert not extend(queue_engine, slow, 30)  # the heartbeat learns it lost the job
    with pytest.raises(LeaseLost), queue_engine.begin() as conn:
        conn.execute(text("INSERT INTO effects VALUES (:j, 'slow')"), {"j": job_id})
        complete(conn, slow)
    with queue_engine.begin() as conn:
        conn.execute(text("INSERT INTO effects VALUES (:j, 'fast')"), {"j": job_id})
        complete(conn, fast)
    assert _effects(queue_engine) == [job_id]
    assert fail(queue_engine, slow, "late", retry_in_s=0) == ""  # cannot touch it either
    assert _state(queue_engine, job_id)["state"] == DONE


def test_failures_back_off_then_go_to_the_dead_letters(queue_engine):
    with queue_engine.begin() as conn:
        job_id = enqueue(conn, "k", {}, max_attempts=3)
    for attempt in (1, 2):
        job = claim(queue_engine, ["k"], "w", 30)
        assert job.attempts == attempt
        assert fail(queue_engine, job, f"boom {attempt}", retry_in_s=3600) == QUEUED
        assert claim(queue_engine, ["k"], "w", 30) is None  # backing off
        with queue_engine.begin() as conn:  # time passes
            conn.execute(update(jobs).values(run_after=jobs.c.created_at))
    job = claim(queue_engine, ["k"], "w", 30)
    assert fail(queue_engine, job, "boom 3", retry_in_s=1) == DEAD
    with queue_engine.connect() as conn:
        (dead,) = dead_letters(conn)
    assert dead["id"] == job_id and dead["attempts"] == 3 and dead["last_error"] == "boom 3"
    with queue_engine.begin() as conn:
        assert retry_dead(conn) == 1
    again = claim(queue_engine, ["k"], "w", 30)
    assert again.id == job_id and again.attempts == 1


def test_a_worker_that_dies_on_the_last_attempt_leaves_a_dead_letter(queue_engine):
    with queue_engine.begin() as conn:
        job_id = enqueue(conn, "k", {}, max_attempts=1)
    assert claim(queue_engine, ["k"], "dies", 0.1) is not None
    time.sleep(0.3)
    assert claim(queue_engine, ["k"], "w", 30) is None
    row = _state(queue_engine, job_id)
    assert row["state"] == DEAD and "lease expired" in row["last_error"]


def test_backoff_grows_and_is_capped():
    kind = JobKind("k", lambda ctx: None, backoff_s=2, backoff_cap_s=60)
    rng = random.Random(1)
    waits = [kind.retry_in(a, rng) for a in range(1, 9)]
    assert 1.5 <= waits[0] <= 2.5 and 3 <= waits[1] <= 5 and 6 <= waits[2] <= 10
    assert max(waits) <= 75 and waits[-1] >= 45


def test_worker_runs_retries_and_buries(queue_engine):
    _effects_table(queue_engine)
    calls: dict[int, int] = {}
    registry = Registry()

    @registry.job("ok")
    def ok(ctx):
        ctx.conn.execute(text("INSERT INTO effects VALUES (:j, 'ok')"), {"j": ctx.job.id})
        ctx.after_commit(lambda: calls.__setitem__(-ctx.job.id, 1))

    @registry.job("flaky", backoff_s=0.01)
    def flaky(ctx):
        calls[ctx.job.id] = calls.get(ctx.job.id, 0) + 1
        ctx.conn.execute(text("INSERT INTO effects VALUES (:j, 'flaky')"), {"j": ctx.job.id})
        if calls[ctx.job.id] < 3:
            raise OSError("transient")  # rolls back the effect of this attempt

    @registry.job("bad")
    def bad(ctx):
        raise Permanent("cannot ever work")

    with queue_engine.begin() as conn:
        ids = [enqueue(conn, k, {}) for k in ("ok", "flaky", "bad")]
    report = Worker(queue_engine, registry, poll_s=0.01).run(burst=True)
    assert (report.done, report.retried, report.dead) == (2, 2, 1)
    assert _effects(queue_engine) == sorted(ids[:2])  # one effect each, failed tries rolled back
    assert calls[ids[1]] == 3 and calls[-ids[0]] == 1
    assert _state(queue_engine, ids[2])["last_error"] == "Permanent: cannot ever work"


def test_worker_refuses_unknown_kinds(queue_engine):
    with pytest.raises(ConfigurationError):
        Worker(queue_engine, Registry())
    with pytest.raises(ConfigurationError, match="nope"):
        Worker(queue_engine, Registry([JobKind("k", lambda ctx: None)]), kinds=["k", "nope"])
    with pytest.raises(ValueError):
        Registry([JobKind("k", lambda ctx: None), JobKind("k", lambda ctx: None)])


def test_the_heartbeat_keeps_a_long_job_from_being_taken(queue_engine):
    seen: list[object] = []
    registry = Registry()

    @registry.job("long", lease_s=0.6)
    def long(ctx):
        time.sleep(1.5)  # well past the lease, which the heartbeat keeps extending
        seen.append(claim(queue_engine, ["long"], "thief", 30))

    with queue_engine.begin() as conn:
        job_id = enqueue(conn, "long", {})
    report = Worker(queue_engine, registry, poll_s=0.01).run(burst=True)
    assert seen == [None] and report.done == 1 and report.lost == 0
    assert _state(queue_engine, job_id)["attempts"] == 1
