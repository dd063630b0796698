"""Saving and loading whole elections. A save is one transaction: all or nothing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select

from honestcount.errors import NotFoundError
from honestcount.model import BallotOption, Election, ElectionData, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.store import tables as t
from honestcount.store.db import bulk_insert
from honestcount.store.queries import of_election, preferred_source, read_frame


def long_form(
    frame: pd.DataFrame, pks: np.ndarray, name: str, value: str, source: np.ndarray | None = None
) -> pd.DataFrame:
    """Station x name table -> rows (station_pk, [source,] name, value), unknown cells left out."""
    values = frame.to_numpy(dtype="float64")
    rows, cols = np.nonzero(~np.isnan(values))
    columns = {"station_pk": pks[rows]}
    if source is not None:
        columns["source"] = source[rows]
    columns[name] = np.asarray(frame.columns, dtype=object)[cols]
    columns[value] = values[rows, cols].astype("int64")
    return pd.DataFrame(columns)


def save_election(
    engine: Engine,
    data: ElectionData,
    *,
    findings: pd.DataFrame | None = None,
    import_format: str = "",
    import_path: str = "",
    import_sha256: str = "",
) -> dict[str, int]:
    """Replace the election ``data.election.id`` with ``data``; returns row counts written."""
    e = data.election
    with engine.begin() as conn:
        delete_election(conn, e.id)
        conn.execute(
            t.elections.insert().values(
                id=e.id,
                name=e.name,
                country=e.country,
                date=e.date,
                protocol_schema=e.protocol_schema,
                source=e.source,
                imported_at=dt.datetime.now(dt.UTC),
                import_format=import_format,
                import_path=import_path,
                import_sha256=import_sha256,
            )
        )
        written = _write_layers(conn, data, findings)
    return written




def delete_election(conn: Connection, election_id: str) -> None:
    """Remove an election and all its evidence (child tables first: much faster than cascades)."""
    in_election = of_election(conn, election_id)
    for table in (
        t.protocol_lines,
        t.official_votes,
        t.voter_evidence,
        t.observer_reports,
        t.observer_violations,
    ):
        conn.execute(delete(table).where(in_election(table)))
    conn.execute(delete(t.stations).where(t.stations.c.election_id == election_id))
    conn.execute(delete(t.elections).where(t.elections.c.id == election_id))


def _write_layers(
    conn: Connection, data: ElectionData, findings: pd.DataFrame | None
) -> dict[str, int]:
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
    start = conn.execute(select(func.coalesce(func.max(t.stations.c.pk), 0))).scalar_one()
    pks = np.arange(start + 1, start + 1 + len(data), dtype="int64")
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
    index_of = pd.Series(pks, index=data.stations.index)
    viol = data.violations[data.violations["station_id"].isin(index_of.index)]
    violations = pd.DataFrame(
        {
            "station_pk": index_of.loc[viol["station_id"]].to_numpy(),
            "source": "observers",
            "code": viol["code"].astype(str).to_numpy(),
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
    tables = [
        (t.options, options),
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
    return {table.name: bulk_insert(conn, table, frame) for table, frame in tables}


def list_elections(engine: Engine) -> pd.DataFrame:
    """One row per election with its station and protocol counts."""
    s = t.stations
    counts = (
        select(
            s.c.election_id,
            func.count().label("stations"),
            func.sum(s.c.registered_voters).label("registered_voters"),
        )
        .group_by(s.c.election_id)
        .subquery()
    )
    query = (
        select(
            t.elections.c.id,
            t.elections.c.name,
            t.elections.c.country,
            t.elections.c.date,
            t.elections.c.protocol_schema,
            t.elections.c.imported_at,
            func.coalesce(counts.c.stations, 0).label("stations"),
            counts.c.registered_voters,
        )
        .select_from(t.elections.outerjoin(counts, counts.c.election_id == t.elections.c.id))
        .order_by(t.elections.c.id)
    )
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).mappings().all(),
            columns=[
                "id",
                "name",
                "country",
                "date",
                "protocol_schema",
                "imported_at",
                "stations",
                "registered_voters",
            ],
        )




def _wide(
    long: pd.DataFrame, pk_index: pd.Index, name: str, value: str, columns: list[str]
) -> pd.DataFrame:
    """Rows (station_pk, name, value) -> station x name table with NaN where unknown."""
    extra = [c for c in pd.unique(long[name]) if c not in columns] if len(long) else []
    columns = list(columns) + extra
    out = np.full((len(pk_index), len(columns)), np.nan)
    if len(long):
        rows = pk_index.get_indexer(long["station_pk"])
        cols = pd.Index(columns).get_indexer(long[name])
        out[rows, cols] = long[value].to_numpy(dtype="float64")
    return pd.DataFrame(out, columns=columns)




def load_election(engine: Engine, election_id: str) -> ElectionData:
    """Everything the store holds about an election, as an :class:`ElectionData`."""
    with engine.connect() as conn:
        row = conn.execute(select(t.elections).where(t.elections.c.id == election_id)).first()
        if row is None:
            known = conn.execute(select(t.elections.c.id)).scalars().all()
            raise NotFoundError(
                f"no election {election_id!r} in the store; it holds: {', '.join(known) or 'none'}"
            )
        election = Election(
            row.id, row.name, row.country, row.date, row.protocol_schema, row.source
        )
        opts = conn.execute(
            select(t.options)
            .where(t.options.c.election_id == election_id)
            .order_by(t.options.c.position)
        ).all()
        options = [BallotOption(o.id, o.name, OptionKind(o.kind), o.position) for o in opts]
        stations = read_frame(
            conn,
            select(t.stations)
            .where(t.stations.c.election_id == election_id)
            .order_by(t.stations.c.pk),
        )
        in_election = of_election(conn, election_id)

        def rows(table, *cols):
            return read_frame(conn, select(*[table.c[c] for c in cols]).where(in_election(table)))

        lines = preferred_source(rows(t.protocol_lines, "station_pk", "source", "line", "value"))
        official = preferred_source(
            rows(t.official_votes, "station_pk", "source", "option_id", "votes")
        )
        evidence = rows(t.voter_evidence, "station_pk", "option_id", "declared", "photo")
        observers = rows(t.observer_reports, "station_pk", "observers", "turnout_count")
        violations = rows(t.observer_violations, "station_pk", "code")
        codes = dict(
            conn.execute(
                select(t.violation_codes.c.code, t.violation_codes.c.reason).where(
                    t.violation_codes.c.election_id == election_id
                )
            ).all()
        )
        totals = dict(
            conn.execute(
                select(t.national_totals.c.line, t.national_totals.c.value).where(
                    t.national_totals.c.election_id == election_id
                )
            ).all()
        )

    pk_index = pd.Index(stations["pk"])
    station_ids = stations["station_id"].to_numpy()
    option_ids = [o.id for o in options]
    source = pd.concat([lines[["station_pk", "source"]], official[["station_pk", "source"]]])
    source = source.drop_duplicates("station_pk").set_index("station_pk")["source"]
    by_station = pd.Index(station_ids, name="station_id")
    obs = observers.set_index("station_pk").reindex(pk_index)
    viol = (
        pd.DataFrame(
            {
                "station_id": station_ids[pk_index.get_indexer(violations["station_pk"])],
                "code": violations["code"].to_numpy(),
            }
        )
        if len(violations)
        else None
    )
    return assemble(
        election,
        options,
        stations.drop(columns=["pk", "election_id", "station_id"]).set_axis(by_station),
        lines=_wide(lines, pk_index, "line", "value", []).set_axis(by_station),
        official=_wide(official, pk_index, "option_id", "votes", option_ids).set_axis(by_station),
        official_source=source.reindex(pk_index).set_axis(by_station),
        declared=_wide(
            evidence.dropna(subset=["declared"]), pk_index, "option_id", "declared", option_ids
        ).set_axis(by_station),
        photo=_wide(
            evidence.dropna(subset=["photo"]), pk_index, "option_id", "photo", option_ids
        ).set_axis(by_station),
        observers=obs.set_axis(by_station) if len(observers) else None,
        violations=viol,
        violation_codes=codes,
        national_totals={k: float(v) for k, v in totals.items()},
    )


def load_findings(engine: Engine, election_id: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return read_frame(
            conn,
            select(
                t.data_quality.c.station_id,
                t.data_quality.c.rule,
                t.data_quality.c.detail,
                t.data_quality.c["values"],
            )
            .where(t.data_quality.c.election_id == election_id)
            .order_by(t.data_quality.c.id),
        )
