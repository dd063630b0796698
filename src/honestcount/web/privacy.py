"""What the public site may show of the figures that came through the intake API.

The rule is the intake's own (:func:`honestcount.intake.publication`): nothing of its counts
while the election's embargo holds, no station whose platform voters are fewer than the
minimum group size, no cell between 1 and that size minus one (a count of 1 or 2 can point at
a person), and at a station where any cell is withheld, no figure derived from its intake
evidence either: its verdict is published as ``withheld``, without the proven excess, which
would state a small count exactly. Every public output of this package (station pages and
twins, station lists, the map, overview counts, open-data files, the SQLite copy, the static
export) goes through :class:`PublicCounts`; evidence from other sources (the bundled Golos
data, imported files) is published as it is.

When the intake's rules cannot be read (the module missing, its settings invalid), intake
figures are withheld entirely: the guard fails closed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, select

from honestcount.intake.evidence import WITHHELD, Publication
from honestcount.store import tables as t
from honestcount.store.queries import of_election

log = logging.getLogger(__name__)
INTAKE_SOURCE = "intake"
TTL_S = 30.0  # live intake counts change the rule: it is re-read at least this often

__all__ = ["INTAKE_SOURCE", "NONE", "WITHHELD", "Guard", "PublicCounts", "read_public_counts"]


@dataclass(frozen=True)
class PublicCounts(Publication):
    """The intake's publication rule of one election, with what the web layer needs on top."""

    embargoed: bool = False
    min_group_size: int = 0

    @property
    def active(self) -> bool:
        return bool(self.pairs)

    @property
    def stations(self) -> set[str]:
        return {s for s, _ in self.pairs}

    def fingerprint(self) -> str:
        """Changes whenever anything this rule lets through or withholds changes."""
        from honestcount.web.common import stamp_of

        if not self.pairs:
            return ""
        return stamp_of(
            self.embargoed, self.min_group_size, sorted(self.pairs), sorted(self.shown.items())
        )

    def mask_frames(self, declared: pd.DataFrame, photo: pd.DataFrame) -> None:
        """Apply to station x option frames (in place): withheld cells become NaN."""
        for sid, oid in self.pairs:
            if sid not in declared.index or oid not in declared.columns:
                continue
            d, p = self.shown.get((sid, oid), (None, None))
            declared.loc[sid, oid] = math.nan if d is None else d
            photo.loc[sid, oid] = math.nan if p is None else p

    def mask_details(self, station_id: str, details: dict) -> dict:
        """A stored verdict's numbers (``{option}_photo`` and the like) as they may be shown:
        none at all at a withheld station."""
        if station_id in self.withheld_stations:
            return {}
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

    def mask_stored(self, verdicts: pd.DataFrame) -> pd.DataFrame:
        """Stored verdicts (``load_station_verdicts``: verdict, proven_excess, details) as they
        may be published: withheld stations get verdict ``withheld``, no excess, no details."""
        if not self.active or verdicts is None:
            return verdicts
        out = self.mask_verdicts(verdicts)
        if "details" in out.columns:
            out["details"] = pd.Series(
                [
                    self.mask_details(str(sid), d if isinstance(d, dict) else {})
                    for sid, d in zip(out.index, out["details"], strict=True)
                ],
                index=out.index,
                dtype=object,
            )
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
    """The rule now, as :func:`honestcount.intake.publication` reads it (fails closed)."""
    pairs = _intake_pairs(engine, election_id)
    if not pairs:
        return NONE
    try:
        from honestcount.intake import publication

        rule = publication(engine, election_id)
    except Exception:  # fail closed: show none of the intake's figures
        log.warning(
            "intake rules unreadable for %s: its figures are withheld", election_id, exc_info=True
        )
        return PublicCounts(pairs=pairs, embargoed=True)
    return PublicCounts(
        embargoed=rule.embargoed,
        min_group_size=rule.min_group_size,
        pairs=rule.pairs | pairs,  # a pair written since is withheld until read again
        shown=dict(rule.shown),
    )


class Guard:
    """:func:`read_public_counts` per election, re-read at most every :data:`TTL_S` seconds
    and whenever ``marker`` (what the store says of the election and its intake settings)
    changes."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._cache: dict[str, tuple[float, str, PublicCounts]] = {}
        self._lock = threading.Lock()

    def __call__(self, election_id: str, marker: str | None = None) -> PublicCounts:
        now = time.monotonic()
        hit = self._cache.get(election_id)
        if hit is not None and now - hit[0] < TTL_S and (marker is None or marker == hit[1]):
            return hit[2]
        with self._lock:
            counts = read_public_counts(self.engine, election_id)
            known = marker if marker is not None else (hit[1] if hit else "")
            self._cache[election_id] = (now, known, counts)
        return counts


def withheld_verdicts(conn: Connection, election_id: str, public: PublicCounts) -> pd.DataFrame:
    """The stored verdicts of the stations whose intake figures are withheld, as stored
    (``verdict``, ``proven_excess``, ``details``, and the observers' violation ``codes``), to
    take them out of the report's counts. Indexed by station id."""
    import json

    ids = sorted(public.withheld_stations)
    s, v, ov = t.stations.c, t.station_verdicts.c, t.observer_violations.c
    rows: list[Any] = []
    codes: dict[int, set[str]] = {}
    for i in range(0, len(ids), 500):
        part = conn.execute(
            select(s.station_id, s.pk, v.verdict, v.proven_excess, v.details)
            .select_from(t.station_verdicts.join(t.stations, s.pk == v.station_pk))
            .where(s.election_id == election_id, s.station_id.in_(ids[i : i + 500]))
        ).all()
        rows += part
        pks = [r.pk for r in part]
        for pk, code in conn.execute(
            select(ov.station_pk, ov.code).where(ov.station_pk.in_(pks))
        ).all():
            codes.setdefault(pk, set()).add(code)
    frame = pd.DataFrame(
        [
            (
                r.station_id,
                r.verdict,
                int(r.proven_excess),
                json.loads(r.details) if isinstance(r.details, str) else dict(r.details),
                codes.get(r.pk, set()),
            )
            for r in rows
        ],
        columns=["station_id", "verdict", "proven_excess", "details", "codes"],
    )
    return frame.set_index("station_id")


def _uncount(block: dict, flags: list[tuple[bool, bool, bool]]) -> dict:
    """A with/without comparison of proven shares (``checks.verify._compare``) without some
    stations: ``flags`` holds each one's (flagged, has an official result, proven)."""
    out = dict(block)
    out["without"] = dict(block.get("without") or {})
    for flagged, official, proven in flags:
        if not official:
            continue
        part = out if flagged else out["without"]
        n, share = part.get("with_official_result") or 0, part.get("proven_share")
        if n <= 0:
            continue
        count = round((share or 0.0) * n) - int(proven)
        part["with_official_result"] = n - 1
        part["proven_share"] = max(0, count) / (n - 1) if n > 1 else None
    return out


def _observers(observers: dict, withheld: pd.DataFrame) -> dict:
    """The report's observers block without the withheld stations' verdicts."""
    if not isinstance(observers, dict):
        return observers
    facts = []
    for d, verdict, codes in zip(
        withheld["details"], withheld["verdict"], withheld.get("codes", []), strict=False
    ):
        d = d if isinstance(d, dict) else {}
        official = any(k.endswith("_official") and not math.isnan(_number(x)) for k, x in d.items())
        observed = _number(d.get("observers")) > 0
        facts.append((observed, official, verdict == "falsification_proven", codes or set()))
    out = dict(observers)
    if isinstance(observers.get("observed_stations"), dict):
        out["observed_stations"] = _uncount(
            observers["observed_stations"], [(o, h, p) for o, h, p, _ in facts]
        )
    if isinstance(observers.get("violations"), dict):
        out["violations"] = {
            code: _uncount(block, [(code in c, h, p) for _, h, p, c in facts])
            if isinstance(block, dict)
            else block
            for code, block in observers["violations"].items()
        }
    return out


def mask_index(index: pd.DataFrame, public: PublicCounts) -> pd.DataFrame:
    """The snapshot's station index (``verdict``, ``proven_excess``, ``failed_checks``) with
    withheld stations as ``withheld``, no excess, no failed checks (all from the verdict)."""
    if not public.active:
        return index
    cols = [c for c in ("verdict", "proven_excess", "failed_checks") if c in index.columns]
    masked = public.mask_verdicts(index[cols])
    out = index.copy()
    out["verdict"] = masked["verdict"]
    if "proven_excess" in cols:
        out["proven_excess"] = pd.to_numeric(masked["proven_excess"]).fillna(0).astype("int64")
    if "failed_checks" in cols:
        out["failed_checks"] = masked["failed_checks"]
    return out


def _number(value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x


def mask_report(report: dict | None, withheld: pd.DataFrame, public: PublicCounts) -> dict | None:
    """The stored verification report without the withheld stations' share of it: they are
    counted as ``withheld`` and taken out of the verdict counts, the proven excess and the
    per-option tallies. ``withheld``: their stored verdicts (verdict, proven_excess, details)."""
    if report is None or not len(withheld):
        return report
    out = dict(report)
    verdicts = dict(report.get("verdicts") or {})
    for v, n in withheld["verdict"].value_counts().items():
        if v in verdicts:
            verdicts[v] = max(0, int(verdicts[v]) - int(n))
    verdicts[WITHHELD] = len(withheld)
    out["verdicts"] = verdicts
    order = list(report.get("verdict_order") or [])
    if order and WITHHELD not in order:
        out["verdict_order"] = [*order, WITHHELD]
    if report.get("proven_excess_votes") is not None:
        taken = int(withheld["proven_excess"].sum())
        out["proven_excess_votes"] = max(0, int(report["proven_excess_votes"]) - taken)
    threshold = _number((report.get("thresholds") or {}).get("min_declared_excess"))
    by_option: dict = {}
    for oid, tally in (report.get("proven_by_option") or {}).items():
        tally = dict(tally)
        for d in withheld["details"]:
            d = d if isinstance(d, dict) else {}
            verdict = d.get(f"{oid}_verdict")
            if verdict == "falsification_proven":
                tally["photo"] = tally.get("photo", 0) - 1
                excess = _number(d.get(f"{oid}_photo_excess"))
                if not math.isnan(excess):
                    tally["excess_votes"] = tally.get("excess_votes", 0) - int(excess)
            elif verdict == "declared_exceeds_official":
                tally["declared_only"] = tally.get("declared_only", 0) - 1
            over = _number(d.get(f"{oid}_declared")) - _number(d.get(f"{oid}_official"))
            if not math.isnan(over) and not math.isnan(threshold) and over >= threshold:
                tally["declared"] = tally.get("declared", 0) - 1
        by_option[oid] = {k: max(0, v) if isinstance(v, int) else v for k, v in tally.items()}
    if by_option:
        out["proven_by_option"] = by_option
    if "observers" in report:
        out["observers"] = _observers(report["observers"], withheld)
    return out
