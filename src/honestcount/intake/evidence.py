"""From intake to evidence: counts per station and option, for verification and for the public.

:func:`materialise_evidence` writes the intake's declared and photo-confirmed counts into
``voter_evidence`` (source ``intake``), and re-writes agreed protocols, so that
``honestcount verify`` sees them (the evidence digest changes and verdicts are recomputed).

:func:`publishable_counts` is what public pages may show: nothing while the election's
embargo holds, no station whose platform voters are fewer than the minimum group size, and
no cell below it (a count of 1 or 2 at a station can point at a person).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, func, or_, select, true

from honestcount.checks.verdicts import Thresholds, station_verdicts
from honestcount.intake import audit, translog
from honestcount.intake.verification import NONE, TIERS, at_least, min_verification
from honestcount.settings import IntakeSettings
from honestcount.store import tables as t
from honestcount.store.db import bulk_insert
from honestcount.store.queries import of_election
from honestcount.store.tables import (
    intake_accounts,
    intake_declarations,
    intake_photos,
    intake_protocol_results,
)

SOURCE = "intake"
COLUMNS = ["station_id", "option_id", "declared", "photo"]


def _of_tiers(tiers: tuple[str, ...] | None) -> Any:
    """The accounts whose verification tier is one of ``tiers`` (None: every account)."""
    a = intake_accounts.c
    if tiers is None or set(tiers) >= set(TIERS):
        return true()
    named = a.verification.in_([x for x in tiers if x != NONE])
    return or_(named, a.verification.is_(None)) if NONE in tiers else named


def intake_counts(
    conn: Connection, election_id: str, tiers: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Declared and photo-confirmed voters per (station, option), every option of the election
    at every station with at least one declaration (a known zero is a zero), from accounts
    whose verification tier is one of ``tiers`` (None: all)."""
    d, a, p = intake_declarations.c, intake_accounts.c, intake_photos.c
    confirmed = (
        select(p.account_id)
        .where(p.election_id == election_id, p.kind == "ballot_front", p.status == "accepted")
        .distinct()
        .subquery()
    )
    rows = conn.execute(
        select(
            d.station_id,
            d.option_id,
            func.count().label("declared"),
            func.count(confirmed.c.account_id).label("photo"),
        )
        .select_from(
            intake_declarations.join(intake_accounts, a.id == d.account_id).outerjoin(
                confirmed, confirmed.c.account_id == d.account_id
            )
        )
        .where(d.election_id == election_id, a.disabled_at.is_(None), _of_tiers(tiers))
        .group_by(d.station_id, d.option_id)
    ).all()
    found = pd.DataFrame(rows, columns=COLUMNS)
    if found.empty:
        return found.astype({"declared": "int64", "photo": "int64"})
    options = (
        conn.execute(
            select(t.options.c.id)
            .where(t.options.c.election_id == election_id)
            .order_by(t.options.c.position)
        )
        .scalars()
        .all()
    )
    options = list(options) + [o for o in pd.unique(found["option_id"]) if o not in options]
    stations = sorted(pd.unique(found["station_id"]))
    grid = pd.MultiIndex.from_product([stations, options], names=["station_id", "option_id"])
    full = (
        found.set_index(["station_id", "option_id"])
        .reindex(grid, fill_value=0)
        .reset_index()
        .astype({"declared": "int64", "photo": "int64"})
    )
    return full


def materialise_evidence(
    engine: Engine,
    election_id: str,
    *,
    replace_other_sources: bool = False,
    channel: str = "cli",
    settings: IntakeSettings | None = None,
) -> dict:
    """Write the intake's counts into ``voter_evidence`` (source ``intake``); one transaction.

    A (station, option) that already holds voters' evidence from another source (an imported
    platform export) is left alone and counted in ``skipped_other_source``, unless
    ``replace_other_sources``. Agreed protocols missing from the store (the election was
    re-imported) are written again. Returns what was done.
    """
    settings = settings or IntakeSettings()
    with engine.begin() as conn:
        return materialise_in(
            conn,
            election_id,
            replace_other_sources=replace_other_sources,
            channel=channel,
            chains=settings.audit_chains,
        )


def materialise_in(
    conn: Connection,
    election_id: str,
    *,
    replace_other_sources: bool = False,
    channel: str = "cli",
    chains: int = 16,
) -> dict:
    """:func:`materialise_evidence` inside the caller's transaction."""
    from honestcount.intake.digitisation import write_official

    s, v = t.stations.c, t.voter_evidence.c
    # Evidence below the election's minimum tier is kept but not counted.
    counts = intake_counts(conn, election_id, at_least(min_verification(conn, election_id)))
    pks = dict(conn.execute(select(s.station_id, s.pk).where(s.election_id == election_id)).all())
    in_election = of_election(conn, election_id)  # a key range: no huge IN lists
    if pks:
        conn.execute(
            delete(t.voter_evidence).where(in_election(t.voter_evidence), v.source == SOURCE)
        )
    counts["station_pk"] = counts["station_id"].map(pks)
    missing = counts["station_pk"].isna()
    counts = counts[~missing].astype({"station_pk": "int64"})
    skipped = 0
    if len(counts):
        others = pd.DataFrame(
            conn.execute(
                select(v.station_pk, v.option_id).where(in_election(t.voter_evidence))
            ).all(),
            columns=["station_pk", "option_id"],
        )
        others = others[others["station_pk"].isin(counts["station_pk"])]
        if len(others):
            key = pd.MultiIndex.from_frame(counts[["station_pk", "option_id"]])
            taken = key.isin(pd.MultiIndex.from_frame(others))
            if replace_other_sources:
                for pk, option in others.itertuples(index=False):
                    conn.execute(
                        delete(t.voter_evidence).where(
                            and_(v.station_pk == int(pk), v.option_id == option)
                        )
                    )
            else:
                skipped = int(taken.sum())
                counts = counts[~np.asarray(taken)]
    rows = counts.assign(source=SOURCE)[["station_pk", "option_id", "declared", "photo", "source"]]
    written = bulk_insert(conn, t.voter_evidence, rows)

    protocols: dict[str, int] = {}
    covered = translog.evidence_rows(conn, election_id)
    r = intake_protocol_results.c
    for station_id, entry in conn.execute(
        select(r.station_id, r.entry).where(r.election_id == election_id)
    ).all():
        result = write_official(conn, election_id, station_id, json.loads(entry))
        protocols[result] = protocols.get(result, 0) + 1
        if result == "written":
            covered |= translog.official_rows(conn, election_id, station_id)
    summary = {
        "election_id": election_id,
        "stations": int(counts["station_id"].nunique()) if len(counts) else 0,
        "rows": written,
        "declared": int(counts["declared"].sum()) if len(counts) else 0,
        "photo_confirmed": int(counts["photo"].sum()) if len(counts) else 0,
        "skipped_other_source": skipped,
        "missing_stations": int(missing.sum()),
        "protocols": protocols,
    }
    audit.append(
        conn,
        chains=chains,
        actor=None,
        role="operator",
        channel=channel,
        action="evidence.materialise",
        target=f"election:{election_id}",
        details={k: x for k, x in summary.items() if k != "election_id"},
        rows=covered,
    )
    return summary


def publishable_counts(
    engine: Engine, election_id: str, settings: IntakeSettings | None = None
) -> pd.DataFrame:
    """Per-station intake counts that may be published, as ``station_id, option_id, declared,
    photo`` (NaN where a count is suppressed).

    Empty (``attrs["embargoed"]`` is True) while the election's embargo holds; stations whose
    platform voters are fewer than the minimum group size are left out; a count between 1
    and the minimum group size minus one is NaN. ``attrs["min_group_size"]`` says the size.
    """
    from honestcount.intake.core import election_rules

    settings = settings or IntakeSettings()
    with engine.connect() as conn:
        rules = election_rules(conn, settings, election_id)
        if rules.embargoed:
            frame = pd.DataFrame(
                {
                    c: pd.Series(dtype="float64" if c in ("declared", "photo") else object)
                    for c in COLUMNS
                }
            )
            frame.attrs.update(embargoed=True, min_group_size=rules.min_group_size)
            return frame
        counts = intake_counts(conn, election_id, at_least(min_verification(conn, election_id)))
    return _masked(counts, rules.min_group_size)


def _masked(counts: pd.DataFrame, k: int, totals: pd.Series | None = None) -> pd.DataFrame:
    """Counts of stations with at least ``k`` platform voters (``totals``, by default the
    declared sum per station), every cell between 1 and ``k - 1`` NaN."""
    if totals is None:
        totals = counts.groupby("station_id")["declared"].transform("sum")
    shown = counts[totals >= k].reset_index(drop=True)
    out = shown.astype({"declared": "float64", "photo": "float64"})
    for col in ("declared", "photo"):
        small = (out[col] > 0) & (out[col] < k)
        out.loc[small, col] = np.nan
    out.attrs.update(embargoed=False, min_group_size=k)
    return out


def tier_counts(conn: Connection, election_id: str) -> pd.DataFrame:
    """Declared and photo-confirmed voters per (station, option, tier): ``station_id,
    option_id, tier, declared, photo``; every tier listed where the station has any."""
    frames = [intake_counts(conn, election_id, (tier,)).assign(tier=tier) for tier in TIERS]
    found = [f for f in frames if len(f)]
    if not found:
        return pd.DataFrame(columns=[*COLUMNS[:2], "tier", *COLUMNS[2:]])
    return pd.concat(found, ignore_index=True)[[*COLUMNS[:2], "tier", *COLUMNS[2:]]]


def publishable_tier_counts(
    engine: Engine, election_id: str, settings: IntakeSettings | None = None
) -> pd.DataFrame:
    """:func:`tier_counts` as they may be published: empty while the embargo holds, only
    stations with at least the minimum group size of platform voters (all tiers together),
    and no cell between 1 and that size minus one (NaN), as :func:`publishable_counts`."""
    from honestcount.intake.core import election_rules

    settings = settings or IntakeSettings()
    with engine.connect() as conn:
        rules = election_rules(conn, settings, election_id)
        counts = pd.DataFrame() if rules.embargoed else tier_counts(conn, election_id)
    if rules.embargoed or counts.empty:
        frame = pd.DataFrame(columns=[*COLUMNS[:2], "tier", *COLUMNS[2:]])
    else:
        frame = _masked(
            counts,
            rules.min_group_size,
            counts.groupby("station_id")["declared"].transform("sum"),
        )
    frame.attrs.update(embargoed=rules.embargoed, min_group_size=rules.min_group_size)
    return frame


def verdicts_by_tier(
    engine: Engine,
    election_id: str,
    min_tier: str | None = None,
    thresholds: Thresholds | None = None,
) -> pd.DataFrame:
    """Station verdicts from the intake's evidence of tier ``min_tier`` or stronger (None:
    every tier) against the stored official result: ``verdict``, ``proven_excess``, indexed
    by ``station_id``, for the stations with intake evidence. An analysis for organisers:
    not masked for publication (see :class:`Publication`)."""
    from honestcount.store.repository import load_election

    with engine.connect() as conn:
        counts = intake_counts(conn, election_id, at_least(min_tier))
    official = load_election(engine, election_id).official
    stations = sorted(pd.unique(counts["station_id"]))
    if not stations:
        return pd.DataFrame(
            {"verdict": pd.Series(dtype=object), "proven_excess": pd.Series(dtype="int64")},
            index=pd.Index([], name="station_id"),
        )
    options = list(official.columns)
    grid = official.reindex(index=stations, columns=options)

    def wide(column: str) -> np.ndarray:
        table = counts.pivot_table(
            index="station_id", columns="option_id", values=column, aggfunc="sum"
        )
        return table.reindex(index=stations, columns=options).to_numpy(dtype="float64")

    found = station_verdicts(
        grid.to_numpy(dtype="float64"), wide("photo"), wide("declared"), thresholds=thresholds
    )
    return pd.DataFrame(
        {"verdict": found.verdict, "proven_excess": found.proven_excess.astype("int64")},
        index=pd.Index(stations, name="station_id"),
    )


WITHHELD = "withheld"


@dataclass(frozen=True)
class Publication:
    """What may be published of the figures derived from intake evidence, for one election.

    The one place that says it: the cells (:meth:`cell`), the station verdicts and their
    proven excess (:meth:`verdict`, :meth:`mask_verdicts`), and which stations' intake
    evidence may feed a public figure at all (:meth:`usable`). A station whose intake cells
    are not all shown (the embargo holds, or fewer than the minimum group size of platform
    voters, or a cell between 1 and that size minus one) has its intake-derived figures
    withheld everywhere: page, JSON, CSV, the SQLite copy and the static export.
    """

    embargoed: bool
    min_group_size: int
    pairs: frozenset[tuple[str, str]] = frozenset()  # (station, option) from the intake
    shown: dict[tuple[str, str], tuple[int | None, int | None]] = field(default_factory=dict)

    @property
    def withheld_stations(self) -> frozenset[str]:
        return frozenset(s for s, o in self.pairs if None in self.shown.get((s, o), (None, None)))

    def usable(self, station_id: str) -> bool:
        """Whether the station's intake evidence may feed a public figure."""
        return station_id not in self.withheld_stations

    def cell(self, station_id: str, option_id: str, declared: Any, photo: Any) -> tuple:
        """``(declared, photo)`` as they may be published (None where withheld)."""
        if (station_id, option_id) not in self.pairs:
            return declared, photo
        return self.shown.get((station_id, option_id), (None, None))

    def verdict(
        self, station_id: str, verdict: str, proven_excess: Any, details: dict
    ) -> tuple[str, Any, dict]:
        """A stored verdict as it may be published: ``("withheld", None, {})`` at a station
        whose intake figures are withheld (its excess would state a small count exactly)."""
        if station_id in self.withheld_stations:
            return WITHHELD, None, {}
        return verdict, proven_excess, details

    def mask_verdicts(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of a table of verdicts indexed by station id (columns ``verdict``,
        ``proven_excess`` and any others derived from the evidence) with withheld rows
        blanked: verdict ``withheld``, every other column missing."""
        out = frame.copy()
        rows = out.index.isin(sorted(self.withheld_stations))
        if rows.any():
            others = [c for c in out.columns if c != "verdict"]
            out[others] = out[others].astype(object)
            out.loc[rows, others] = None
            if "verdict" in out.columns:
                out.loc[rows, "verdict"] = WITHHELD
        return out


def _count(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def publication(
    engine: Engine, election_id: str, settings: IntakeSettings | None = None
) -> Publication:
    """The publication rule of an election's intake figures (see :class:`Publication`).

    Fails closed: if the intake's rules cannot be read, every intake figure is withheld.
    """
    s, v = t.stations.c, t.voter_evidence.c
    with engine.connect() as conn:
        in_election = of_election(conn, election_id)
        pairs = frozenset(
            (r[0], r[1])
            for r in conn.execute(
                select(s.station_id, v.option_id)
                .select_from(t.voter_evidence.join(t.stations, s.pk == v.station_pk))
                .where(and_(in_election(t.voter_evidence), v.source == SOURCE))
            ).all()
        )
    try:
        frame = publishable_counts(engine, election_id, settings)
    except Exception:  # no secret, bad settings: show nothing of the intake
        return Publication(embargoed=True, min_group_size=0, pairs=pairs)
    shown: dict[tuple[str, str], tuple[int | None, int | None]] = {
        (str(station), str(option)): (_count(declared), _count(photo))
        for station, option, declared, photo in frame[COLUMNS].itertuples(index=False)
    }
    return Publication(
        embargoed=bool(frame.attrs["embargoed"]),
        min_group_size=int(frame.attrs["min_group_size"]),
        pairs=pairs,
        shown=shown,
    )
