"""The worker loop: claim, run with a heartbeat, commit with the job, or retry later."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from honestcount.jobs import queue
from honestcount.jobs.registry import JobContext, JobKind, Permanent, Registry
from honestcount.settings import ConfigurationError

log = logging.getLogger("honestcount.jobs")
REAP_EVERY_S = 5.0


@dataclass
class WorkerReport:
    done: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0  # leases taken over by another worker: nothing of ours was committed
    by_kind: dict[str, int] = field(default_factory=dict)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Heartbeat(threading.Thread):
    """Extends the lease every third of it until stopped; notes when the lease is lost."""

    def __init__(self, engine: Engine, job: queue.Job, lease_s: float) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job.id}")
        self.engine, self.job, self.lease_s = engine, job, lease_s
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stopped.wait(self.lease_s / 3):
            try:
                if not queue.extend(self.engine, self.job, self.lease_s):
                    self.lost = True
                    return
            except Exception:  # a busy database: try again at the next beat
                log.warning("job %s: heartbeat failed", self.job.id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class Worker:
    """Runs jobs of the registry's kinds from ``engine`` until told to stop."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        *,
        kinds: list[str] | None = None,
        name: str | None = None,
        poll_s: float = 0.5,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.kinds = kinds or registry.names()
        if not self.kinds:
            raise ConfigurationError("the worker has no job kinds to run (see --handlers)")
        unknown = sorted(set(self.kinds) - set(registry.names()))
        if unknown:  # fail now, not at the first job
            raise ConfigurationError(f"no job kind {', '.join(unknown)} is registered")
        self.name = name or worker_name()
        self.poll_s = poll_s
        self.stopping = threading.Event()
        self.report = WorkerReport()
        self._reaped_at = 0.0

    def stop(self, *_args: object) -> None:
        """Finish the job in hand, then return from :meth:`run` (SIGTERM, SIGINT)."""
        self.stopping.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self, *, burst: bool = False, max_jobs: int | None = None) -> WorkerReport:
        """Work until stopped; ``burst``: until no job of these kinds is left unfinished."""
        idle = self.poll_s
        handled = 0
        while not self.stopping.is_set() and (max_jobs is None or handled < max_jobs):
            try:
                if self.run_one():
                    handled += 1
                    idle = self.poll_s
                    continue
            except DBAPIError:  # the database is away (failover, restart): wait, try again
                log.warning("the job queue is unreachable; retrying", exc_info=True)
                self.stopping.wait(idle)
                idle = min(idle * 2, 30.0)
                continue
            if burst:
                with self.engine.connect() as conn:
                    if not queue.pending(conn, self.kinds):
                        break
            self.stopping.wait(idle)
            idle = min(idle * 2, max(self.poll_s, 5.0))  # an idle queue is polled less often
        return self.report

    def run_one(self) -> bool:
        """Claim and run one job; False when none was ready."""
        lease = max(self.registry.get(k).lease_s for k in self.kinds)
        reap = time.monotonic() - self._reaped_at > REAP_EVERY_S
        job = queue.claim(self.engine, self.kinds, self.name, lease, reap=reap)
        if reap:
            self._reaped_at = time.monotonic()
        if job is None:
            if not reap:  # an idle worker reaps before it waits
                self._reaped_at = 0.0
            return False
        kind = self.registry.get(job.kind)
        beat = _Heartbeat(self.engine, job, kind.lease_s)
        beat.start()
        try:
            self._execute(kind, job)
        finally:
            beat.stop()
        return True

    def _execute(self, kind: JobKind, job: queue.Job) -> None:
        ctx: JobContext | None = None
        try:
            with self.engine.begin() as conn:
                ctx = JobContext(job, conn, self.engine)
                kind.handler(ctx)
                queue.complete(conn, job)
        except queue.LeaseLost:
            self.report.lost += 1
            log.warning("job %s (%s): lease lost; another worker has it", job.id, job.kind)
            return
        except Permanent as exc:
            self._failed(job, f"{type(exc).__name__}: {exc}", None)
            return
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()
            self._failed(job, error, kind.retry_in(job.attempts))
            return
        self.report.done += 1
        self.report.by_kind[job.kind] = self.report.by_kind.get(job.kind, 0) + 1
        for fn in ctx.after_commit_steps if ctx else []:
            try:
                fn()
            except Exception:  # the job is done; what the step should have removed stays
                log.warning("job %s: after-commit step failed", job.id, exc_info=True)

    def _failed(self, job: queue.Job, error: str, retry_in_s: float | None) -> None:
        state = queue.fail(self.engine, job, error, retry_in_s=retry_in_s)
        if state == queue.DEAD:
            self.report.dead += 1
            log.error(
                "job %s (%s) is dead after %d attempts: %s", job.id, job.kind, job.attempts, error
            )
        elif state == queue.QUEUED:
            self.report.retried += 1
            log.warning(
                "job %s (%s) failed, retry in %.0fs: %s", job.id, job.kind, retry_in_s, error
            )
        else:
            self.report.lost += 1
