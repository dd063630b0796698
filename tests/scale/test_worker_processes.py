"""Two ``honestcount worker`` processes on one PostgreSQL; one is SIGKILLed mid-job: every job
is done, and its effect committed, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from honestcount.jobs import DONE, enqueue
from honestcount.store.tables.jobs import jobs

HERE = Path(__file__).resolve().parent
CLI = "from honestcount.cli import worker; from honestcount.cli.common import app; app()"
N = 40
SLEEP = 0.3


def _worker(url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, "-c", CLI, "--db", url, "worker", "--handlers", "scale_handlers"]
    return subprocess.Popen(
        [*command, "--burst", "--poll", "0.05", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _started(marks: Path, pid: int) -> list[str]:
    return [p.name for p in marks.iterdir() if p.name.endswith(f"-{pid}")]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_sigkill_mid_job_loses_nothing_and_repeats_nothing(db_url, tmp_path):
    from honestcount.store.db import make_engine

    engine = make_engine(db_url)
    marks = tmp_path / "marks"
    marks.mkdir()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE effects (job_id BIGINT NOT NULL, pid INTEGER NOT NULL)"))
        ids = [
            enqueue(conn, "test.effect", {"marks": str(marks), "sleep": SLEEP}) for _ in range(N)
        ]
    victim, survivor = _worker(db_url), _worker(db_url)
    try:
        deadline = time.monotonic() + 60
        # Kill the victim just after it started its third job (each takes SLEEP seconds).
        while len(_started(marks, victim.pid)) < 3:
            assert time.monotonic() < deadline, "the victim never started a job"
            time.sleep(0.005)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        out, err = survivor.communicate(timeout=120)
        assert survivor.returncode == 0, err
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    with engine.connect() as conn:
        states = dict(conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all())
        effects = conn.execute(text("SELECT job_id, pid FROM effects")).all()
        retried = conn.execute(select(jobs.c.id).where(jobs.c.attempts > 1)).scalars().all()
    engine.dispose()
    assert states == {DONE: N}
    done_by = {job_id: pid for job_id, pid in effects}
    assert len(effects) == N and sorted(done_by) == sorted(ids)  # once each
    # The job the victim was inside ran again, in the survivor, after the lease ran out.
    interrupted = [
        int(name.split("-")[0])
        for name in _started(marks, victim.pid)
        if done_by[int(name.split("-")[0])] != victim.pid
    ]
    assert len(interrupted) == 1 and retried == interrupted
    assert done_by[interrupted[0]] == survivor.pid
    assert '"done"' in out
