"""Observers: counts of voters through the day, and violations by code."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from honestcount.intake import sql, translog
from honestcount.intake.core import (
    Account,
    Intake,
    Outcome,
    insert_row,
    iso,
    now,
    observed_station,
    require_election,
    require_role,
    utc,
)
from honestcount.intake.errors import Invalid
from honestcount.intake.security import Role


def report_turnout(
    ix: Intake,
    observer: Account,
    election_id: str,
    station_id: str | None,
    observed_at: dt.datetime,
    count: int,
    key: str,
    channel: str,
) -> Outcome:
    require_role(observer, Role.OBSERVER)
    require_election(observer, election_id)
    ix.election(election_id)
    station_id = observed_station(ix, observer, election_id, station_id)
    observed_at = observed_at.astimezone(dt.UTC) if observed_at.tzinfo else observed_at
    request = {
        "op": "turnout",
        "station": station_id,
        "at": observed_at.isoformat(),
        "count": count,
    }

    def work(conn: Connection) -> tuple[int, dict]:
        rid = insert_row(
            conn,
            "intake_turnout",
            {
                "election_id": election_id,
                "station_id": station_id,
                "account_id": observer.id,
                "observed_at": sql.stamp(conn, observed_at),
                "count": count,
                "received_at": sql.stamp(conn, now()),
            },
        )
        entry = ix.audit(
            conn,
            observer,
            channel,
            "observer.turnout",
            f"turnout:{rid}",
            {"station_id": station_id, "observed_at": observed_at.isoformat(), "count": count},
            rows=translog.rows(conn, "intake_turnout", id=rid),
        )
        return 201, {
            "report_id": int(rid),
            "election_id": election_id,
            "station_id": station_id,
            "observed_at": observed_at.isoformat(),
            "count": count,
            "receipt": ix.receipt(entry),
        }

    return ix.submit(f"acct:{observer.id}", key, request, work)


def report_violation(
    ix: Intake,
    observer: Account,
    election_id: str,
    station_id: str | None,
    code: str,
    observed_at: dt.datetime | None,
    note: str | None,
    key: str,
    channel: str,
) -> Outcome:
    require_role(observer, Role.OBSERVER)
    require_election(observer, election_id)
    info = ix.election(election_id)
    if code not in info.violation_codes:
        raise Invalid(
            f"unknown violation code {code!r}; the codes are listed at /elections/{election_id}",
        )
    station_id = observed_station(ix, observer, election_id, station_id)
    observed_at = utc(observed_at)
    request = {
        "op": "violation",
        "station": station_id,
        "code": code,
        "at": iso(observed_at),
        "note": note,
    }

    def work(conn: Connection) -> tuple[int, dict]:
        rid = insert_row(
            conn,
            "intake_violations",
            {
                "election_id": election_id,
                "station_id": station_id,
                "account_id": observer.id,
                "code": code,
                "observed_at": sql.stamp(conn, observed_at),
                "note": note,
                "received_at": sql.stamp(conn, now()),
            },
        )
        entry = ix.audit(
            conn,
            observer,
            channel,
            "observer.violation",
            f"violation:{rid}",
            {"station_id": station_id, "code": code},
            rows=translog.rows(conn, "intake_violations", id=rid),
        )
        return 201, {
            "report_id": int(rid),
            "election_id": election_id,
            "station_id": station_id,
            "code": code,
            "reason": info.violation_codes[code],
            "observed_at": iso(observed_at),
            "receipt": ix.receipt(entry),
        }

    return ix.submit(f"acct:{observer.id}", key, request, work)
