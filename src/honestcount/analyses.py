"""Every analysis is a stored result: run once with its parameters, read everywhere.

``honestcount estimate`` and ``honestcount forensics`` store what they computed, with the
parameters they ran with and the digest of the evidence they read (the same digest that
stored verdicts carry). The pages, the open data and the static export read the newest
stored result whose evidence digest matches the election's evidence now; only when there is
none do they compute the defaults once, store them, and say so. Nothing is cached outside
the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from honestcount.defaults import ANALYSIS
from honestcount.results import jsonable

if TYPE_CHECKING:  # the store and the model are imported where they are used: commands start fast
    from sqlalchemy import Engine

    from honestcount.model import ElectionData

ESTIMATE = "estimate"
FORENSICS = "forensics"


@dataclass(frozen=True)
class StoredAnalysis:
    """One stored run: what was computed, from which evidence, with which parameters."""

    election_id: str
    kind: str
    parameters: dict[str, Any]
    evidence_digest: str
    computed_at: dt.datetime
    result: dict[str, Any]

    def provenance(self) -> dict[str, Any]:
        """What a page says about the figures it shows."""
        return {
            "kind": self.kind,
            "parameters": self.parameters,
            "evidence_digest": self.evidence_digest,
            "computed_at": self.computed_at.isoformat(),
        }


def parameters_digest(parameters: dict[str, Any]) -> str:
    text = json.dumps(jsonable(parameters), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def evidence_digest(data: ElectionData) -> str:
    from honestcount.checks.verify import evidence_digest as digest

    return digest(data)


def public_view(engine: Engine, data: ElectionData) -> tuple[ElectionData, str]:
    """The evidence a public analysis may use, and the digest it is stored under.

    Intake evidence that the publication rule withholds (the embargo, or fewer voters than
    the minimum group size) feeds no public figure: its cells are dropped here, and the rule's
    state is part of the digest, so lifting the embargo makes the stored runs stale.
    """
    from honestcount.intake import publication

    pub = publication(engine, data.election.id)
    withheld = pub.withheld_stations
    cells = sorted((s, o) for s, o in pub.pairs if s in withheld)
    digest = evidence_digest(data)
    if not cells:
        return data, digest
    declared, photo = data.declared.copy(), data.photo.copy()
    for station, option in cells:
        for frame in (declared, photo):
            if station in frame.index and option in frame.columns:
                frame.loc[station, option] = float("nan")
    tag = hashlib.sha256(json.dumps(cells).encode()).hexdigest()
    masked = dataclasses.replace(data, declared=declared, photo=photo)
    return masked, hashlib.sha256(f"{digest}:{tag}".encode()).hexdigest()


def save(
    engine: Engine,
    election_id: str,
    kind: str,
    parameters: dict[str, Any],
    digest: str,
    result: Any,
) -> StoredAnalysis:
    """Store one run (replacing an earlier run with the same parameters)."""
    params = jsonable(parameters)
    key = parameters_digest(params)
    computed_at = dt.datetime.now(dt.UTC)
    document = jsonable(result)
    from sqlalchemy import delete

    from honestcount.store import tables as t

    a = t.analyses
    with engine.begin() as conn:
        conn.execute(
            delete(a).where(
                a.c.election_id == election_id,
                a.c.kind == kind,
                a.c.parameters_digest == key,
            )
        )
        conn.execute(
            a.insert().values(
                election_id=election_id,
                kind=kind,
                parameters_digest=key,
                parameters=params,
                evidence_digest=digest,
                computed_at=computed_at,
                result=document,
            )
        )
    return StoredAnalysis(election_id, kind, params, digest, computed_at, document)


def latest(
    engine: Engine, election_id: str, kind: str, digest: str | None = None
) -> StoredAnalysis | None:
    """The newest stored run of ``kind`` (on evidence ``digest`` if given), or None."""
    from sqlalchemy import select

    from honestcount.store import tables as t

    a = t.analyses
    query = select(a).where(a.c.election_id == election_id, a.c.kind == kind)
    if digest is not None:
        query = query.where(a.c.evidence_digest == digest)
    with engine.connect() as conn:
        row = conn.execute(query.order_by(a.c.computed_at.desc()).limit(1)).first()
    if row is None:
        return None
    m = row._mapping
    computed_at = m["computed_at"]
    if computed_at.tzinfo is None:  # SQLite hands back naive datetimes
        computed_at = computed_at.replace(tzinfo=dt.UTC)
    return StoredAnalysis(
        m["election_id"],
        m["kind"],
        _loaded(m["parameters"]),
        m["evidence_digest"],
        computed_at,
        _loaded(m["result"]),
    )


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# --- the analyses themselves ---------------------------------------------------------------


def estimate_parameters(
    methods: Sequence[str] | None = None,
    n_boot: int = ANALYSIS.n_boot,
    seed: int = ANALYSIS.seed,
    threshold: float = ANALYSIS.estimate_threshold,
    definition: str = ANALYSIS.estimate_definition,
    level: float = ANALYSIS.confidence_level,
) -> dict[str, Any]:
    """The full parameter set of an estimate run (defaults from :data:`settings.ANALYSIS`)."""
    return {
        "methods": None if not methods else list(methods),
        "n_boot": int(n_boot),
        "seed": int(seed),
        "threshold": float(threshold),
        "definition": definition,
        "level": float(level),
        "checks_ok": "protocol control relations",
    }


def run_estimate(
    engine: Engine, data: ElectionData, parameters: dict[str, Any] | None = None
) -> StoredAnalysis:
    """Run every requested estimate on ``data`` and store the result."""
    from honestcount.checks.rules import checks_ok
    from honestcount.estimate import run_estimate as estimate

    params = parameters or estimate_parameters()
    kwargs = {k: v for k, v in params.items() if k not in ("methods", "checks_ok")}
    public, digest = public_view(engine, data)
    result = estimate(public, params.get("methods"), checks_ok=checks_ok(public), **kwargs)
    return save(engine, data.election.id, ESTIMATE, params, digest, result)


def forensics_parameters(
    tests: Sequence[str] | None = None, leader: str | None = None
) -> dict[str, Any]:
    return {"tests": None if not tests else list(tests), "leader": leader}


def run_forensics(
    engine: Engine,
    data: ElectionData,
    parameters: dict[str, Any] | None = None,
    plots_dir: Path | None = None,
) -> StoredAnalysis:
    """Run the forensics battery on ``data`` and store the result."""
    from honestcount.forensics import run_battery

    params = parameters or forensics_parameters()
    result = run_battery(data, params.get("tests"), params.get("leader"), plots_dir)
    document = jsonable(result)
    kept = {**document, "tests": {}}
    for name, test in document.get("tests", {}).items():  # plot paths belong to one machine
        kept["tests"][name] = (
            {k: v for k, v in test.items() if k != "plots"} if isinstance(test, dict) else test
        )
    stored = save(
        engine, data.election.id, FORENSICS, params, _digest(engine, data, FORENSICS), kept
    )
    return dataclasses.replace(stored, result=document)


def _digest(engine: Engine, data: ElectionData, kind: str) -> str:
    """The evidence digest a run of ``kind`` is stored under: the forensics read official
    numbers only, so the intake's publication rule does not enter theirs."""
    return evidence_digest(data) if kind == FORENSICS else public_view(engine, data)[1]


def shown(engine: Engine, data: ElectionData, kind: str) -> StoredAnalysis:
    """What the pages show for ``kind``: the newest stored run on the current evidence, or the
    defaults computed once now (and stored)."""
    stored = latest(engine, data.election.id, kind, _digest(engine, data, kind))
    if stored is not None:
        return stored
    if kind == ESTIMATE:
        return run_estimate(engine, data)
    if kind == FORENSICS:
        return run_forensics(engine, data)
    raise ValueError(f"unknown analysis kind {kind!r}")
