"""Job kinds for the worker-process tests (loaded with ``honestcount worker --handlers``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from honestcount.jobs import JobContext, JobKind, Registry

LEASE_S = 1.5


def effect(ctx: JobContext) -> None:
    """Note the start outside the transaction (the test watches it), work a while, then write
    the job's one effect inside it."""
    marks = Path(ctx.payload["marks"])
    with open(marks / f"{ctx.job.id}-{ctx.job.attempts}-{os.getpid()}", "w"):
        pass
    time.sleep(float(ctx.payload["sleep"]))
    ctx.conn.execute(
        text("INSERT INTO effects (job_id, pid) VALUES (:j, :p)"),
        {"j": ctx.job.id, "p": os.getpid()},
    )


def register(registry: Registry) -> None:
    registry.add(JobKind("test.effect", effect, max_attempts=5, lease_s=LEASE_S))
