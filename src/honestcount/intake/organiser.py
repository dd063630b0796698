"""The organiser: staff accounts, their disabling, and each election's intake settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine, and_, not_, select

from honestcount.intake import audit, sql, translog
from honestcount.intake.core import (
    STAFF_ROLES,
    Account,
    Intake,
    election_rules,
    insert_account,
    insert_token,
    iso,
    now,
    require_role,
    revoke_tokens,
    utc,
)
from honestcount.intake.errors import Conflict, Forbidden, Invalid, NotFound
from honestcount.intake.security import Role
from honestcount.intake.verification import GATEWAY, at_least, min_verification, tier_of
from honestcount.settings import IntakeSettings
from honestcount.store.tables import intake_accounts, intake_settings

# Accounts an admin issues: staff, and gateways (a bot vouching for phone numbers), which
# need a second admin's approval like staff.
ISSUED_ROLES = (*(r.value for r in STAFF_ROLES), GATEWAY)


def create_account(
    ix: Intake,
    admin: Account,
    role: str,
    election_id: str | None,
    station_id: str | None,
    label: str | None,
    channel: str,
) -> dict:
    """An organiser issues a staff or observer account; the token is shown once.

    Under the two-person rule (``IntakeSettings.two_person_rule``) the account works only
    once a second admin has approved it (:func:`approve_account`).
    """
    require_role(admin, Role.ADMIN)
    if role not in ISSUED_ROLES:
        raise Invalid("voters register themselves; role must be one of " + ", ".join(ISSUED_ROLES))
    if role == Role.OBSERVER and election_id is None:
        raise Invalid("an observer account needs an election_id")
    if election_id is not None:
        ix.election(election_id)
        if station_id is not None:
            ix.require_station(election_id, station_id)
    elif station_id is not None:
        raise Invalid("a station_id needs an election_id")

    def work(conn: Connection) -> dict:
        account_id = insert_account(
            conn,
            role=role,
            election_id=election_id,
            station_id=station_id,
            label=label,
            created_by=admin.id,
            approved_at=None if ix.settings.two_person_rule else sql.stamp(conn, now()),
        )
        token = insert_token(conn, account_id, ix.settings.token_lifetime_hours)
        ix.audit(
            conn,
            admin,
            channel,
            "account.create",
            f"account:{account_id}",
            {"role": role, "election_id": election_id, "station_id": station_id, "label": label},
            rows=translog.rows(conn, "intake_accounts", id=account_id),
        )
        return {
            "account_id": account_id,
            "role": role,
            "election_id": election_id,
            "station_id": station_id,
            "label": label,
            "token": token,
            "approved": not ix.settings.two_person_rule,
        }

    return ix.write(work)


def disable_account(ix: Intake, admin: Account, account_id: int, channel: str) -> dict:
    require_role(admin, Role.ADMIN)
    if account_id == admin.id:
        raise Conflict("an admin cannot disable their own account")

    def work(conn: Connection) -> dict:
        stamp = now()
        done = conn.execute(
            intake_accounts.update()
            .where(intake_accounts.c.id == account_id, intake_accounts.c.disabled_at.is_(None))
            .values(disabled_at=stamp)
        ).rowcount
        if not done:
            found = conn.execute(
                select(intake_accounts.c.id).where(intake_accounts.c.id == account_id)
            ).first()
            if found is None:
                raise NotFound(f"no account {account_id}")
        revoke_tokens(conn, account_id)
        ix.audit(
            conn,
            admin,
            channel,
            "account.disable",
            f"account:{account_id}",
            rows=translog.rows(conn, "intake_accounts", id=account_id),
        )
        return {"account_id": account_id, "disabled": True}

    result = ix.write(work)
    ix.tokens.clear()
    return dict(result)


def approve_account(ix: Intake, admin: Account, account_id: int, channel: str) -> dict:
    """The second key on a staff account: an admin other than its creator, and not one the
    creator made (nor the creator's own maker), approves it; only then does it work."""
    require_role(admin, Role.ADMIN)
    a = intake_accounts.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(a.id, a.created_by, a.approved_at).where(a.id == account_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no account {account_id}")
        if row.approved_at is not None:
            raise Conflict(f"account {account_id} is already approved")
        me = conn.execute(select(a.created_by).where(a.id == admin.id)).scalar()
        maker = conn.execute(select(a.created_by).where(a.id == row.created_by)).scalar()
        if admin.id in (row.id, row.created_by, maker) or (me is not None and me == row.created_by):
            raise Forbidden("the second key must be another person than the account's creator")
        conn.execute(
            intake_accounts.update()
            .where(a.id == account_id)
            .values(approved_by=admin.id, approved_at=now())
        )
        ix.audit(
            conn,
            admin,
            channel,
            "account.approve",
            f"account:{account_id}",
            rows=translog.rows(conn, "intake_accounts", id=account_id),
        )
        return {"account_id": account_id, "approved": True, "approved_by": admin.id}

    result = ix.write(work)
    ix.tokens.clear()
    return dict(result)


def revoke_sessions(ix: Intake, admin: Account, account_id: int, channel: str) -> dict:
    """Revoke every token of an account (it keeps working once it logs in anew: a voter
    cannot; staff get a new token from an admin)."""
    require_role(admin, Role.ADMIN)

    def work(conn: Connection) -> dict:
        found = conn.execute(
            select(intake_accounts.c.id).where(intake_accounts.c.id == account_id)
        ).first()
        if found is None:
            raise NotFound(f"no account {account_id}")
        n = revoke_tokens(conn, account_id)
        ix.audit(conn, admin, channel, "token.revoke", f"account:{account_id}", {"tokens": n})
        return {"account_id": account_id, "revoked": n}

    result = ix.write(work)
    ix.tokens.clear()
    return dict(result)


def issue_token(ix: Intake, admin: Account, account_id: int, channel: str) -> dict:
    """A new token for a staff account (after a revocation), shown once."""
    require_role(admin, Role.ADMIN)

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(intake_accounts.c.role).where(intake_accounts.c.id == account_id)
        ).first()
        if row is None or row.role == Role.VOTER:
            raise NotFound(f"no staff account {account_id}")
        token = insert_token(conn, account_id, ix.settings.token_lifetime_hours)
        ix.audit(conn, admin, channel, "token.issue", f"account:{account_id}")
        return {"account_id": account_id, "role": row.role, "token": token}

    return dict(ix.write(work))


def issue_account(
    engine: Engine,
    role: str = "admin",
    label: str | None = None,
    *,
    election_id: str | None = None,
    station_id: str | None = None,
    settings: IntakeSettings | None = None,
    channel: str = "cli",
) -> tuple[int, str]:
    """Create an account from the command line (the first admin); returns (id, token)."""
    settings = settings or IntakeSettings()
    if role not in ISSUED_ROLES:
        raise ValueError(f"role must be one of {list(ISSUED_ROLES)}")
    with engine.begin() as conn:
        account_id = insert_account(
            conn,
            role=role,
            election_id=election_id,
            station_id=station_id,
            label=label,
            approved_at=sql.stamp(conn, now()),  # the operator at the server is the root key
        )
        token = insert_token(conn, account_id, settings.token_lifetime_hours)
        audit.append(
            conn,
            chains=settings.audit_chains,
            actor=None,
            role="operator",
            channel=channel,
            action="account.create",
            target=f"account:{account_id}",
            details={
                "role": role,
                "election_id": election_id,
                "station_id": station_id,
                "label": label,
            },
            rows=translog.rows(conn, "intake_accounts", id=account_id),
        )
    return account_id, token


def set_election_settings(
    ix: Intake, admin: Account, election_id: str, changes: dict, channel: str
) -> dict:
    require_role(admin, Role.ADMIN)
    ix.election(election_id)
    s = intake_settings.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(intake_settings).where(s.election_id == election_id).with_for_update()
        ).first()
        values = {}
        if "min_verification" in changes:
            minimum = changes["min_verification"]
            at_least(minimum)  # refuses an unknown tier
            values["min_verification"] = None if minimum == "none" else minimum
        for name in (
            "min_group_size",
            "registration_deadline",
            "declaration_deadline",
            "upload_deadline",
        ):
            if name in changes:
                values[name] = changes[name]
        if "embargo" in changes:
            if changes["embargo"]:
                values["embargo_lifted_at"] = None
            elif row is None or row.embargo_lifted_at is None:
                values["embargo_lifted_at"] = now()
        values["updated_at"] = now()
        if row is None:
            conn.execute(intake_settings.insert().values(election_id=election_id, **values))
        else:
            conn.execute(
                intake_settings.update().where(s.election_id == election_id).values(**values)
            )
        ix.audit(
            conn,
            admin,
            channel,
            "election.settings",
            f"election:{election_id}",
            {k: (iso(v) if isinstance(v, dt.datetime) else v) for k, v in changes.items()},
            rows=translog.rows(conn, "intake_settings", election_id=election_id),
        )
        return {
            **election_rules(conn, ix.settings, election_id).as_dict(),
            "min_verification": min_verification(conn, election_id),
        }

    result = ix.write(work)
    ix.rules.drop(election_id)
    return result


def list_accounts(
    ix: Intake,
    admin: Account,
    *,
    role: str | None = None,
    status: str | None = None,
    election_id: str | None = None,
    after: int = 0,
    limit: int = 50,
) -> dict:
    """One page of accounts, oldest first after id ``after``; never a phone number or its
    hash. ``status``: ``active``, ``pending`` (awaiting approval) or ``disabled``."""
    require_role(admin, Role.ADMIN)
    a = intake_accounts.c
    query = select(
        a.id,
        a.role,
        a.election_id,
        a.station_id,
        a.label,
        a.created_at,
        a.created_by,
        a.approved_by,
        a.approved_at,
        a.disabled_at,
        a.verification,
    ).where(a.id > after)
    if role is not None:
        query = query.where(a.role == role)
    if election_id is not None:
        query = query.where(a.election_id == election_id)
    pending = and_(a.role != Role.VOTER, a.approved_at.is_(None))
    if status == "disabled":
        query = query.where(a.disabled_at.is_not(None))
    elif status == "pending":
        query = query.where(a.disabled_at.is_(None), pending)
    elif status == "active":
        query = query.where(a.disabled_at.is_(None), not_(pending))
    elif status is not None:
        raise Invalid("status must be active, pending or disabled")
    with ix.reader.connect() as conn:
        rows = conn.execute(query.order_by(a.id).limit(limit + 1)).all()
    page = [_account_row(r) for r in rows[:limit]]
    return {"accounts": page, "next_after": page[-1]["account_id"] if len(rows) > limit else None}


def _account_row(r: Any) -> dict:
    if r.disabled_at is not None:
        state = "disabled"
    elif r.role != Role.VOTER and r.approved_at is None:
        state = "pending"
    else:
        state = "active"
    return {
        "account_id": r.id,
        "role": r.role,
        "election_id": r.election_id,
        "station_id": r.station_id,
        "label": r.label,
        "status": state,
        "verification": tier_of(r.verification, r.role),
        "created_at": iso(utc(r.created_at)),
        "created_by": r.created_by,
        "approved_by": r.approved_by,
    }


def election_view(ix: Intake, election_id: str) -> dict:
    info = ix.election(election_id)
    with ix.reader.connect() as conn:
        minimum = min_verification(conn, election_id)
    return {
        "election_id": info.id,
        "name": info.name,
        "protocol_schema": info.protocol_schema,
        "options": [{"id": o.id, "name": o.name, "kind": str(o.kind)} for o in info.options],
        "violation_codes": [{"code": c, "reason": r} for c, r in info.violation_codes.items()],
        "rules": {**ix.election_rules(election_id).as_dict(), "min_verification": minimum},
    }
