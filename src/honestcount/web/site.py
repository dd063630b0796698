"""What the public pages read: a lean, cached picture of each election, and station details.

A :class:`Snapshot` holds, per election, only what listing, searching and mapping need (one
row per station: place, verdict, proven excess, failed checks), read with one query, so even
the 97,699 Russian stations load in about a second and never the whole evidence. A station
page reads that one station's rows straight from the store. Each snapshot carries a *stamp*
(import time, verification time, evidence digest, and what the intake's publication rule
lets through: :mod:`honestcount.web.privacy`): when the store or the rule changes, the next
request rebuilds it, and every cached page of the old stamp is gone with it.

The analyses (independent estimates, forensics) are stored results
(:mod:`honestcount.analyses`): the pages read the newest run on the current evidence and only
compute the defaults, once, when none is stored. Nothing is cached outside the store but the
files that must be on disk (forensic plots, open data), and those go to
``Settings.cache_dir`` or to a private folder (mode 0700) made for this process.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, literal_column, select

from honestcount import analyses
from honestcount.model import ElectionData
from honestcount.results import plain
from honestcount.settings import get_settings
from honestcount.store import tables as t
from honestcount.store.queries import of_election, preferred_source, read_frame
from honestcount.web.common import (
    UNVERIFIED,
    json_value,
    stamp_of,
)
from honestcount.web.privacy import (
    NONE,
    Guard,
    PublicCounts,
    mask_index,
    mask_report,
    withheld_verdicts,
)

log = logging.getLogger(__name__)

WORKER = "honestcount-web-worker"


@dataclass
class Snapshot:
    """The cached, lean picture of one election (see the module docstring)."""

    election: dict[str, Any]
    options: list[dict[str, Any]]
    stamp: str
    report: dict | None
    computed_at: str | None
    thresholds: dict | None
    index: pd.DataFrame  # station_id index; see Site._index
    national_totals: dict[str, float]
    official_sums: dict[str, float]
    ballots_cast_sum: float | None
    violation_codes: dict[str, str]
    coverage: dict[str, Any]
    search_text: pd.Series
    regions: list[str]
    settlement_types: list[str]
    district_text: pd.Series | None = None  # district names, matched word for word
    public: PublicCounts = NONE  # what may be shown of the intake's figures (index masked)
    cache: dict[str, Any] = field(default_factory=dict)  # built on demand (layers, tables)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        return self.election["id"]

    @property
    def verified(self) -> bool:
        return self.report is not None

    @property
    def option_names(self) -> dict[str, str]:
        return {o["id"]: o["name"] for o in self.options}

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()`` once per snapshot, under the snapshot's lock."""
        value = self.cache.get(key)
        if value is None:
            with self.lock:
                value = self.cache.get(key)
                if value is None:
                    value = build()
                    self.cache[key] = value
        return value

    def filter(
        self,
        *,
        verdict: list[str] | str | None = None,
        region: str | None = None,
        settlement_type: str | None = None,
        check: str | None = None,
        q: str | None = None,
    ) -> np.ndarray:
        """Positions (into ``index``) of the stations that match, in station order, with exact
        id matches of ``q`` first."""
        ix = self.index
        mask = np.ones(len(ix), dtype=bool)
        if verdict:
            wanted = [verdict] if isinstance(verdict, str) else list(verdict)
            mask &= ix["verdict"].isin(wanted).to_numpy()
        if region:
            mask &= (ix["region"] == region).to_numpy()
        if settlement_type:
            mask &= (ix["settlement_type"] == settlement_type).to_numpy()
        if check:
            failed = ix["failed_checks"].fillna("")
            mask &= failed.str.split(";").map(lambda rules: check in rules).to_numpy(dtype=bool)
        exact = np.zeros(0, dtype=np.int64)
        if q and q.strip():
            from honestcount.web.search import fold, matches

            needle = fold(q)
            mask &= matches(self.search_text, self.district_text, needle).to_numpy(dtype=bool)
            exact_pos = ix.index.get_indexer(pd.Index([q.strip()]))
            exact = exact_pos[(exact_pos >= 0)]
            exact = exact[mask[exact]]
        positions = np.flatnonzero(mask)
        if len(exact):
            positions = np.concatenate([exact, positions[~np.isin(positions, exact)]])
        return positions


def _official_sums(conn, in_election) -> tuple[dict[str, float], float | None]:
    """Official votes per option and ballots cast, summed over stations (one protocol per
    station: the preferred source where a station has several)."""
    ov, pl = t.official_votes.c, t.protocol_lines.c
    by_source = conn.execute(
        select(ov.source, ov.option_id, func.sum(ov.votes))
        .where(in_election(t.official_votes))
        .group_by(ov.source, ov.option_id)
    ).all()
    cast = conn.execute(
        select(pl.source, func.sum(pl.value))
        .where(and_(in_election(t.protocol_lines), pl.line == "ballots_cast"))
        .group_by(pl.source)
    ).all()
    if len({r[0] for r in by_source} | {r[0] for r in cast}) <= 1:
        sums = {r[1]: float(r[2]) for r in by_source}
        return sums, (float(cast[0][1]) if cast else None)
    official = preferred_source(
        read_frame(
            conn,
            select(ov.station_pk, ov.source, ov.option_id, ov.votes).where(
                in_election(t.official_votes)
            ),
        )
    )
    lines = preferred_source(
        read_frame(
            conn,
            select(pl.station_pk, pl.source, pl.value).where(
                and_(in_election(t.protocol_lines), pl.line == "ballots_cast")
            ),
        )
    )
    by_option: dict[Any, Any] = (
        official.groupby("option_id")["votes"].sum().to_dict() if len(official) else {}
    )
    return (
        {k: float(v) for k, v in by_option.items()},
        float(lines["value"].sum()) if len(lines) else None,
    )


def _failed_checks(conn, details):
    """``details->>'failed_checks'`` in the connection's SQL dialect (plain SQL: fast reads)."""
    if conn.dialect.name == "postgresql":
        return details.op("->>")(literal_column("'failed_checks'"))
    return func.json_extract(details, literal_column("'$.failed_checks'"))


def private_folder() -> Path:
    """Where this process keeps files that must be on disk (plots, open data):
    ``Settings.cache_dir`` if the operator set one, else a new folder only this user can
    read (never a predictable name under the system temp directory)."""
    configured = get_settings().cache_dir
    if configured is not None:
        folder = Path(configured)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder
    return Path(tempfile.mkdtemp(prefix="honestcount-web-"))


@dataclass(frozen=True)
class State:
    """What the store says about one election now: the snapshot's stamp and a marker that
    changes whenever an analysis is stored."""

    stamp: str
    analyses: str
    checked: float
    public: PublicCounts = NONE


class Site:
    """The data behind the public pages of every election in one store.

    ``freshness``: how many seconds a page may lag behind the store (the store is asked at
    most this often whether an election changed).
    """

    def __init__(
        self,
        engine: Engine,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        background: bool = True,
        freshness: float = 1.0,
    ):
        self.engine = engine
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._owned_cache = False
        self.background = background
        self.freshness = freshness
        self._snapshots: dict[str, Snapshot] = {}
        self._states: dict[str, State] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER)
        self._jobs: dict[tuple[str, ...], Future[dict[str, Any]]] = {}
        self._data: tuple[str, ElectionData, str] | None = None  # stamp, data, digest
        self._data_lock = threading.Lock()
        self.public_counts = Guard(engine)  # what may be shown of the intake's counts

    @property
    def cache_root(self) -> Path:
        if self._cache_dir is None:
            with self._lock:
                if self._cache_dir is None:
                    self._cache_dir = private_folder()
                    self._owned_cache = get_settings().cache_dir is None
        return self._cache_dir

    # snapshots --------------------------------------------------------------------------
    def state(self, election_id: str) -> State | None:
        """The election's stamp and analyses marker, asked of the store at most every
        ``freshness`` seconds; None if the store has no such election."""
        now = time.monotonic()
        known = self._states.get(election_id)
        if known is not None and now - known.checked < self.freshness:
            return known
        e, v, a = t.elections, t.verifications, t.analyses
        query = (
            select(e.c.imported_at, v.c.computed_at, v.c.evidence_digest)
            .select_from(e.outerjoin(v, v.c.election_id == e.c.id))
            .where(e.c.id == election_id)
        )
        marker = select(func.count(), func.max(a.c.computed_at)).where(
            a.c.election_id == election_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                self._states.pop(election_id, None)
                return None
            count, newest = conn.execute(marker).one()
        base = stamp_of(election_id, row.imported_at, row.computed_at, row.evidence_digest)
        # what may be published of the intake's figures is part of the state: the rule is
        # read again at once when the election's intake settings change (an embargo lifted)
        # or the store's evidence does (a new verification), else every privacy.TTL_S (live
        # counts: a photo accepted); intake rows newer than the rule are withheld meanwhile
        public = self.public_counts(election_id, stamp_of(base, self._intake_marker(election_id)))
        stamp = stamp_of(base, public.fingerprint()) if public.active else base
        state = State(stamp, stamp_of(count, newest), now, public)
        self._states[election_id] = state
        return state

    def _intake_marker(self, election_id: str) -> str:
        """The election's intake settings as stored (changed when an admin lifts the embargo
        or sets the group size): one primary-key read."""
        s = t.intake_settings.c
        try:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(s.updated_at, s.embargo_lifted_at, s.min_group_size).where(
                        s.election_id == election_id
                    )
                ).first()
        except Exception:  # a store without the intake's tables: nothing of it to publish
            return "-"
        return "" if row is None else stamp_of(*row)

    def version(self, snap: Snapshot) -> str:
        """Changes whenever anything a page of ``snap`` shows may have changed."""
        state = self._states.get(snap.id)
        return f"{snap.stamp}.{state.analyses if state else ''}"

    def settled(self, snap: Snapshot) -> bool:
        """Whether no analysis of this state of the election is still being computed."""
        version = self.version(snap)
        return all(f.done() for k, f in list(self._jobs.items()) if k[2] == version)

    def elections_version(self) -> str:
        """Changes when an election is imported or removed (asked at most every
        ``freshness`` seconds)."""
        now = time.monotonic()
        known = self._states.get("")
        if known is None or now - known.checked >= self.freshness:
            e = t.elections
            with self.engine.connect() as conn:
                row = conn.execute(select(func.count(), func.max(e.c.imported_at))).one()
            known = State(stamp_of(*row), "", now)
            self._states[""] = known
        return known.stamp

    def elections(self) -> list[dict[str, Any]]:
        from honestcount.store.repository import list_elections

        frame = list_elections(self.engine)
        return [
            {
                "id": row["id"],
                "name": row["name"],
                "country": row["country"],
                "date": row["date"].isoformat() if row["date"] is not None else None,
                "stations": int(row["stations"]),
                "registered_voters": plain(row["registered_voters"]),
            }
            for row in frame.to_dict("records")
        ]

    def snapshot(self, election_id: str) -> Snapshot | None:
        """The election's snapshot, rebuilt when the store changed; None if unknown."""
        state = self.state(election_id)
        if state is None:
            return None
        snap = self._snapshots.get(election_id)
        if snap is not None and snap.stamp == state.stamp:
            return snap
        with self._lock:
            snap = self._snapshots.get(election_id)
            if snap is None or snap.stamp != state.stamp:
                snap = build_snapshot(self.engine, election_id, state.stamp, state.public)
                self._snapshots[election_id] = snap
                self._forget(election_id, state.stamp)
        return snap

    def _forget(self, election_id: str, stamp: str) -> None:
        """Drop what belonged to earlier states of the election (jobs, files on disk)."""
        for key in [k for k in self._jobs if k[0] == election_id and k[1] != stamp]:
            del self._jobs[key]
        if self._cache_dir is None:
            return
        folder = self._cache_dir / election_id
        if folder.is_dir():
            for old in folder.iterdir():
                if old.is_dir() and not old.name.startswith(stamp):
                    shutil.rmtree(old, ignore_errors=True)

    # one station ------------------------------------------------------------------------
    def station(self, snap: Snapshot, station_id: str) -> dict[str, Any] | None:
        """Everything the store holds about one station, as plain JSON-ready values."""
        from honestcount.web.station import station_detail

        return station_detail(self.engine, snap, station_id, self.public_counts(snap.id))

    # analyses ---------------------------------------------------------------------------
    def cache_dir(self, snap: Snapshot) -> Path:
        """Files of this state of the election (plots, open data)."""
        return self.cache_root / snap.id / self.version(snap)

    def election_data(self, snap: Snapshot) -> ElectionData:
        """The whole ElectionData of ``snap`` (the last one loaded is kept in memory)."""
        return self._loaded(snap)[0]

    def evidence_digest(self, snap: Snapshot) -> str:
        return self._loaded(snap)[1]

    def _loaded(self, snap: Snapshot) -> tuple[ElectionData, str]:
        from honestcount.store.repository import load_election

        with self._data_lock:
            if self._data is not None and self._data[0] == snap.stamp:
                return self._data[1], self._data[2]
            data = load_election(self.engine, snap.id)
            digest = analyses.evidence_digest(data)
            self._data = (snap.stamp, data, digest)
            return data, digest

    def analysis(self, snap: Snapshot, kind: str, *, wait: bool | None = None) -> dict[str, Any]:
        """The stored analysis the pages show (``{"status": "ready", "stored":
        StoredAnalysis}``): the newest run on the current evidence, else the defaults
        computed once (in the background worker; ``{"status": "computing"}`` meanwhile)."""

        def compute() -> dict[str, Any]:
            stored = analyses.shown(self.engine, self.election_data(snap), kind)
            return {"status": "ready", "stored": stored}

        return self.job(snap, kind, compute, wait=wait)

    def job(
        self,
        snap: Snapshot,
        kind: str,
        compute: Callable[[], dict[str, Any]],
        *,
        wait: bool | None = None,
    ) -> dict[str, Any]:
        """``compute()`` once per state of the election: in the background worker unless
        ``wait`` (by default: when the site runs without one). A background job that ends
        within a second is waited for, so a quick read never shows "computing"."""
        key = (snap.id, snap.stamp, self.version(snap), kind)
        wait = (not self.background) if wait is None else wait

        def run() -> dict[str, Any]:
            try:
                return compute()
            except Exception as exc:  # shown on the page, logged in full
                log.exception("%s for %s failed", kind, snap.id)
                return {
                    "status": "error",
                    "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=3),
                }

        if threading.current_thread().name.startswith(WORKER):
            return run()  # a job that needs another job's result: run it here, in order
        with self._lock:
            future = self._jobs.get(key)
            retry = future is not None and future.done() and future.result()["status"] == "error"
            if future is None or (retry and wait):
                future = self._worker.submit(run)
                self._jobs[key] = future
        try:
            return future.result(timeout=None if wait else 1.0)
        except FutureTimeout:
            return {"status": "computing"}

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
        if self._owned_cache and self._cache_dir is not None:
            shutil.rmtree(self._cache_dir, ignore_errors=True)


def _counts(conn: Any, election_id: str, in_election: Any) -> dict[str, Any]:
    """Stations with each evidence layer, national totals and violation codes."""

    def stations_with(table: Any, *extra: Any) -> int:
        return int(
            conn.execute(
                select(func.count(func.distinct(table.c.station_pk))).where(
                    and_(in_election(table), *extra)
                )
            ).scalar_one()
        )

    return {
        "with_official": stations_with(t.official_votes),
        "with_voters": stations_with(t.voter_evidence),
        "with_observers": stations_with(t.observer_reports, t.observer_reports.c.observers > 0),
        "with_violations": stations_with(t.observer_violations),
        "totals": dict(
            conn.execute(
                select(t.national_totals.c.line, t.national_totals.c.value).where(
                    t.national_totals.c.election_id == election_id
                )
            ).all()
        ),
        "codes": dict(
            conn.execute(
                select(t.violation_codes.c.code, t.violation_codes.c.reason).where(
                    t.violation_codes.c.election_id == election_id
                )
            ).all()
        ),
    }


def _station_index(conn: Any, election_id: str) -> pd.DataFrame:
    s, v = t.stations, t.station_verdicts
    index = read_frame(
        conn,
        select(
            s.c.pk,
            s.c.station_id,
            s.c.region,
            s.c.district,
            s.c.settlement_type,
            s.c.town,
            s.c.name,
            s.c.latitude,
            s.c.longitude,
            s.c.registered_voters,
            v.c.verdict,
            v.c.proven_excess,
            _failed_checks(conn, v.c.details).label("failed_checks"),
        )
        .select_from(s.outerjoin(v, v.c.station_pk == s.c.pk))
        .where(s.c.election_id == election_id)
        .order_by(s.c.pk),
    )
    index["verdict"] = index["verdict"].fillna(UNVERIFIED)
    index["proven_excess"] = index["proven_excess"].fillna(0).astype("int64")
    for col in ("latitude", "longitude", "registered_voters"):
        index[col] = pd.to_numeric(index[col], errors="coerce").astype("float64")
    return index.set_index("station_id")


def build_snapshot(
    engine: Engine, election_id: str, stamp: str, public: PublicCounts = NONE
) -> Snapshot:
    """Read the lean picture of one election from the store (one pass, no evidence), with
    the intake's withheld figures left out (``public``)."""
    from honestcount.web.districts import add_names
    from honestcount.web.search import district_text, search_text

    with engine.connect() as conn:
        e = conn.execute(select(t.elections).where(t.elections.c.id == election_id)).one()
        options = [
            {"id": o.id, "name": o.name, "kind": o.kind, "position": o.position}
            for o in conn.execute(
                select(t.options)
                .where(t.options.c.election_id == election_id)
                .order_by(t.options.c.position)
            ).all()
        ]
        index = add_names(election_id, _station_index(conn, election_id))
        in_election = of_election(conn, election_id)
        official_sums, cast_sum = _official_sums(conn, in_election)
        counts = _counts(conn, election_id, in_election)
        ver = conn.execute(
            select(t.verifications).where(t.verifications.c.election_id == election_id)
        ).first()
        withheld = withheld_verdicts(conn, election_id, public) if public.active else None
    if public.active:
        index = mask_index(index, public)
    totals = counts["totals"]
    located = index["latitude"].notna() & index["longitude"].notna()
    return Snapshot(
        election={
            "id": e.id,
            "name": e.name,
            "country": e.country,
            "date": e.date.isoformat() if e.date else None,
            "protocol_schema": e.protocol_schema,
            "source": e.source,
            "imported_at": e.imported_at.isoformat() if e.imported_at else None,
        },
        options=options,
        stamp=stamp,
        public=public,
        report=mask_report(json_value(ver.report), withheld, public)
        if ver is not None and withheld is not None
        else (json_value(ver.report) if ver is not None else None),
        computed_at=ver.computed_at.isoformat() if ver is not None else None,
        thresholds=json_value(ver.thresholds) if ver is not None else None,
        index=index,
        national_totals={k: float(v) for k, v in totals.items()},
        official_sums=official_sums,
        ballots_cast_sum=cast_sum,
        violation_codes=counts["codes"],
        coverage={
            "stations": len(index),
            "stations_with_official_result": counts["with_official"],
            "stations_with_voter_evidence": counts["with_voters"],
            "stations_with_observers": counts["with_observers"],
            "stations_with_violations": counts["with_violations"],
            "stations_located": int(located.sum()),
            # the national figure where the commission announced one: a sum over the
            # stations whose protocol is known would read as the country's electorate
            "registered_voters": plain(
                totals.get("registered_voters", index["registered_voters"].sum(min_count=1))
            ),
            # what that number counts: the commission's national figure, or a station sum
            "registered_voters_basis": "national_totals"
            if "registered_voters" in totals
            else "station_sum",
        },
        search_text=search_text(index),
        district_text=district_text(index),
        regions=sorted(index["region"].dropna().unique().tolist()),
        settlement_types=sorted(index["settlement_type"].dropna().unique().tolist()),
    )
