"""Kinds of job: a name, a handler, and how it is retried."""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from honestcount.jobs.queue import Job

# Modules whose ``register(registry)`` adds the project's own kinds to the worker's registry.
HANDLER_MODULES: tuple[str, ...] = ("honestcount.intake.jobs",)


class Permanent(Exception):
    """The job can never succeed as it is (bad input): dead letters at once, no retry."""


@dataclass
class JobContext:
    """What a handler gets. ``conn`` is the transaction that also marks the job done:
    whatever the handler writes through it commits exactly once, or not at all. Anything
    outside it (a stored object) must be idempotent, keyed by content or by ``job.id``."""

    job: Job
    conn: Connection
    engine: Engine
    after_commit_steps: list[Callable[[], None]] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the job's transaction has committed (e.g. delete a staged upload);
        it is not run if the transaction rolls back, nor if the worker dies first."""
        self.after_commit_steps.append(fn)


Handler = Callable[[JobContext], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int = 5
    lease_s: float = 60.0  # renewed every third of it while the handler runs
    backoff_s: float = 2.0  # before the 2nd attempt; doubled each time after
    backoff_cap_s: float = 600.0

    def retry_in(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before the next attempt after ``attempt`` failed: exponential, capped,
        with +-25% jitter so that a burst of failures does not come back as one burst."""
        base = min(self.backoff_cap_s, self.backoff_s * 2 ** max(0, attempt - 1))
        return base * (rng or random).uniform(0.75, 1.25)


class Registry:
    """The kinds a worker can run."""

    def __init__(self, kinds: Iterable[JobKind] = ()) -> None:
        self._kinds: dict[str, JobKind] = {}
        for kind in kinds:
            self.add(kind)

    def add(self, kind: JobKind) -> JobKind:
        if kind.name in self._kinds:
            raise ValueError(f"job kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind
        return kind

    def job(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        """Decorator: ``@registry.job("photo.process", max_attempts=8)``."""

        def register(fn: Handler) -> Handler:
            self.add(JobKind(name, fn, **options))
            return fn

        return register

    def get(self, name: str) -> JobKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise KeyError(f"no job kind {name!r} is registered") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def load(self, modules: Iterable[str]) -> Registry:
        """Import each module and call its ``register(registry)``."""
        for name in modules:
            module = importlib.import_module(name)
            register = getattr(module, "register", None)
            if register is None:
                raise ValueError(f"{name} has no register(registry) function")
            register(self)
        return self


def default_registry(extra_modules: Iterable[str] = ()) -> Registry:
    """The project's job kinds plus those of ``extra_modules``."""
    return Registry().load([*HANDLER_MODULES, *extra_modules])
