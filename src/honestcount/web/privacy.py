"""What the public site may show of the counts that came through the intake API.

Voters' counts written by the intake (``voter_evidence`` rows with source ``intake``) are
published only as :func:`honestcount.intake.evidence.publishable_counts` allows: nothing while
the election's embargo holds, no station whose platform voters are fewer than the minimum
group size, no cell between 1 and that size minus one (a count of 1 or 2 can point at a
person). Every public output of this package (station pages and twins, open-data files, the
SQLite copy) passes the intake's cells through :class:`PublicCounts`; counts from other
sources (the bundled Golos data, imported files) are published as they are.

When the intake's rules cannot be read (the module missing, its settings invalid), intake
counts are withheld entirely: the guard fails closed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, and_, select

from honestcount.store import tables as t
from honestcount.store.queries import of_election

log = logging.getLogger(__name__)
INTAKE_SOURCE = "intake"
TTL_S = 30.0  # the embargo can be lifted at any time: rules are re-read this often


@dataclass(frozen=True)
class PublicCounts:
    """The intake's cells of one election and what may be shown of them."""

    pairs: frozenset = frozenset()  # (station_id, option_id) whose counts came from the intake
    shown: dict = field(default_factory=dict)  # pair -> (declared, photo), None where withheld
    embargoed: bool = False

    @property
    def active(self) -> bool:
        return bool(self.pairs)

    @property
    def stations(self) -> set[str]:
        return {s for s, _ in self.pairs}

    def cell(self, station_id: str, option_id: str, declared, photo) -> tuple:
        """``(declared, photo)`` as they may be published."""
        if (station_id, option_id) not in self.pairs:
            return declared, photo
        return self.shown.get((station_id, option_id), (None, None))

    def mask_frames(self, declared: pd.DataFrame, photo: pd.DataFrame) -> None:
        """Apply to station x option frames (in place): withheld cells become NaN."""
        for sid, oid in self.pairs:
            if sid not in declared.index or oid not in declared.columns:
                continue
            d, p = self.shown.get((sid, oid), (None, None))
            declared.loc[sid, oid] = math.nan if d is None else d
            photo.loc[sid, oid] = math.nan if p is None else p

    def mask_details(self, station_id: str, details: dict) -> dict:
        """A stored verdict's numbers (``{option}_photo`` and the like) as they may be shown."""
        out = dict(details)
        for sid, oid in self.pairs:
            if sid != station_id:
                continue
            d, p = self.shown.get((sid, oid), (None, None))
            if d is None:
                out[f"{oid}_declared"] = None
            if p is None:
                out[f"{oid}_photo"] = None
                out[f"{oid}_photo_excess"] = None
        return out


NONE = PublicCounts()


def _intake_pairs(engine: Engine, election_id: str) -> frozenset:
    s, v = t.stations.c, t.voter_evidence.c
    with engine.connect() as conn:
        in_election = of_election(conn, election_id)
        rows = conn.execute(
            select(s.station_id, v.option_id)
            .select_from(t.voter_evidence.join(t.stations, s.pk == v.station_pk))
            .where(and_(in_election(t.voter_evidence), v.source == INTAKE_SOURCE))
        ).all()
    return frozenset((r[0], r[1]) for r in rows)


def read_public_counts(engine: Engine, election_id: str) -> PublicCounts:
    pairs = _intake_pairs(engine, election_id)
    if not pairs:
        return NONE
    try:
        from honestcount.intake.evidence import publishable_counts

        frame = publishable_counts(engine, election_id)
    except Exception:  # fail closed: show none of the intake's counts
        log.warning(
            "intake rules unreadable for %s: its counts are withheld", election_id, exc_info=True
        )
        return PublicCounts(pairs=pairs, embargoed=True)
    shown = {}
    for row in frame.itertuples(index=False):
        d = None if pd.isna(row.declared) else int(row.declared)
        p = None if pd.isna(row.photo) else int(row.photo)
        shown[(row.station_id, row.option_id)] = (d, p)
    return PublicCounts(pairs=pairs, shown=shown, embargoed=bool(frame.attrs.get("embargoed")))


class Guard:
    """:func:`read_public_counts` per election, re-read at most every :data:`TTL_S` seconds."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._cache: dict[str, tuple[float, PublicCounts]] = {}
        self._lock = threading.Lock()

    def __call__(self, election_id: str) -> PublicCounts:
        now = time.monotonic()
        hit = self._cache.get(election_id)
        if hit is not None and now - hit[0] < TTL_S:
            return hit[1]
        with self._lock:
            counts = read_public_counts(self.engine, election_id)
            self._cache[election_id] = (now, counts)
        return counts
