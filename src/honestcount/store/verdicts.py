"""Stored verification results, so pages and later runs read verdicts without recomputing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, select

from honestcount.store import tables as t
from honestcount.store.db import bulk_insert
from honestcount.store.queries import of_election, read_frame


def save_verification(
    engine: Engine,
    election_id: str,
    digest: str,
    thresholds: dict,
    report: dict,
    stations: pd.DataFrame,
) -> str:
    """Replace the election's stored verification; returns the time it was computed.

    The time is also written into ``report["computed_at"]``.
    """
    computed_at = dt.datetime.now(dt.UTC)
    report["computed_at"] = computed_at.isoformat()
    with engine.begin() as conn:
        in_election = of_election(conn, election_id)
        pks = read_frame(
            conn,
            select(t.stations.c.pk, t.stations.c.station_id).where(
                t.stations.c.election_id == election_id
            ),
        )
        conn.execute(delete(t.station_verdicts).where(in_election(t.station_verdicts)))
        conn.execute(delete(t.verifications).where(t.verifications.c.election_id == election_id))
        conn.execute(
            t.verifications.insert().values(
                election_id=election_id,
                evidence_digest=digest,
                thresholds=thresholds,
                computed_at=computed_at,
                report=report,
            )
        )
        pk = pks.set_index("station_id")["pk"].reindex(stations.index).to_numpy()
        details = stations.drop(columns=["verdict", "proven_excess_votes"])
        clean = details.astype(object).where(details.notna(), None)
        bulk_insert(
            conn,
            t.station_verdicts,
            pd.DataFrame(
                {
                    "station_pk": pk.astype("int64"),
                    "verdict": stations["verdict"].to_numpy(),
                    "proven_excess": stations["proven_excess_votes"].to_numpy().astype("int64"),
                    "details": clean.to_dict("records"),
                }
            ),
        )
    return computed_at.isoformat()


def load_verification(engine: Engine, election_id: str) -> dict | None:
    """The stored verification row (digest, thresholds, report, computed_at), if any."""
    with engine.connect() as conn:
        row = conn.execute(
            select(t.verifications).where(t.verifications.c.election_id == election_id)
        ).first()
    return None if row is None else dict(row._mapping)


def load_station_verdicts(engine: Engine, election_id: str) -> pd.DataFrame:
    """Stored per-station verdicts: station_id index, verdict, proven_excess, details."""
    import json

    with engine.connect() as conn:
        frame = read_frame(
            conn,
            select(
                t.stations.c.station_id,
                t.station_verdicts.c.verdict,
                t.station_verdicts.c.proven_excess,
                t.station_verdicts.c.details,
            )
            .select_from(
                t.station_verdicts.join(
                    t.stations, t.stations.c.pk == t.station_verdicts.c.station_pk
                )
            )
            .where(t.stations.c.election_id == election_id)
            .order_by(t.stations.c.pk),
        )
    if len(frame) and isinstance(frame["details"].iloc[0], str):  # SQLite returns JSON text
        frame["details"] = frame["details"].map(json.loads)
    frame["proven_excess"] = frame["proven_excess"].astype(np.int64)
    return frame.set_index("station_id")
