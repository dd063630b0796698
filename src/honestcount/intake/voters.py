"""Voters: registration (one account per phone number), their account, their declaration."""

from __future__ import annotations

from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool

from honestcount.intake import sql, translog
from honestcount.intake.batch import DeclarationBatcher
from honestcount.intake.core import (
    Account,
    Intake,
    Outcome,
    deadline,
    insert_account,
    insert_token,
    iso,
    now,
    require_election,
    require_role,
    revoke_tokens,
    utc,
)
from honestcount.intake.db import DirectWriter
from honestcount.intake.errors import Conflict, Invalid
from honestcount.intake.security import Role, normalise_phone, phone_hmac
from honestcount.intake.verification import tier_of
from honestcount.store.tables import intake_accounts, intake_declarations, intake_photos


def register_voter(
    ix: Intake,
    election_id: str,
    phone: str,
    station_id: str,
    key: str,
    channel: str,
    verification: str | None = None,
) -> Outcome:
    """A voter's account: one per phone number per election; the number itself is not kept.

    ``verification`` is how a trusted gateway proved the number (checked by the caller with
    :func:`honestcount.intake.verification.vouched_tier`); None: unverified.
    """
    ix.election(election_id)
    deadline(ix.election_rules(election_id).registration_deadline, "registration")
    normal = normalise_phone(phone)
    if normal is None:
        raise Invalid("the phone number must be in international form, e.g. +375 29 123 45 67")
    ix.require_station(election_id, station_id)
    hashed = phone_hmac(ix.key, election_id, normal)
    scope = f"register:{hashed}"
    request = {"election": election_id, "phone": hashed, "station": station_id}
    if verification is not None:
        request["verification"] = verification

    def work(conn: Connection) -> tuple[int, dict]:
        account_id = insert_account(
            conn,
            role=Role.VOTER.value,
            election_id=election_id,
            station_id=station_id,
            phone_hmac=hashed,
            verification=verification,
        )
        token = insert_token(conn, account_id, ix.settings.token_lifetime_hours)
        entry = ix.audit(
            conn,
            None,
            channel,
            "voter.register",
            f"account:{account_id}",
            {
                "election_id": election_id,
                "station_id": station_id,
                "verification": tier_of(verification, Role.VOTER),
            },
            actor_id=account_id,
            role=Role.VOTER.value,
            rows=translog.rows(conn, "intake_accounts", id=account_id),
        )
        return 201, {
            "account_id": account_id,
            "role": "voter",
            "election_id": election_id,
            "station_id": station_id,
            "verification": tier_of(verification, Role.VOTER),
            "token": token,
            "receipt": ix.receipt(entry),
        }

    ix.check_registration_budget(election_id, station_id, normal)
    # A retry (same key, same request) gets the same answer, the same token included: it is
    # stored sealed with the client's key, never in clear, and never issued a second time.
    return ix.submit(
        scope,
        key,
        request,
        work,
        secret=("token",),
        conflict="this phone number is already registered for this election",
    )


def logout(ix: Intake, account: Account, token: str, channel: str) -> dict:
    """Revoke the token this request came with."""

    def work(conn: Connection) -> dict:
        revoke_tokens(conn, account.id, token)
        ix.audit(conn, account, channel, "token.revoke", f"account:{account.id}", {"own": True})
        return {"account_id": account.id, "revoked": True}

    result = ix.write(work)
    ix.tokens.clear()
    return dict(result)


def rotate_token(ix: Intake, account: Account, token: str, channel: str) -> dict:
    """A new token for this account; the one this request came with stops working."""

    def work(conn: Connection) -> dict:
        revoke_tokens(conn, account.id, token)
        fresh = insert_token(conn, account.id, ix.settings.token_lifetime_hours)
        ix.audit(conn, account, channel, "token.rotate", f"account:{account.id}")
        return {"account_id": account.id, "role": account.role, "token": fresh}

    result = ix.write(work)
    ix.tokens.clear()
    return dict(result)


def account_view(ix: Intake, account: Account) -> dict:
    body: dict = {
        "account_id": account.id,
        "role": account.role,
        "election_id": account.election_id,
        "station_id": account.station_id,
    }
    with ix.reader.connect() as conn:
        stored = conn.execute(
            select(intake_accounts.c.verification).where(intake_accounts.c.id == account.id)
        ).scalar()
    body["verification"] = tier_of(stored, account.role)
    if account.role == Role.VOTER:
        with ix.reader.connect() as conn:
            decl = conn.execute(
                select(intake_declarations.c.option_id, intake_declarations.c.declared_at).where(
                    intake_declarations.c.account_id == account.id
                )
            ).first()
            photos = conn.execute(
                select(
                    intake_photos.c.id,
                    intake_photos.c.kind,
                    intake_photos.c.status,
                    intake_photos.c.reason,
                )
                .where(intake_photos.c.account_id == account.id)
                .order_by(intake_photos.c.id)
            ).all()
        body["declaration"] = (
            None
            if decl is None
            else {"option_id": decl.option_id, "declared_at": iso(utc(decl.declared_at))}
        )
        body["photos"] = [
            {"photo_id": p.id, "kind": p.kind, "status": p.status, "reason": p.reason}
            for p in photos
        ]
        body["photo_confirmed"] = any(
            p.kind == "ballot_front" and p.status == "accepted" for p in photos
        )
    return body


def declare(
    ix: Intake, voter: Account, election_id: str, option_id: str, key: str, channel: str
) -> Outcome:
    check_declaration(ix, voter, election_id, option_id)
    return write_declaration(ix, voter, election_id, option_id, key, channel)


def check_declaration(ix: Intake, voter: Account, election_id: str, option_id: str) -> None:
    """Refuse a declaration this voter may not make (role, election, option, deadline)."""
    require_role(voter, Role.VOTER)
    require_election(voter, election_id)
    info = ix.election(election_id)
    if option_id not in info.option_ids:
        raise Invalid(f"election {election_id!r} has no option {option_id!r}")
    deadline(ix.election_rules(election_id).declaration_deadline, "declarations")


def write_declaration(
    ix: Intake, voter: Account, election_id: str, option_id: str, key: str, channel: str
) -> Outcome:
    """A checked declaration on its own: one transaction (see :mod:`.batch` for many)."""

    def work(conn: Connection, peeked: tuple) -> tuple[int, dict]:
        old = peeked[0]
        stamp = now()
        values = {
            "account": voter.id,
            "election": election_id,
            "station": voter.station_id,
            "option": option_id,
            "at": sql.stamp(conn, stamp),
            "channel": channel,
        }
        if old is None:
            sql.execute(
                conn,
                "INSERT INTO intake_declarations (account_id, election_id, station_id, "
                "option_id, declared_at, channel) VALUES (:account, :election, :station, "
                ":option, :at, :channel) ON CONFLICT (account_id) DO UPDATE SET "
                "option_id = excluded.option_id, declared_at = excluded.declared_at, "
                "channel = excluded.channel",
                values,
            )
        elif old != option_id:
            changed = sql.execute(
                conn,
                "UPDATE intake_declarations SET option_id = :option, declared_at = :at, "
                "channel = :channel WHERE account_id = :account AND NOT EXISTS (SELECT 1 FROM "
                "intake_photos WHERE account_id = :account AND kind = 'ballot_front' AND "
                "status = 'accepted')",
                values,
            )
            if not changed:
                raise Conflict(
                    "your ballot photo confirmed your declared choice; "
                    "it cannot be changed any more",
                )
        entry = ix.audit(
            conn,
            voter,
            channel,
            "voter.declare",
            f"account:{voter.id}",
            {"option_id": option_id, "previous": old},
            rows=translog.rows(conn, "intake_declarations", account_id=voter.id),
        )
        return 200, {
            "account_id": voter.id,
            "election_id": election_id,
            "station_id": voter.station_id,
            "option_id": option_id,
            "declared_at": stamp.isoformat(),
            "receipt": ix.receipt(entry),
        }

    return ix.submit(
        f"acct:{voter.id}",
        key,
        {"op": "declare", "option": option_id},
        work,
        conflict="a concurrent declaration from this account; retry",
        peek=(
            "SELECT option_id FROM intake_declarations WHERE account_id = :account",
            {"account": voter.id},
        ),
    )


async def declare_async(
    ix: Intake, voter: Account, election_id: str, option_id: str, key: str, channel: str
) -> Outcome:
    """:func:`declare` for the event loop: on PostgreSQL the declaration joins the process's
    next batch (:class:`~.batch.DeclarationBatcher`); elsewhere it runs on a thread."""
    if not batched(ix):
        return await run_in_threadpool(declare, ix, voter, election_id, option_id, key, channel)
    # With the election cached the check needs no database read: done here, no thread hand-off.
    if ix.elections.get(election_id) is not None and ix.rules.get(election_id) is not None:
        check_declaration(ix, voter, election_id, option_id)
    else:
        await run_in_threadpool(check_declaration, ix, voter, election_id, option_id)
    if ix.declarations is None:
        ix.declarations = DeclarationBatcher(ix, write_declaration, ix.settings.group_commit_max)
    return await ix.declarations.declare(voter, election_id, option_id, key, channel)


def batched(ix: Intake) -> bool:
    """Whether declarations are written in batches: PostgreSQL, one transaction each
    otherwise (the SQLite writer batches every write already)."""
    return ix.writer_engine.dialect.name == "postgresql" and isinstance(ix.writer, DirectWriter)
