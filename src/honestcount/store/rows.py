"""An election as table rows: the long evidence tables and the small per-election ones.

Station x name frames become rows (station_pk, [source,] name, value); unknown cells have no
row, so nothing is ever stored as zero for unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Table

from honestcount.model import ElectionData
from honestcount.store import tables as t


def long_form(
    frame: pd.DataFrame, pks: np.ndarray, name: str, value: str, source: np.ndarray | None = None
) -> pd.DataFrame:
    """Station x name table -> rows (station_pk, [source,] name, value), unknown cells left out."""
    values = frame.to_numpy(dtype="float64")
    rows, cols = np.nonzero(~np.isnan(values))
    columns: dict[str, object] = {"station_pk": pks[rows]}
    # object, not pandas' inferred Arrow strings: converting 1M names costs half a second
    if source is not None:
        columns["source"] = pd.Series(source[rows], dtype=object, copy=False)
    columns[name] = pd.Series(np.asarray(frame.columns, dtype=object)[cols], dtype=object)
    columns[value] = values[rows, cols].astype("int64")
    return pd.DataFrame(columns)


def station_positions(data: ElectionData) -> np.ndarray:
    """Each violation's station as a position in ``data.stations`` (-1: not a station)."""
    if data.violations.empty:
        return np.zeros(0, dtype="int64")
    return data.stations.index.get_indexer(pd.Index(data.violations["station_id"].astype(str)))


def election_rows(
    data: ElectionData, pks: np.ndarray, findings: pd.DataFrame | None = None
) -> list[tuple[Table, pd.DataFrame]]:
    """Every table's rows for ``data`` with station keys ``pks``, in the order to write them."""
    eid = data.election.id
    options = pd.DataFrame(
        {
            "election_id": eid,
            "id": [o.id for o in data.options],
            "name": [o.name for o in data.options],
            "kind": [str(o.kind) for o in data.options],
            "position": [o.position for o in data.options],
        }
    )
    stations = data.stations.reset_index().assign(election_id=eid, pk=pks)
    stations["registered_voters"] = stations["registered_voters"].astype("Int64")

    source = data.official_source.fillna("unknown").to_numpy(dtype=object)
    lines = long_form(data.lines, pks, "line", "value", source)
    official = long_form(data.official, pks, "option_id", "votes", source)

    declared = long_form(data.declared, pks, "option_id", "declared")
    photo = long_form(data.photo, pks, "option_id", "photo")
    evidence = declared.merge(photo, on=["station_pk", "option_id"], how="outer")
    for col in ("declared", "photo"):
        evidence[col] = evidence[col].astype("Int64")
    evidence["source"] = "voters"

    obs = data.observers.set_axis(pks)
    obs = obs[obs.notna().any(axis=1)]
    observers = pd.DataFrame(
        {
            "station_pk": obs.index.to_numpy(),
            "source": "observers",
            "observers": obs["observers"].astype("Int64").to_numpy(),
            "turnout_count": obs["turnout_count"].astype("Int64").to_numpy(),
        }
    )
    at = station_positions(data)
    known = at >= 0
    violations = pd.DataFrame(
        {
            "station_pk": pks[at[known]],
            "source": "observers",
            "code": data.violations["code"].astype(str).to_numpy()[known],
        }
    ).drop_duplicates()
    codes = pd.DataFrame(
        {
            "election_id": eid,
            "code": list(data.violation_codes),
            "reason": list(data.violation_codes.values()),
        }
    )
    totals = pd.DataFrame(
        {
            "election_id": eid,
            "line": list(data.national_totals),
            "value": np.asarray(list(data.national_totals.values()), dtype="int64"),
        }
    )
    quality = pd.DataFrame(columns=["election_id", "station_id", "rule", "detail", "values"])
    if findings is not None and not findings.empty:
        quality = pd.DataFrame(
            {
                "election_id": eid,
                "station_id": findings["station_id"].to_numpy(),
                "rule": findings["rule"].to_numpy(),
                "detail": findings["detail"].to_numpy(),
                "values": list(findings["values"]),
            }
        )
    captions = pd.DataFrame(
        {
            "election_id": eid,
            "line": [str(c) for c in data.lines.columns],
            "position": np.arange(len(data.lines.columns)),
            "caption": [data.line_captions.get(c) for c in data.lines.columns],
            "derived_from": [data.line_derivations.get(c) for c in data.lines.columns],
        }
    )
    tables = [
        (t.options, options),
        (t.protocol_captions, captions),
        (t.stations, stations[[c.name for c in t.stations.columns]]),
        (t.protocol_lines, lines),
        (t.official_votes, official),
        (t.voter_evidence, evidence),
        (t.observer_reports, observers),
        (t.observer_violations, violations),
        (t.violation_codes, codes),
        (t.national_totals, totals),
        (t.data_quality, quality),
    ]
    return tables
