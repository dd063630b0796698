"""What the intake does, independent of HTTP: each operation checks, writes and audits.

Every state change runs as one job on the writer (see :mod:`honestcount.intake.db`) and
appends its audit entry in the same transaction, so a change and its audit entry are
committed together or not at all. Submissions carry a client-chosen idempotency key: the
key, a hash of the request and the answer are stored with the change, so a retry gets the
first answer back and never counts twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from honestcount.checks.rules import check_all, rules_for
from honestcount.intake import audit, sql
from honestcount.intake.db import intake_engines, make_writer
from honestcount.intake.photos import (
    CleanPhoto,
    LocalPhotoStore,
    PhotoError,
    PhotoStore,
    dhash_bands,
    hamming,
    sanitise,
)
from honestcount.intake.security import (
    RateLimiter,
    Role,
    TtlCache,
    new_token,
    normalise_phone,
    phone_hmac,
    token_hash,
)
from honestcount.model import PROTOCOL_LINES, BallotOption, Election, OfficialSource, OptionKind
from honestcount.settings import IntakeSettings
from honestcount.sources.assemble import assemble
from honestcount.store import tables as t
from honestcount.store.tables import (
    intake_accounts,
    intake_declarations,
    intake_idempotency,
    intake_photos,
    intake_protocol_entries,
    intake_protocol_results,
    intake_settings,
    intake_tokens,
)

ZUBR_CODES = (
    Path(__file__).resolve().parents[1] / "data" / "belarus-2020" / "zubr-violation-codes.csv"
)
DUPLICATE_DISTANCE = 3  # dHash bits; the four 16-bit bands find every pair within this
PHOTO_SOURCE = OfficialSource.PHOTOGRAPHED_PROTOCOL.value
BALLOT_SIDES = ("front", "back")
STAFF_ROLES = (Role.ADMIN, Role.MODERATOR, Role.DIGITISER, Role.OBSERVER)


class IntakeError(Exception):
    """A refusal with its HTTP status and a message meant for the person who sent it."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC; a naive value (SQLite gives those back) is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def digest(value: object) -> str:
    return hashlib.sha256(audit.canonical(value).encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    id: int
    role: str
    election_id: str | None
    station_id: str | None


@dataclass(frozen=True)
class ElectionInfo:
    id: str
    name: str
    protocol_schema: str
    options: tuple[BallotOption, ...]
    violation_codes: dict[str, str]

    @property
    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]

    @property
    def protocol_options(self) -> list[str]:
        """Options that a protocol counts (abstention is not on a protocol)."""
        return [o.id for o in self.options if o.kind != OptionKind.ABSTENTION]

    @property
    def protocol_lines(self) -> list[str]:
        """Lines a digitiser may type: those the schema's rules use, then the canonical ones."""
        names: list[str] = []
        for rule in rules_for(self.protocol_schema):
            for name in sorted(rule.terms):
                if not name.startswith("sum(") and name not in names:
                    names.append(name)
        names += [n for n in PROTOCOL_LINES if n not in names]
        return names


@dataclass(frozen=True)
class ElectionRules:
    """The settings in force for one election: its own row over the environment's defaults."""

    embargoed: bool
    min_group_size: int
    registration_deadline: dt.datetime | None
    declaration_deadline: dt.datetime | None
    upload_deadline: dt.datetime | None

    def as_dict(self) -> dict:
        return {
            "embargoed": self.embargoed,
            "min_group_size": self.min_group_size,
            "registration_deadline": _iso(self.registration_deadline),
            "declaration_deadline": _iso(self.declaration_deadline),
            "upload_deadline": _iso(self.upload_deadline),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class Outcome:
    status: int
    body: dict
    replayed: bool = False


def default_violation_codes() -> dict[str, str]:
    """The Zubr observers' codes (Belarus 2020): the list used when an election has none."""
    with ZUBR_CODES.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["reason"] for row in csv.DictReader(fh)}


def election_rules(conn: Connection, settings: IntakeSettings, election_id: str) -> ElectionRules:
    row = conn.execute(
        select(intake_settings).where(intake_settings.c.election_id == election_id)
    ).first()
    lifted = row is not None and row.embargo_lifted_at is not None

    def pick(name: str):
        own = getattr(row, name) if row is not None else None
        return utc(own if own is not None else getattr(settings, name))

    return ElectionRules(
        embargoed=settings.embargo and not lifted,
        min_group_size=(row.min_group_size if row is not None and row.min_group_size else None)
        or settings.min_group_size,
        registration_deadline=pick("registration_deadline"),
        declaration_deadline=pick("declaration_deadline"),
        upload_deadline=pick("upload_deadline"),
    )


@dataclass
class Intake:
    """The running intake: settings, engines, writer, photo store, caches and limits."""

    settings: IntakeSettings
    reader: Engine
    writer_engine: Engine
    store: PhotoStore
    key: bytes
    writer: object = None
    limiter: RateLimiter = field(default_factory=RateLimiter)
    tokens: TtlCache = field(init=False)
    elections: TtlCache = field(init=False)
    stations: TtlCache = field(init=False)
    rules: TtlCache = field(init=False)

    def __post_init__(self) -> None:
        self.writer = make_writer(
            self.writer_engine, self.settings.group_commit_max, self.settings.group_commit
        )
        self.tokens = TtlCache(self.settings.token_cache_seconds)
        self.elections = TtlCache(30.0, 1000)
        self.stations = TtlCache(300.0)
        self.rules = TtlCache(2.0, 1000)

    @classmethod
    def open(
        cls, engine: Engine, settings: IntakeSettings | None = None, store: PhotoStore | None = None
    ) -> Intake:
        settings = settings or IntakeSettings()
        key = settings.hmac_key()  # refuses to start without a secret (unless dev)
        reader, writer = intake_engines(engine)
        return cls(settings, reader, writer, store or LocalPhotoStore(settings.photo_dir), key)

    def close(self) -> None:
        self.writer.close()
        self.reader.dispose()

    # ----------------------------------------------------------------- reading helpers

    def election(self, election_id: str) -> ElectionInfo:
        info = self.elections.get(election_id)
        if info is not None:
            return info
        with self.reader.connect() as conn:
            row = conn.execute(select(t.elections).where(t.elections.c.id == election_id)).first()
            if row is None:
                raise IntakeError(404, f"no election {election_id!r}")
            opts = conn.execute(
                select(t.options)
                .where(t.options.c.election_id == election_id)
                .order_by(t.options.c.position)
            ).all()
            codes = dict(
                conn.execute(
                    select(t.violation_codes.c.code, t.violation_codes.c.reason).where(
                        t.violation_codes.c.election_id == election_id
                    )
                ).all()
            )
        info = ElectionInfo(
            row.id,
            row.name,
            row.protocol_schema,
            tuple(BallotOption(o.id, o.name, OptionKind(o.kind), o.position) for o in opts),
            codes or default_violation_codes(),
        )
        self.elections.put(election_id, info)
        return info

    def election_rules(self, election_id: str) -> ElectionRules:
        found = self.rules.get(election_id)
        if found is None:
            with self.reader.connect() as conn:
                found = election_rules(conn, self.settings, election_id)
            self.rules.put(election_id, found)
        return found

    def require_station(self, election_id: str, station_id: str) -> None:
        if self.stations.get((election_id, station_id)):
            return
        with self.reader.connect() as conn:
            found = conn.execute(
                select(t.stations.c.pk).where(
                    t.stations.c.election_id == election_id, t.stations.c.station_id == station_id
                )
            ).first()
        if found is None:
            raise IntakeError(404, f"election {election_id!r} has no station {station_id!r}")
        self.stations.put((election_id, station_id), True)

    def cached_account(self, token: str | None) -> Account | None:
        """The account of a token checked recently, without touching the database."""
        return self.tokens.get(token_hash(token)) if token else None

    def authenticate(self, token: str | None) -> Account:
        if not token:
            raise IntakeError(401, "a bearer token is needed", {"WWW-Authenticate": "Bearer"})
        hashed = token_hash(token)
        account = self.tokens.get(hashed)
        if account is None:
            with self.reader.connect() as conn:
                row = sql.fetchone(
                    conn,
                    "SELECT a.id, a.role, a.election_id, a.station_id FROM intake_tokens k "
                    "JOIN intake_accounts a ON a.id = k.account_id WHERE k.token_hash = :hash "
                    "AND k.revoked_at IS NULL AND a.disabled_at IS NULL",
                    {"hash": hashed},
                )
            if row is None:
                raise IntakeError(
                    401,
                    "the token is not valid (unknown or revoked)",
                    {"WWW-Authenticate": "Bearer"},
                )
            account = Account(*row)
            self.tokens.put(hashed, account)
        return account

    def check_rate(self, account: Account | None, address: str | None) -> None:
        waits = []
        if address:
            waits.append(self.limiter.take(f"ip:{address}", self.settings.address_per_minute))
        if account is not None:
            waits.append(self.limiter.take(f"acct:{account.id}", self.settings.account_per_minute))
        wait = max(waits, default=0.0)
        if wait > 0:
            raise IntakeError(
                429, "too many requests; retry later", {"Retry-After": str(max(1, round(wait)))}
            )

    def check_registration_rate(self, address: str | None) -> None:
        if not address:
            return
        per_hour = self.settings.registrations_per_address_per_hour
        wait = self.limiter.take(f"reg:{address}", per_hour / 60.0, burst=max(1.0, per_hour / 10))
        if wait > 0:
            raise IntakeError(
                429,
                "too many registrations from this address; retry later",
                {"Retry-After": str(max(1, round(wait)))},
            )

    # ----------------------------------------------------------------- the write path

    def audit(
        self,
        conn: Connection,
        actor: Account | None,
        channel: str,
        action: str,
        target: str,
        details: dict | None = None,
        *,
        actor_id: int | None = None,
        role: str | None = None,
    ) -> None:
        audit.append(
            conn,
            chains=self.settings.audit_chains,
            actor=actor.id if actor is not None else actor_id,
            role=actor.role if actor is not None else (role or "anonymous"),
            channel=channel,
            action=action,
            target=target,
            details=details,
            chain=getattr(self.writer, "chain", None),
        )

    def _stored(self, scope: str, key: str) -> tuple[str, int, dict] | None:
        i = intake_idempotency.c
        with self.reader.connect() as conn:
            row = conn.execute(
                select(i.request_hash, i.status, i.response).where(i.scope == scope, i.key == key)
            ).first()
        return None if row is None else (row.request_hash, row.status, json.loads(row.response))

    def _replay(self, stored, request_hash: str) -> Outcome:
        got_hash, status, body = stored
        if got_hash != request_hash:
            raise IntakeError(422, "this Idempotency-Key was already used for a different request")
        return Outcome(status, body, replayed=True)

    def submit(
        self,
        scope: str,
        key: str,
        request: object,
        work: Callable[[Connection], tuple[int, dict]],
        *,
        conflict: str = "this conflicts with what is already stored",
        prepare: Callable[[], object] | None = None,
        secret: tuple[str, ...] = (),
        peek: tuple[str, dict] | None = None,
    ) -> Outcome:
        """Run ``work`` once for (scope, key); a retry gets the stored answer back.

        ``prepare`` runs only when the key is new (before the write: photo decoding). The
        fields named in ``secret`` (a token) go to the client but are not stored. ``peek``
        (a query of at most one row) is read in the same round trip as the key and handed to
        ``work`` as its second argument.
        """
        request_hash = digest(request) if not isinstance(request, str) else request
        if prepare is not None:  # costly preparation: skip it for a known key
            stored = self._stored(scope, key)
            if stored is not None:
                return self._replay(stored, request_hash)
            prepare()
        where = {"scope": scope, "key": key}
        lookup = (
            "SELECT i.request_hash, i.status, i.response{more} FROM (SELECT 1 AS one) x "
            "LEFT JOIN intake_idempotency i ON i.scope = :scope AND i.key = :key{join}"
        )
        if peek is None:
            lookup = lookup.format(more="", join="")
        else:
            lookup = lookup.format(more=", p.*", join=f" LEFT JOIN ({peek[0]}) p ON 1 = 1")
            where = {**peek[1], **where}

        def job(conn: Connection) -> tuple[int | None, object]:
            found = sql.fetchone(conn, lookup, where)
            if found[0] is not None:
                return None, found[:3]
            status, body = work(conn) if peek is None else work(conn, found[3:])
            stored_body = {k: v for k, v in body.items() if k not in secret}
            sql.execute(
                conn,
                "INSERT INTO intake_idempotency (scope, key, request_hash, status, response, "
                "created_at) VALUES (:scope, :key, :hash, :status, :response, :at)",
                {
                    **where,
                    "hash": request_hash,
                    "status": status,
                    "response": audit.canonical(stored_body),
                    "at": sql.stamp(conn, now()),
                },
            )
            return status, body

        try:
            status, body = self.writer.submit(job)
        except IntegrityError:
            stored = self._stored(scope, key)
            if stored is not None:  # the same request, sent twice at once: one of them won
                return self._replay(stored, request_hash)
            raise IntakeError(409, conflict) from None
        if status is None:
            got_hash, got_status, response = body
            return self._replay((got_hash, got_status, json.loads(response)), request_hash)
        return Outcome(status, body)

    def write(self, work: Callable[[Connection], object], conflict: str = "conflict"):
        """A state change that needs no idempotency key (staff actions)."""
        try:
            return self.writer.submit(work)
        except IntegrityError:
            raise IntakeError(409, conflict) from None


def _deadline(deadline: dt.datetime | None, what: str) -> None:
    if deadline is not None and now() > deadline:
        raise IntakeError(403, f"the deadline for {what} ({deadline.isoformat()}) has passed")


def _require_role(account: Account, *roles: str) -> None:
    if account.role not in roles:
        raise IntakeError(403, f"this needs the role {' or '.join(roles)}")


def _require_election(account: Account, election_id: str) -> None:
    if account.role != Role.ADMIN and account.election_id not in (None, election_id):
        raise IntakeError(403, f"this account belongs to election {account.election_id!r}")


# ===================================================================== accounts


def _insert(conn: Connection, table: str, values: dict) -> int:
    """INSERT one row with plain SQL; returns its id."""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    row = sql.fetchone(conn, f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id", values)
    return int(row[0])


def _insert_account(conn: Connection, **values) -> int:
    values.setdefault("created_by", None)
    return _insert(conn, "intake_accounts", {**values, "created_at": sql.stamp(conn, now())})


def _insert_token(conn: Connection, account_id: int) -> str:
    token = new_token()
    sql.execute(
        conn,
        "INSERT INTO intake_tokens (token_hash, account_id, created_at) "
        "VALUES (:hash, :account, :at)",
        {"hash": token_hash(token), "account": account_id, "at": sql.stamp(conn, now())},
    )
    return token


def register_voter(
    ix: Intake, election_id: str, phone: str, station_id: str, key: str, channel: str
) -> Outcome:
    """A voter's account: one per phone number per election; the number itself is not kept."""
    ix.election(election_id)
    _deadline(ix.election_rules(election_id).registration_deadline, "registration")
    normal = normalise_phone(phone)
    if normal is None:
        raise IntakeError(
            422, "the phone number must be in international form, e.g. +375 29 123 45 67"
        )
    ix.require_station(election_id, station_id)
    hashed = phone_hmac(ix.key, election_id, normal)
    scope = f"register:{hashed}"
    request = {"election": election_id, "phone": hashed, "station": station_id}

    def work(conn: Connection) -> tuple[int, dict]:
        account_id = _insert_account(
            conn,
            role=Role.VOTER.value,
            election_id=election_id,
            station_id=station_id,
            phone_hmac=hashed,
        )
        token = _insert_token(conn, account_id)
        ix.audit(
            conn,
            None,
            channel,
            "voter.register",
            f"account:{account_id}",
            {"election_id": election_id, "station_id": station_id},
            actor_id=account_id,
            role=Role.VOTER.value,
        )
        return 201, {
            "account_id": account_id,
            "role": "voter",
            "election_id": election_id,
            "station_id": station_id,
            "token": token,
        }

    outcome = ix.submit(
        scope,
        key,
        request,
        work,
        secret=("token",),
        conflict="this phone number is already registered for this election",
    )
    if not outcome.replayed:
        return outcome
    # The token is never stored in clear, so it is not in the stored answer: a retry whose
    # first answer was lost gets a fresh token for the same account.
    account_id = outcome.body["account_id"]

    def reissue(conn: Connection) -> str:
        token = _insert_token(conn, account_id)
        ix.audit(
            conn,
            None,
            channel,
            "token.reissue",
            f"account:{account_id}",
            {"reason": "registration retried"},
            actor_id=account_id,
            role="voter",
        )
        return token

    return Outcome(outcome.status, {**outcome.body, "token": ix.write(reissue)}, True)


def create_account(
    ix: Intake,
    admin: Account,
    role: str,
    election_id: str | None,
    station_id: str | None,
    label: str | None,
    channel: str,
) -> dict:
    """An organiser issues a staff or observer account; the token is shown once."""
    _require_role(admin, Role.ADMIN)
    if role not in {r.value for r in STAFF_ROLES}:
        raise IntakeError(
            422,
            "voters register themselves; role must be one of "
            + ", ".join(r.value for r in STAFF_ROLES),
        )
    if role == Role.OBSERVER and election_id is None:
        raise IntakeError(422, "an observer account needs an election_id")
    if election_id is not None:
        ix.election(election_id)
        if station_id is not None:
            ix.require_station(election_id, station_id)
    elif station_id is not None:
        raise IntakeError(422, "a station_id needs an election_id")

    def work(conn: Connection) -> dict:
        account_id = _insert_account(
            conn,
            role=role,
            election_id=election_id,
            station_id=station_id,
            label=label,
            created_by=admin.id,
        )
        token = _insert_token(conn, account_id)
        ix.audit(
            conn,
            admin,
            channel,
            "account.create",
            f"account:{account_id}",
            {"role": role, "election_id": election_id, "station_id": station_id, "label": label},
        )
        return {
            "account_id": account_id,
            "role": role,
            "election_id": election_id,
            "station_id": station_id,
            "label": label,
            "token": token,
        }

    return ix.write(work)


def disable_account(ix: Intake, admin: Account, account_id: int, channel: str) -> dict:
    _require_role(admin, Role.ADMIN)
    if account_id == admin.id:
        raise IntakeError(409, "an admin cannot disable their own account")

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
                raise IntakeError(404, f"no account {account_id}")
        conn.execute(
            intake_tokens.update()
            .where(intake_tokens.c.account_id == account_id, intake_tokens.c.revoked_at.is_(None))
            .values(revoked_at=stamp)
        )
        ix.audit(conn, admin, channel, "account.disable", f"account:{account_id}")
        return {"account_id": account_id, "disabled": True}

    result = ix.write(work)
    ix.tokens.clear()
    return result


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
    if role not in {r.value for r in STAFF_ROLES}:
        raise ValueError(f"role must be one of {[r.value for r in STAFF_ROLES]}")
    with engine.begin() as conn:
        account_id = _insert_account(
            conn, role=role, election_id=election_id, station_id=station_id, label=label
        )
        token = _insert_token(conn, account_id)
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
        )
    return account_id, token


def account_view(ix: Intake, account: Account) -> dict:
    body: dict = {
        "account_id": account.id,
        "role": account.role,
        "election_id": account.election_id,
        "station_id": account.station_id,
    }
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
            else {"option_id": decl.option_id, "declared_at": _iso(utc(decl.declared_at))}
        )
        body["photos"] = [
            {"photo_id": p.id, "kind": p.kind, "status": p.status, "reason": p.reason}
            for p in photos
        ]
        body["photo_confirmed"] = any(
            p.kind == "ballot_front" and p.status == "accepted" for p in photos
        )
    return body


# ===================================================================== voters


def declare(
    ix: Intake, voter: Account, election_id: str, option_id: str, key: str, channel: str
) -> Outcome:
    _require_role(voter, Role.VOTER)
    _require_election(voter, election_id)
    info = ix.election(election_id)
    if option_id not in info.option_ids:
        raise IntakeError(422, f"election {election_id!r} has no option {option_id!r}")
    _deadline(ix.election_rules(election_id).declaration_deadline, "declarations")

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
                raise IntakeError(
                    409,
                    "your ballot photo confirmed your declared choice; "
                    "it cannot be changed any more",
                )
        ix.audit(
            conn,
            voter,
            channel,
            "voter.declare",
            f"account:{voter.id}",
            {"option_id": option_id, "previous": old},
        )
        return 200, {
            "account_id": voter.id,
            "election_id": election_id,
            "station_id": voter.station_id,
            "option_id": option_id,
            "declared_at": stamp.isoformat(),
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


def _photo_body(row) -> dict:
    return {
        "photo_id": row["id"],
        "election_id": row["election_id"],
        "station_id": row["station_id"],
        "kind": row["kind"],
        "status": row["status"],
        "sha256": row["sha256"],
        "width": row["width"],
        "height": row["height"],
        "duplicate_of": row["duplicate_of"],
    }


def _find_duplicate(conn: Connection, election_id: str, account_id: int, value: int) -> int | None:
    """The first photo of another account whose dHash is within DUPLICATE_DISTANCE."""
    p = intake_photos.c
    b0, b1, b2, b3 = dhash_bands(value)
    rows = conn.execute(
        select(p.id, p.dhash)
        .where(
            p.election_id == election_id,
            p.account_id != account_id,
            or_(p.dh0 == b0, p.dh1 == b1, p.dh2 == b2, p.dh3 == b3),
        )
        .order_by(p.id)
        .limit(1000)
    ).all()
    for row in rows:
        if hamming(int(row.dhash, 16), value) <= DUPLICATE_DISTANCE:
            return int(row.id)
    return None


def store_photo(
    ix: Intake,
    account: Account,
    election_id: str,
    station_id: str,
    kind: str,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
) -> Outcome:
    """Sanitise, store and record a photo (ballot side or protocol) exactly once per key."""
    clean: list[CleanPhoto] = []

    def prepare() -> None:
        s = ix.settings
        try:
            photo = sanitise(
                data,
                max_bytes=s.max_photo_bytes,
                max_pixels=s.max_photo_pixels,
                max_side=s.max_stored_side,
                quality=s.jpeg_quality,
            )
        except PhotoError as exc:
            raise IntakeError(exc.status, exc.message) from None
        ix.store.put(photo.sha256, photo.data)  # durable before the row that points at it
        clean.append(photo)

    request = "|".join(
        [kind, station_id, _iso(captured_at) or "", hashlib.sha256(data).hexdigest()]
    )
    request = hashlib.sha256(request.encode()).hexdigest()

    def work(conn: Connection) -> tuple[int, dict]:
        photo = clean[0]
        duplicate = _find_duplicate(conn, election_id, account.id, photo.dhash)
        b0, b1, b2, b3 = photo.bands
        values = dict(
            election_id=election_id,
            station_id=station_id,
            account_id=account.id,
            kind=kind,
            storage_key=photo.sha256,
            sha256=photo.sha256,
            dhash=photo.dhash_hex,
            dh0=b0,
            dh1=b1,
            dh2=b2,
            dh3=b3,
            width=photo.width,
            height=photo.height,
            size_bytes=len(photo.data),
            original_format=photo.original_format,
            received_at=now(),
            captured_at=captured_at,
            status="pending",
            duplicate_of=duplicate,
        )
        photo_id = int(
            conn.execute(intake_photos.insert().values(**values)).inserted_primary_key[0]
        )
        ix.audit(
            conn,
            account,
            channel,
            "photo.upload",
            f"photo:{photo_id}",
            {
                "kind": kind,
                "station_id": station_id,
                "sha256": photo.sha256,
                "duplicate_of": duplicate,
            },
        )
        return 201, _photo_body({**values, "id": photo_id})

    return ix.submit(f"acct:{account.id}", key, request, work, prepare=prepare)


def upload_ballot(
    ix: Intake,
    voter: Account,
    election_id: str,
    side: str,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
) -> Outcome:
    _require_role(voter, Role.VOTER)
    _require_election(voter, election_id)
    ix.election(election_id)
    if side not in BALLOT_SIDES:
        raise IntakeError(422, "side must be front or back")
    _deadline(ix.election_rules(election_id).upload_deadline, "uploads")
    return store_photo(
        ix, voter, election_id, voter.station_id, f"ballot_{side}", data, key, channel, captured_at
    )


def upload_protocol(
    ix: Intake,
    account: Account,
    election_id: str,
    station_id: str | None,
    data: bytes,
    key: str,
    channel: str,
    captured_at: dt.datetime | None,
) -> Outcome:
    _require_role(account, Role.OBSERVER, Role.VOTER)
    _require_election(account, election_id)
    ix.election(election_id)
    station_id = _observed_station(ix, account, election_id, station_id)
    _deadline(ix.election_rules(election_id).upload_deadline, "uploads")
    return store_photo(
        ix, account, election_id, station_id, "protocol", data, key, channel, captured_at
    )


def _observed_station(
    ix: Intake, account: Account, election_id: str, station_id: str | None
) -> str:
    if station_id is None:
        station_id = account.station_id
    if station_id is None:
        raise IntakeError(422, "station_id is needed")
    if account.station_id is not None and station_id != account.station_id:
        raise IntakeError(403, f"this account reports on station {account.station_id!r} only")
    ix.require_station(election_id, station_id)
    return station_id


def read_photo(ix: Intake, account: Account, photo_id: int) -> bytes:
    with ix.reader.connect() as conn:
        row = conn.execute(
            select(
                intake_photos.c.account_id, intake_photos.c.storage_key, intake_photos.c.election_id
            ).where(intake_photos.c.id == photo_id)
        ).first()
    if row is None:
        raise IntakeError(404, f"no photo {photo_id}")
    staff = account.role in (Role.ADMIN, Role.MODERATOR, Role.DIGITISER)
    if not staff and row.account_id != account.id:
        raise IntakeError(403, "only staff and the sender may see a photo")
    if staff:
        _require_election(account, row.election_id)
    return ix.store.get(row.storage_key)


# ===================================================================== observers


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
    _require_role(observer, Role.OBSERVER)
    _require_election(observer, election_id)
    ix.election(election_id)
    station_id = _observed_station(ix, observer, election_id, station_id)
    observed_at = utc(observed_at)
    request = {
        "op": "turnout",
        "station": station_id,
        "at": observed_at.isoformat(),
        "count": count,
    }

    def work(conn: Connection) -> tuple[int, dict]:
        rid = _insert(
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
        ix.audit(
            conn,
            observer,
            channel,
            "observer.turnout",
            f"turnout:{rid}",
            {"station_id": station_id, "observed_at": observed_at.isoformat(), "count": count},
        )
        return 201, {
            "report_id": int(rid),
            "election_id": election_id,
            "station_id": station_id,
            "observed_at": observed_at.isoformat(),
            "count": count,
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
    _require_role(observer, Role.OBSERVER)
    _require_election(observer, election_id)
    info = ix.election(election_id)
    if code not in info.violation_codes:
        raise IntakeError(
            422,
            f"unknown violation code {code!r}; the codes are listed at /elections/{election_id}",
        )
    station_id = _observed_station(ix, observer, election_id, station_id)
    observed_at = utc(observed_at)
    request = {
        "op": "violation",
        "station": station_id,
        "code": code,
        "at": _iso(observed_at),
        "note": note,
    }

    def work(conn: Connection) -> tuple[int, dict]:
        rid = _insert(
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
        ix.audit(
            conn,
            observer,
            channel,
            "observer.violation",
            f"violation:{rid}",
            {"station_id": station_id, "code": code},
        )
        return 201, {
            "report_id": int(rid),
            "election_id": election_id,
            "station_id": station_id,
            "code": code,
            "reason": info.violation_codes[code],
            "observed_at": _iso(observed_at),
        }

    return ix.submit(f"acct:{observer.id}", key, request, work)


# ===================================================================== moderation


def moderation_queue(
    ix: Intake, moderator: Account, election_id: str | None, limit: int
) -> list[dict]:
    _require_role(moderator, Role.MODERATOR, Role.ADMIN)
    if election_id is not None:
        _require_election(moderator, election_id)
    elif moderator.election_id is not None:
        election_id = moderator.election_id
    p, d = intake_photos.c, intake_declarations.c
    query = (
        select(
            p.id,
            p.election_id,
            p.station_id,
            p.kind,
            p.duplicate_of,
            p.received_at,
            p.width,
            p.height,
            d.option_id,
        )
        .select_from(intake_photos.outerjoin(intake_declarations, d.account_id == p.account_id))
        .where(
            p.kind.in_(["ballot_front", "ballot_back"]),
            p.status == "pending",
            p.account_id != moderator.id,
        )
        .order_by(p.id)
        .limit(limit)
    )
    if election_id is not None:
        query = query.where(p.election_id == election_id)
    with ix.reader.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "photo_id": r.id,
            "election_id": r.election_id,
            "station_id": r.station_id,
            "side": r.kind.removeprefix("ballot_"),
            "declared_option": r.option_id,
            "duplicate_of": r.duplicate_of,
            "received_at": _iso(utc(r.received_at)),
            "width": r.width,
            "height": r.height,
            "url": f"photos/{r.id}",
        }
        for r in rows
    ]


def moderate(
    ix: Intake, moderator: Account, photo_id: int, decision: str, reason: str | None, channel: str
) -> dict:
    _require_role(moderator, Role.MODERATOR, Role.ADMIN)
    if decision not in ("accept", "reject"):
        raise IntakeError(422, "decision must be accept or reject")
    if decision == "reject" and not reason:
        raise IntakeError(422, "a rejection needs a reason")
    p = intake_photos.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(p.id, p.account_id, p.kind, p.status, p.election_id)
            .where(p.id == photo_id)
            .with_for_update()
        ).first()
        if row is None or not row.kind.startswith("ballot_"):
            raise IntakeError(404, f"no ballot photo {photo_id}")
        _require_election(moderator, row.election_id)
        if row.account_id == moderator.id:
            raise IntakeError(403, "nobody moderates their own submission")
        if row.status != "pending":
            raise IntakeError(409, f"photo {photo_id} was already moderated ({row.status})")
        # Lock the sender's declaration: a change of choice cannot slip past this decision.
        declared = conn.execute(
            select(intake_declarations.c.option_id)
            .where(intake_declarations.c.account_id == row.account_id)
            .with_for_update()
        ).first()
        status = "accepted" if decision == "accept" else "rejected"
        conn.execute(
            intake_photos.update()
            .where(p.id == photo_id)
            .values(status=status, moderator_id=moderator.id, moderated_at=now(), reason=reason)
        )
        ix.audit(
            conn,
            moderator,
            channel,
            f"photo.{status}",
            f"photo:{photo_id}",
            {"reason": reason, "declared_option": None if declared is None else declared[0]},
        )
        confirmed = status == "accepted" and row.kind == "ballot_front" and declared is not None
        return {
            "photo_id": photo_id,
            "status": status,
            "reason": reason,
            "vote_photo_confirmed": confirmed,
        }

    return ix.write(work)


# ===================================================================== digitisation


def digitisation_task(ix: Intake, digitiser: Account, election_id: str | None) -> dict | None:
    """The next protocol photo this digitiser has not typed (disputed ones first)."""
    _require_role(digitiser, Role.DIGITISER, Role.ADMIN)
    if election_id is None:
        election_id = digitiser.election_id
    else:
        _require_election(digitiser, election_id)
    p, e = intake_photos.c, intake_protocol_entries.c
    typed = intake_protocol_entries.alias("typed")
    mine = exists().where(typed.c.photo_id == p.id, typed.c.digitiser_id == digitiser.id)
    query = (
        select(p.id, p.election_id, p.station_id, p.status, func.count(e.id).label("n"))
        .select_from(intake_photos.outerjoin(intake_protocol_entries, e.photo_id == p.id))
        .where(
            p.kind == "protocol",
            p.status.in_(["pending", "disputed"]),
            p.account_id != digitiser.id,
            ~mine,
        )
        .group_by(p.id, p.election_id, p.station_id, p.status)
        .order_by(func.count(e.id).desc(), p.id)
        .limit(1)
    )
    if election_id is not None:
        query = query.where(p.election_id == election_id)
    with ix.reader.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    info = ix.election(row.election_id)
    names = {o.id: o.name for o in info.options}
    return {
        "photo_id": row.id,
        "election_id": row.election_id,
        "station_id": row.station_id,
        "status": row.status,
        "entries_so_far": row.n,
        "url": f"photos/{row.id}",
        "lines": [
            {"name": n, "description": PROTOCOL_LINES.get(n, n)} for n in info.protocol_lines
        ],
        "options": [{"id": o, "name": names[o]} for o in info.protocol_options],
    }


def protocol_checks(
    info: ElectionInfo, station_id: str, lines: dict[str, int], votes: dict[str, int]
) -> list[dict]:
    """The protocol rules of the election's schema, on one typed-in protocol."""
    election = Election(info.id, info.name, "", protocol_schema=info.protocol_schema)
    index = pd.Index([station_id], name="station_id")
    data = assemble(
        election,
        list(info.options),
        pd.DataFrame(index=index),
        lines=pd.DataFrame({k: [float(v)] for k, v in lines.items()}, index=index),
        official=pd.DataFrame({k: [float(v)] for k, v in votes.items()}, index=index),
        official_source=PHOTO_SOURCE,
    )
    out = []
    for outcome in check_all(data):
        left, right = outcome.left[0], outcome.right[0]
        out.append(
            {
                "rule": outcome.rule.id,
                "description": outcome.rule.description,
                "status": str(outcome.status[0]),
                "left": None if np.isnan(left) else float(left),
                "right": None if np.isnan(right) else float(right),
            }
        )
    return out


def _station_pk(conn: Connection, election_id: str, station_id: str) -> int | None:
    return conn.execute(
        select(t.stations.c.pk).where(
            t.stations.c.election_id == election_id, t.stations.c.station_id == station_id
        )
    ).scalar()


def _official_rows(conn: Connection, pk: int) -> dict:
    lines = dict(
        conn.execute(
            select(t.protocol_lines.c.line, t.protocol_lines.c.value).where(
                t.protocol_lines.c.station_pk == pk, t.protocol_lines.c.source == PHOTO_SOURCE
            )
        ).all()
    )
    votes = dict(
        conn.execute(
            select(t.official_votes.c.option_id, t.official_votes.c.votes).where(
                t.official_votes.c.station_pk == pk, t.official_votes.c.source == PHOTO_SOURCE
            )
        ).all()
    )
    return {"lines": lines, "votes": votes}


def write_official(conn: Connection, election_id: str, station_id: str, entry: dict) -> str:
    """Write an agreed protocol as the station's ``photographed_protocol``.

    Returns ``written``, ``same`` (already there), ``conflict`` (a different photographed
    protocol is stored; nothing written) or ``no_station`` (the election was re-imported
    without it).
    """
    pk = _station_pk(conn, election_id, station_id)
    if pk is None:
        return "no_station"
    existing = _official_rows(conn, pk)
    if existing["lines"] or existing["votes"]:
        return "same" if existing == entry else "conflict"
    for line, value in entry["lines"].items():
        conn.execute(
            t.protocol_lines.insert().values(
                station_pk=pk, source=PHOTO_SOURCE, line=line, value=value
            )
        )
    for option, value in entry["votes"].items():
        conn.execute(
            t.official_votes.insert().values(
                station_pk=pk, source=PHOTO_SOURCE, option_id=option, votes=value
            )
        )
    return "written"


def submit_entry(
    ix: Intake,
    digitiser: Account,
    photo_id: int,
    lines: dict[str, int],
    votes: dict[str, int],
    channel: str,
) -> dict:
    """One digitiser's typing of a protocol photo; two identical entries make it official."""
    _require_role(digitiser, Role.DIGITISER, Role.ADMIN)
    with ix.reader.connect() as conn:
        photo = conn.execute(
            select(
                intake_photos.c.election_id, intake_photos.c.station_id, intake_photos.c.kind
            ).where(intake_photos.c.id == photo_id)
        ).first()
    if photo is None or photo.kind != "protocol":
        raise IntakeError(404, f"no protocol photo {photo_id}")
    _require_election(digitiser, photo.election_id)
    info = ix.election(photo.election_id)
    unknown_lines = sorted(set(lines) - set(info.protocol_lines))
    unknown_votes = sorted(set(votes) - set(info.protocol_options))
    if unknown_lines:
        raise IntakeError(422, f"unknown protocol lines {unknown_lines}")
    if unknown_votes:
        raise IntakeError(422, f"unknown options {unknown_votes}")
    if not lines and not votes:
        raise IntakeError(422, "the entry is empty")
    entry = {"lines": dict(sorted(lines.items())), "votes": dict(sorted(votes.items()))}
    text = audit.canonical(entry)
    entry_hash = hashlib.sha256(text.encode()).hexdigest()
    checks = protocol_checks(info, photo.station_id, lines, votes)
    failed = [c["rule"] for c in checks if c["status"] == "fail"]
    p, e = intake_photos.c, intake_protocol_entries.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(p.status, p.account_id).where(p.id == photo_id).with_for_update()
        ).one()
        if row.account_id == digitiser.id:
            raise IntakeError(403, "nobody digitises their own submission")
        if row.status in ("agreed", "conflict"):
            raise IntakeError(409, f"photo {photo_id} is already digitised ({row.status})")
        conn.execute(
            intake_protocol_entries.insert().values(
                photo_id=photo_id,
                digitiser_id=digitiser.id,
                entry=text,
                entry_hash=entry_hash,
                failed_rules=json.dumps(failed),
                created_at=now(),
            )
        )
        hashes = conn.execute(select(e.entry_hash).where(e.photo_id == photo_id)).scalars().all()
        counts = pd.Series(hashes).value_counts()
        agreed = counts.index[0] if counts.iloc[0] >= 2 else None
        result = None
        if agreed is None:
            status = "disputed" if len(hashes) >= 2 else "pending"
        else:
            r = intake_protocol_results.c
            stored = conn.execute(
                select(r.entry).where(
                    r.election_id == photo.election_id, r.station_id == photo.station_id
                )
            ).first()
            if stored is None:
                result = write_official(conn, photo.election_id, photo.station_id, entry)
                if result == "conflict":
                    status = "conflict"
                else:
                    status = "agreed"
                    conn.execute(
                        intake_protocol_results.insert().values(
                            election_id=photo.election_id,
                            station_id=photo.station_id,
                            photo_id=photo_id,
                            entry=text,
                            agreed_at=now(),
                        )
                    )
            else:
                status = "agreed" if stored.entry == text else "conflict"
                result = "same" if status == "agreed" else "conflict"
        conn.execute(
            intake_photos.update()
            .where(p.id == photo_id)
            .values(status=status, agreed_entry=agreed)
        )
        ix.audit(
            conn,
            digitiser,
            channel,
            "protocol.entry",
            f"photo:{photo_id}",
            {"entry_hash": entry_hash, "status": status, "official": result},
        )
        return {
            "photo_id": photo_id,
            "station_id": photo.station_id,
            "status": status,
            "entries": len(hashes),
            "official": result,
            "checks": checks,
            "failed_rules": failed,
        }

    return ix.write(work, conflict="you already typed this protocol")


def digitisation_conflicts(ix: Intake, admin: Account, election_id: str) -> list[dict]:
    _require_role(admin, Role.ADMIN)
    p = intake_photos.c
    with ix.reader.connect() as conn:
        rows = conn.execute(
            select(p.id, p.station_id, p.agreed_entry)
            .where(p.election_id == election_id, p.kind == "protocol", p.status == "conflict")
            .order_by(p.id)
        ).all()
    return [
        {"photo_id": r.id, "station_id": r.station_id, "entry_hash": r.agreed_entry} for r in rows
    ]


# ===================================================================== organiser


def set_election_settings(
    ix: Intake, admin: Account, election_id: str, changes: dict, channel: str
) -> dict:
    _require_role(admin, Role.ADMIN)
    ix.election(election_id)
    s = intake_settings.c

    def work(conn: Connection) -> dict:
        row = conn.execute(
            select(intake_settings).where(s.election_id == election_id).with_for_update()
        ).first()
        values = {}
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
            {k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in changes.items()},
        )
        return election_rules(conn, ix.settings, election_id).as_dict()

    result = ix.write(work)
    ix.rules.drop(election_id)
    return result


def election_view(ix: Intake, election_id: str) -> dict:
    info = ix.election(election_id)
    return {
        "election_id": info.id,
        "name": info.name,
        "protocol_schema": info.protocol_schema,
        "options": [{"id": o.id, "name": o.name, "kind": str(o.kind)} for o in info.options],
        "violation_codes": [{"code": c, "reason": r} for c, r in info.violation_codes.items()],
        "rules": ix.election_rules(election_id).as_dict(),
    }
