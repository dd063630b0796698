"""What the public pages read: a lean, cached picture of each election, and station details.

A :class:`Snapshot` holds, per election, only what listing, searching and mapping need (one
row per station: place, verdict, proven excess, failed checks), read with one query, so even
the 97,699 Russian stations load in about a second and never the whole evidence. A station
page reads that one station's rows straight from the store. Each snapshot carries a *stamp*
(import time, verification time, evidence digest): when the store changes, the next request
rebuilds it.

The heavier analyses (independent estimates, forensics, open-data files) need the whole
:class:`~honestcount.model.ElectionData`; they run once per stamp in one background worker and
are kept on disk in the cache folder, so a restart finds them ready.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, literal_column, select

from honestcount.model import PROTOCOL_LINES
from honestcount.results import plain
from honestcount.store import tables as t
from honestcount.store.queries import SOURCE_PREFERENCE, of_election, preferred_source, read_frame
from honestcount.web.privacy import Guard

log = logging.getLogger(__name__)

# Verdicts, strongest first (as honestcount.checks.verdicts orders them), with a one-letter
# code for the compact map layer.
VERDICTS = (
    "falsification_proven",
    "turnout_inflation_proven",
    "declared_exceeds_official",
    "consistent",
    "no_evidence",
    "no_official_result",
)
UNVERIFIED = "unverified"
VERDICT_CODE = {
    "falsification_proven": "P",
    "turnout_inflation_proven": "T",
    "declared_exceeds_official": "D",
    "consistent": "C",
    "no_evidence": "E",
    "no_official_result": "N",
    UNVERIFIED: "U",
}
CODE_VERDICT = {c: v for v, c in VERDICT_CODE.items()}


WORKER = "honestcount-web-worker"


def stamp_of(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:16]


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
    coverage: dict[str, int]
    search_text: pd.Series
    regions: list[str]
    settlement_types: list[str]
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
            needle = q.strip().lower()
            mask &= self.search_text.str.contains(needle, regex=False).to_numpy()
            exact_pos = ix.index.get_indexer([q.strip()])
            exact = exact_pos[(exact_pos >= 0)]
            exact = exact[mask[exact]]
        positions = np.flatnonzero(mask)
        if len(exact):
            positions = np.concatenate([exact, positions[~np.isin(positions, exact)]])
        return positions


def web_url(url: str | None) -> str | None:
    """A link from the data, only if it is a plain web address (never ``javascript:``)."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


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
    sums = official.groupby("option_id")["votes"].sum() if len(official) else {}
    return (
        {k: float(v) for k, v in dict(sums).items()},
        float(lines["value"].sum()) if len(lines) else None,
    )


def _failed_checks(conn, details):
    """``details->>'failed_checks'`` in the connection's SQL dialect (plain SQL: fast reads)."""
    if conn.dialect.name == "postgresql":
        return details.op("->>")(literal_column("'failed_checks'"))
    return func.json_extract(details, literal_column("'$.failed_checks'"))


def _json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class Site:
    """The data behind the public pages of every election in one store."""

    def __init__(
        self,
        engine: Engine,
        cache_dir: str | os.PathLike | None = None,
        *,
        background: bool = True,
    ):
        self.engine = engine
        root = cache_dir or os.environ.get("HONESTCOUNT_WEB_CACHE")
        if root is None:
            url = engine.url.render_as_string(hide_password=True)
            root = Path(tempfile.gettempdir()) / "honestcount-web" / stamp_of(url)
        self.cache_root = Path(root)
        self.background = background
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER)
        self._jobs: dict[tuple[str, str, str], Future] = {}
        self._data: tuple[str, Any] | None = None  # the last full ElectionData loaded
        self._data_lock = threading.Lock()
        self.public_counts = Guard(engine)  # what may be shown of the intake's counts

    # snapshots --------------------------------------------------------------------------
    def _stamp_row(self, election_id: str):
        e, v = t.elections, t.verifications
        query = (
            select(e.c.imported_at, v.c.computed_at, v.c.evidence_digest)
            .select_from(e.outerjoin(v, v.c.election_id == e.c.id))
            .where(e.c.id == election_id)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first()

    def elections(self) -> list[dict[str, Any]]:
        from honestcount.store.repository import list_elections

        frame = list_elections(self.engine)
        out = []
        for row in frame.to_dict("records"):
            out.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "country": row["country"],
                    "date": row["date"].isoformat() if row["date"] is not None else None,
                    "stations": int(row["stations"]),
                    "registered_voters": plain(row["registered_voters"]),
                }
            )
        return out

    def snapshot(self, election_id: str) -> Snapshot | None:
        """The election's snapshot, rebuilt when the store changed; None if unknown."""
        row = self._stamp_row(election_id)
        if row is None:
            return None
        stamp = stamp_of(election_id, row.imported_at, row.computed_at, row.evidence_digest)
        snap = self._snapshots.get(election_id)
        if snap is not None and snap.stamp == stamp:
            return snap
        with self._lock:
            snap = self._snapshots.get(election_id)
            if snap is None or snap.stamp != stamp:
                snap = self._load_saved(election_id, stamp)
                if snap is None:
                    snap = self._build(election_id, stamp)
                    self._save(snap)
                self._snapshots[election_id] = snap
        return snap

    def _saved_path(self, election_id: str, stamp: str) -> Path:
        return self.cache_root / election_id / stamp / "snapshot.pickle"

    def _load_saved(self, election_id: str, stamp: str) -> Snapshot | None:
        """A snapshot saved by an earlier process for the same stamp (a restart is quick)."""
        path = self._saved_path(election_id, stamp)
        try:
            with path.open("rb") as f:
                state = pickle.load(f)
            return Snapshot(**state)
        except FileNotFoundError:
            return None
        except Exception:  # a stale or partial file: rebuild
            log.warning("ignoring unreadable %s", path)
            return None

    def _save(self, snap: Snapshot) -> None:
        path = self._saved_path(snap.id, snap.stamp)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            state = {
                f.name: getattr(snap, f.name)
                for f in fields(Snapshot)
                if f.name not in ("cache", "lock")
            }
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError:
            log.warning("could not save the snapshot to %s", path)
            return
        for old in path.parent.parent.iterdir():  # earlier stamps of this election are stale
            if old.is_dir() and old.name != snap.stamp:
                shutil.rmtree(old, ignore_errors=True)

    def _build(self, election_id: str, stamp: str) -> Snapshot:
        s, v = t.stations, t.station_verdicts
        with self.engine.connect() as conn:
            e = conn.execute(select(t.elections).where(t.elections.c.id == election_id)).one()
            options = [
                {"id": o.id, "name": o.name, "kind": o.kind, "position": o.position}
                for o in conn.execute(
                    select(t.options)
                    .where(t.options.c.election_id == election_id)
                    .order_by(t.options.c.position)
                ).all()
            ]
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
            in_election = of_election(conn, election_id)
            official_sums, cast_sum = _official_sums(conn, in_election)
            with_official = conn.execute(
                select(func.count(func.distinct(t.official_votes.c.station_pk))).where(
                    in_election(t.official_votes)
                )
            ).scalar_one()
            with_voters = conn.execute(
                select(func.count(func.distinct(t.voter_evidence.c.station_pk))).where(
                    in_election(t.voter_evidence)
                )
            ).scalar_one()
            with_observers = conn.execute(
                select(func.count(func.distinct(t.observer_reports.c.station_pk))).where(
                    and_(in_election(t.observer_reports), t.observer_reports.c.observers > 0)
                )
            ).scalar_one()
            with_violations = conn.execute(
                select(func.count(func.distinct(t.observer_violations.c.station_pk))).where(
                    in_election(t.observer_violations)
                )
            ).scalar_one()
            totals = dict(
                conn.execute(
                    select(t.national_totals.c.line, t.national_totals.c.value).where(
                        t.national_totals.c.election_id == election_id
                    )
                ).all()
            )
            codes = dict(
                conn.execute(
                    select(t.violation_codes.c.code, t.violation_codes.c.reason).where(
                        t.violation_codes.c.election_id == election_id
                    )
                ).all()
            )
            ver = conn.execute(
                select(t.verifications).where(t.verifications.c.election_id == election_id)
            ).first()

        report = _json(ver.report) if ver is not None else None
        index["verdict"] = index["verdict"].fillna(UNVERIFIED)
        index["proven_excess"] = index["proven_excess"].fillna(0).astype("int64")
        for col in ("latitude", "longitude", "registered_voters"):
            index[col] = pd.to_numeric(index[col], errors="coerce").astype("float64")
        index = index.set_index("station_id")
        text = (
            index.index.to_series()
            + " "
            + index["town"].fillna("")
            + " "
            + index["name"].fillna("")
            + " "
            + index["district"].fillna("")
        ).str.lower()
        election = {
            "id": e.id,
            "name": e.name,
            "country": e.country,
            "date": e.date.isoformat() if e.date else None,
            "protocol_schema": e.protocol_schema,
            "source": e.source,
            "imported_at": e.imported_at.isoformat() if e.imported_at else None,
        }
        located = index["latitude"].notna() & index["longitude"].notna()
        return Snapshot(
            election=election,
            options=options,
            stamp=stamp,
            report=report,
            computed_at=ver.computed_at.isoformat() if ver is not None else None,
            thresholds=_json(ver.thresholds) if ver is not None else None,
            index=index,
            national_totals={k: float(v) for k, v in totals.items()},
            official_sums=official_sums,
            ballots_cast_sum=cast_sum,
            violation_codes=codes,
            coverage={
                "stations": len(index),
                "stations_with_official_result": int(with_official),
                "stations_with_voter_evidence": int(with_voters),
                "stations_with_observers": int(with_observers),
                "stations_with_violations": int(with_violations),
                "stations_located": int(located.sum()),
                # the national figure where the commission announced one: a sum over the
                # stations whose protocol is known would read as the country's electorate
                "registered_voters": plain(
                    totals.get("registered_voters", index["registered_voters"].sum(min_count=1))
                ),
            },
            search_text=text,
            regions=sorted(index["region"].dropna().unique().tolist()),
            settlement_types=sorted(index["settlement_type"].dropna().unique().tolist()),
        )

    # one station ------------------------------------------------------------------------
    def station(self, snap: Snapshot, station_id: str) -> dict[str, Any] | None:
        """Everything the store holds about one station, as plain JSON-ready values."""
        try:
            pos = snap.index.index.get_loc(station_id)
        except KeyError:
            return None
        if not isinstance(pos, int | np.integer):
            return None
        pk = int(snap.index["pk"].iloc[pos])
        s = t.stations
        with self.engine.connect() as conn:
            row = conn.execute(select(s).where(s.c.pk == pk)).one()

            def of_station(table, *columns):
                return conn.execute(
                    select(*[table.c[c] for c in columns]).where(table.c.station_pk == pk)
                ).all()

            lines = of_station(t.protocol_lines, "source", "line", "value")
            official = of_station(t.official_votes, "source", "option_id", "votes")
            evidence = of_station(t.voter_evidence, "option_id", "declared", "photo", "source")
            observers = of_station(t.observer_reports, "source", "observers", "turnout_count")
            violations = of_station(t.observer_violations, "source", "code")
            verdict = conn.execute(
                select(
                    t.station_verdicts.c.verdict,
                    t.station_verdicts.c.proven_excess,
                    t.station_verdicts.c.details,
                ).where(t.station_verdicts.c.station_pk == pk)
            ).first()
            findings = conn.execute(
                select(t.data_quality.c.rule, t.data_quality.c.detail).where(
                    and_(
                        t.data_quality.c.election_id == snap.id,
                        t.data_quality.c.station_id == station_id,
                    )
                )
            ).all()

        rank = {src: i for i, src in enumerate(SOURCE_PREFERENCE)}
        sources = sorted({r.source for r in (*lines, *official)}, key=lambda x: rank.get(x, 99))
        main_source = sources[0] if sources else None
        line_values = {r.line: int(r.value) for r in lines if r.source == main_source}
        official_votes = {r.option_id: int(r.votes) for r in official if r.source == main_source}
        other_sources = [
            {
                "source": src,
                "lines": {r.line: int(r.value) for r in lines if r.source == src},
                "official": {r.option_id: int(r.votes) for r in official if r.source == src},
            }
            for src in sources[1:]
        ]
        declared = {r.option_id: plain(r.declared) for r in evidence}
        photo = {r.option_id: plain(r.photo) for r in evidence}
        public = self.public_counts(snap.id)
        if public.active:
            for oid in list(declared):
                declared[oid], photo[oid] = public.cell(station_id, oid, declared[oid], photo[oid])
        details = _json(verdict.details) if verdict is not None else {}
        options = []
        for o in snap.options:
            oid = o["id"]
            off = official_votes.get(oid)
            ph, de = photo.get(oid), declared.get(oid)
            options.append(
                {
                    "id": oid,
                    "name": o["name"],
                    "kind": o["kind"],
                    "official": off,
                    "photo_confirmed": ph,
                    "declared": de,
                    "photo_minus_official": None if off is None or ph is None else ph - off,
                    "declared_minus_official": None if off is None or de is None else de - off,
                    "verdict": details.get(f"{oid}_verdict"),
                }
            )
        ordered_lines = [k for k in PROTOCOL_LINES if k in line_values] + sorted(
            k for k in line_values if k not in PROTOCOL_LINES
        )
        failed = [r for r in (details.get("failed_checks") or "").split(";") if r]
        rules = (snap.report or {}).get("check_rules", {})
        obs = observers[0] if observers else None
        proven_options = [r for r in (details.get("proven_options") or "").split(";") if r]
        return {
            "station": {
                "id": station_id,
                "region": row.region,
                "district": row.district,
                "settlement_type": row.settlement_type,
                "town": row.town,
                "name": row.name,
                "latitude": row.latitude,
                "longitude": row.longitude,
                "registered_voters": row.registered_voters,
                "url": row.url,
            },
            "verdict": {
                "verdict": verdict.verdict if verdict is not None else UNVERIFIED,
                "proven_excess_votes": int(verdict.proven_excess) if verdict is not None else 0,
                "proven_options": proven_options,
                "declared_exceeds_options": [
                    o["id"] for o in options if o["verdict"] == "declared_exceeds_official"
                ],
                "official_voters": plain(details.get("official_voters")),
                "observer_turnout_count": plain(details.get("observer_turnout_count")),
                "turnout_excess": plain(details.get("turnout_excess")),
                "computed_at": snap.computed_at,
                "thresholds": snap.thresholds,
            },
            "options": options,
            "protocol": {
                "source": main_source,
                "lines": [{"line": k, "value": line_values[k]} for k in ordered_lines],
                "other_sources": other_sources,
            },
            "failed_checks": [{"rule": r, "description": rules.get(r)} for r in failed],
            "observers": {
                "observers": plain(obs.observers) if obs else None,
                "turnout_count": plain(obs.turnout_count) if obs else None,
                "source": obs.source if obs else None,
                "violations": [
                    {"code": r.code, "reason": snap.violation_codes.get(r.code), "source": r.source}
                    for r in sorted(violations, key=lambda r: (len(r.code), r.code))
                ],
            },
            "data_quality": [{"rule": r.rule, "detail": r.detail} for r in findings],
            "protocol_photo": None,  # no data set carries protocol photos yet; see docs/web.md
            "source_url": web_url(row.url),
        }

    # background analyses ----------------------------------------------------------------
    def cache_dir(self, snap: Snapshot) -> Path:
        return self.cache_root / snap.id / snap.stamp

    def election_data(self, snap: Snapshot):
        """The whole ElectionData of ``snap`` (the last one loaded is kept in memory)."""
        from honestcount.store.repository import load_election

        with self._data_lock:
            if self._data is not None and self._data[0] == snap.stamp:
                return self._data[1]
            data = load_election(self.engine, snap.id)
            self._data = (snap.stamp, data)
            return data

    def job(
        self, snap: Snapshot, kind: str, compute: Callable[[], dict], *, wait: bool | None = None
    ) -> dict:
        """The result of ``compute`` for this snapshot: from disk if done before, else run it
        (in the background worker unless ``wait``); returns ``{"status": ..., ...}``."""
        path = self.cache_dir(snap) / f"{kind}.json"
        if path.exists():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                path.unlink(missing_ok=True)
        key = (snap.id, snap.stamp, kind)
        wait = (not self.background) if wait is None else wait

        def run() -> dict:
            if path.exists():  # done meanwhile, by a job that needed it
                try:
                    return json.loads(path.read_text(encoding="utf-8"))
                except ValueError:
                    pass
            try:
                result = compute()
            except Exception as exc:  # shown on the page, logged in full
                log.exception("%s for %s failed", kind, snap.id)
                return {
                    "status": "error",
                    "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=3),
                }
            if result.get("status") == "ready":  # "unavailable" may change with an upgrade
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
                tmp.replace(path)
            return result

        if threading.current_thread().name.startswith(WORKER):
            return run()  # a job that needs another job's result: run it here, in order
        with self._lock:
            future = self._jobs.get(key)
            retry = future is not None and future.done() and future.result()["status"] == "error"
            if future is None or (retry and wait):
                future = self._worker.submit(run)
                self._jobs[key] = future
        if wait:
            return future.result()
        if future.done():
            return future.result()
        return {"status": "computing"}

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
