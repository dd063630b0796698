"""Work done after the request: a database-backed job queue and its workers.

* :func:`enqueue` (in the caller's transaction), :func:`claim`, :func:`complete`,
  :func:`fail`, :func:`dead_letters`, :func:`retry_dead`, :func:`counts` (:mod:`.queue`);
* :class:`Registry` of :class:`JobKind` (handler, attempts, lease, backoff) and the
  :class:`JobContext` a handler gets (:mod:`.registry`);
* :class:`Worker` (:mod:`.worker`): ``honestcount worker`` runs one per process;
* the photo job, :mod:`.photo` (imported on its own: it needs the intake's imaging).
"""

from honestcount.jobs.queue import (
    DEAD,
    DONE,
    QUEUED,
    RUNNING,
    Job,
    LeaseLost,
    claim,
    complete,
    counts,
    dead_letters,
    enqueue,
    extend,
    fail,
    pending,
    prune,
    retry_dead,
)
from honestcount.jobs.registry import (
    JobContext,
    JobKind,
    Permanent,
    Registry,
    default_registry,
)
from honestcount.jobs.worker import Worker, WorkerReport

__all__ = [
    "DEAD",
    "DONE",
    "QUEUED",
    "RUNNING",
    "Job",
    "JobContext",
    "JobKind",
    "LeaseLost",
    "Permanent",
    "Registry",
    "Worker",
    "WorkerReport",
    "claim",
    "complete",
    "counts",
    "dead_letters",
    "default_registry",
    "enqueue",
    "extend",
    "fail",
    "pending",
    "prune",
    "retry_dead",
]
