"""The intake's core: accounts and sessions, limits, idempotency and the write path.

Every state change runs as one job on the writer (see :mod:`honestcount.intake.db`) and
appends its audit entry in the same transaction, so a change and its audit entry are
committed together or not at all. Submissions carry a client-chosen idempotency key: a keyed
hash of the key, a hash of the request and the answer are stored with the change, so a retry
gets the first answer back and never counts twice. The features (:mod:`.voters`,
:mod:`.photos`, :mod:`.observers`, :mod:`.moderation`, :mod:`.digitisation`,
:mod:`.organiser`) build on this and raise the errors of :mod:`.errors`.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.secret import SecretBox
from nacl.signing import SigningKey
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from honestcount.checks.rules import rules_for
from honestcount.intake import audit, sql
from honestcount.intake.db import intake_engines, make_writer
from honestcount.intake.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthorized,
)
from honestcount.intake.limits import SharedRateLimiter
from honestcount.intake.security import RateLimiter, Role, TtlCache, new_token, token_hash
from honestcount.intake.translog import sign_receipt, signing_key
from honestcount.model import PROTOCOL_LINES, BallotOption, OptionKind
from honestcount.settings import IntakeSettings, StorageSettings
from honestcount.storage import HashKeyedStore, PhotoStore, SealedStore, photo_store, staging_store
from honestcount.store import tables as t
from honestcount.store.tables import intake_idempotency, intake_settings

ZUBR_CODES = (
    Path(__file__).resolve().parents[1] / "data" / "belarus-2020" / "zubr-violation-codes.csv"
)


STAFF_ROLES = (Role.ADMIN, Role.MODERATOR, Role.DIGITISER, Role.OBSERVER)


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
            "registration_deadline": iso(self.registration_deadline),
            "declaration_deadline": iso(self.declaration_deadline),
            "upload_deadline": iso(self.upload_deadline),
        }


def iso(value: dt.datetime | None) -> str | None:
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
    """The running intake: settings, engines, writer, photo store, caches and limits.

    ``limiter`` is in the database when the store is PostgreSQL (``shared_limits``), so every
    process and host counts against one limit; the caches hold only what may be a few seconds
    stale (a revoked token: ``token_cache_seconds``). ``staging`` is where uploads wait for the
    photo worker (``photo_jobs``), None when the request does the photo work itself.
    """

    settings: IntakeSettings
    reader: Engine
    writer_engine: Engine
    store: PhotoStore
    key: bytes
    writer: Any = None
    limiter: RateLimiter | SharedRateLimiter = field(default_factory=RateLimiter)
    staging: SealedStore | None = None
    # The declaration batcher (PostgreSQL), started by the first declaration.
    declarations: Any = None
    tokens: TtlCache = field(init=False)
    elections: TtlCache = field(init=False)
    stations: TtlCache = field(init=False)
    rules: TtlCache = field(init=False)
    photo_slots: asyncio.Semaphore = field(init=False)
    decode_pool: ThreadPoolExecutor = field(init=False)
    log_key: SigningKey | None = field(init=False)

    def __post_init__(self) -> None:
        self.writer = make_writer(
            self.writer_engine, self.settings.group_commit_max, self.settings.group_commit
        )
        self.tokens = TtlCache(self.settings.token_cache_seconds)
        self.elections = TtlCache(30.0, 1000)
        self.stations = TtlCache(300.0)
        self.rules = TtlCache(2.0, 1000)
        secret = self.settings.log_key
        self.log_key = None if secret is None else signing_key(secret.get_secret_value())
        # A pool of its own for image work: few threads, so decoded pixels live in few
        # malloc arenas (any thread that decodes keeps its arena's high-water mark).
        self.decode_pool = ThreadPoolExecutor(
            self.settings.decode_concurrency, thread_name_prefix="honestcount-decode"
        )
        # Photo bodies held at once per worker (each is held while it is decoded).
        self.photo_slots = asyncio.Semaphore(self.settings.photo_concurrency)

    @classmethod
    def open(
        cls,
        engine: Engine,
        settings: IntakeSettings | None = None,
        store: PhotoStore | HashKeyedStore | None = None,
        *,
        staging: SealedStore | None = None,
    ) -> Intake:
        """The intake on ``engine``; the photo store defaults to ``HONESTCOUNT_PHOTO_STORE_*``
        (else the ``photo_dir`` folder), the staging store to ``HONESTCOUNT_STAGING_*``."""
        settings = settings or IntakeSettings()
        key = settings.hmac_key()  # refuses to start without a secret (unless dev)
        storage = StorageSettings(photo_dir=settings.photo_dir)
        if isinstance(store, HashKeyedStore):  # the old calling form's wrapper
            store = store.inner
        photos = store if store is not None else photo_store(storage)
        if settings.photo_jobs and staging is None:
            staging = staging_store(storage)  # refuses to start without HONESTCOUNT_STAGING_KEY
        reader, writer = intake_engines(engine)
        shared = settings.shared_limits
        if shared is None:
            shared = writer.dialect.name == "postgresql"
        limiter = SharedRateLimiter(reader) if shared else RateLimiter()
        return cls(settings, reader, writer, photos, key, limiter=limiter, staging=staging)

    def close(self) -> None:
        if self.declarations is not None:
            self.declarations.close()
        self.decode_pool.shutdown(wait=True)
        if isinstance(self.limiter, SharedRateLimiter):
            self.limiter.close()
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
                raise NotFound(f"no election {election_id!r}")
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
            raise NotFound(f"election {election_id!r} has no station {station_id!r}")
        self.stations.put((election_id, station_id), True)

    def cached_account(self, token: str | None) -> Account | None:
        """The account of a token checked recently, without touching the database."""
        return self.tokens.get(token_hash(token)) if token else None

    def authenticate(self, token: str | None) -> Account:
        if not token:
            raise Unauthorized("a bearer token is needed")
        hashed = token_hash(token)
        account = self.tokens.get(hashed)
        if account is None:
            with self.reader.connect() as conn:
                row = sql.fetchone(
                    conn,
                    "SELECT a.id, a.role, a.election_id, a.station_id FROM intake_tokens k "
                    "JOIN intake_accounts a ON a.id = k.account_id WHERE k.token_hash = :hash "
                    "AND k.revoked_at IS NULL AND k.expires_at > :now AND a.disabled_at IS NULL "
                    "AND (a.role = 'voter' OR a.approved_at IS NOT NULL)",
                    {"hash": hashed, "now": sql.stamp(conn, now())},
                )
            if row is None:
                raise Unauthorized("the token is not valid (unknown, expired or revoked)")
            account = Account(*row)
            self.tokens.put(hashed, account)
        return account

    def rate_buckets(
        self, account: Account | None, address: str | None
    ) -> list[tuple[str, float, float | None]]:
        """The buckets a request takes a token from: its address's and its account's."""
        buckets: list[tuple[str, float, float | None]] = []
        if address:
            buckets.append((f"ip:{address}", self.settings.address_per_minute, None))
        if account is not None:
            buckets.append((f"acct:{account.id}", self.settings.account_per_minute, None))
        return buckets

    async def check_rate_async(self, account: Account | None, address: str | None) -> None:
        """Take a token from each of the request's buckets, on the event loop: in memory at
        once, shared limits in batches."""
        buckets = self.rate_buckets(account, address)
        if isinstance(self.limiter, SharedRateLimiter):
            wait = await self.limiter.take_all_async(buckets)
        else:
            wait = self.limiter.take_all(buckets)
        if wait > 0:
            raise RateLimited("too many requests; retry later", wait)

    def check_registration_rate(self, address: str | None) -> None:
        if not address:
            return
        per_hour = self.settings.registrations_per_address_per_hour
        wait = self.limiter.take(f"reg:{address}", per_hour / 60.0, burst=max(1.0, per_hour / 10))
        if wait > 0:
            raise RateLimited("too many registrations from this address; retry later", wait)

    def check_registration_budget(self, election_id: str, station_id: str, phone: str) -> None:
        """Budgets no choice of address escapes: per station, per phone prefix, in all.

        A flood from many addresses (or through a proxy that forwards any address) is bounded
        by these; the prefix (country and operator code) bounds a run of invented numbers.
        """
        s = self.settings
        budgets = (
            (f"reg-all:{election_id}", s.registrations_per_minute, "in all"),
            (
                f"reg-station:{election_id}:{station_id}",
                s.registrations_per_station_per_minute,
                "for this station",
            ),
            (
                f"reg-prefix:{election_id}:{phone[: s.phone_prefix_digits + 1]}",
                s.registrations_per_prefix_per_minute,
                "for numbers like this one",
            ),
        )
        for key, per_minute, what in budgets:
            wait = self.limiter.take(key, per_minute, burst=max(1.0, per_minute / 6))
            if wait > 0:
                raise RateLimited(f"too many registrations {what} just now; retry later", wait)

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
        rows: dict[str, str | None] | None = None,
    ) -> str:
        """Append the audit entry of a change, with the digests of the rows it wrote."""
        return audit.append(
            conn,
            chains=self.settings.audit_chains,
            actor=actor.id if actor is not None else actor_id,
            role=actor.role if actor is not None else (role or "anonymous"),
            channel=channel,
            action=action,
            target=target,
            details=details,
            chain=getattr(self.writer, "chain", None),
            rows=rows,
        )

    def receipt(self, entry: str) -> dict[str, str]:
        """The inclusion receipt of an audit entry (signed when the log has a key)."""
        if self.log_key is None:
            return {"entry": entry}
        return sign_receipt(self.log_key, entry)

    def key_hash(self, scope: str, key: str) -> str:
        """What is stored of an idempotency key: a keyed hash, useless without the secret."""
        return hmac.new(self.key, f"idem\0{scope}\0{key}".encode(), hashlib.sha256).hexdigest()

    def _box(self, scope: str, key: str) -> SecretBox:
        # Only the client holds ``key``: a database copy (even with the secret) opens nothing
        # without it, and a replay by the client gets back exactly what it was first sent.
        seal = hmac.new(self.key, f"seal\0{scope}\0{key}".encode(), hashlib.sha256).digest()
        return SecretBox(seal)

    def _stored(self, scope: str, key: str) -> tuple[str, int, dict] | None:
        i = intake_idempotency.c
        hashed = self.key_hash(scope, key)
        with self.reader.connect() as conn:
            row = conn.execute(
                select(i.request_hash, i.status, i.response).where(
                    i.scope == scope, i.key == hashed
                )
            ).first()
        return None if row is None else (row.request_hash, row.status, json.loads(row.response))

    def _replay(self, stored, request_hash: str, scope: str, key: str) -> Outcome:
        got_hash, status, body = stored
        if got_hash != request_hash:
            raise Invalid("this Idempotency-Key was already used for a different request")
        sealed = body.pop("sealed", None)
        if sealed is not None:  # the secret fields (a token) exactly as first sent
            body.update(json.loads(self._box(scope, key).decrypt(base64.b64decode(sealed))))
        return Outcome(status, body, replayed=True)

    def submit(
        self,
        scope: str,
        key: str,
        request: object,
        work: Callable[..., tuple[int, dict]],
        *,
        conflict: str = "this conflicts with what is already stored",
        prepare: Callable[[], object] | None = None,
        secret: tuple[str, ...] = (),
        peek: tuple[str, dict] | None = None,
    ) -> Outcome:
        """Run ``work`` once for (scope, key); a retry gets the stored answer back.

        ``prepare`` runs only when the key is new (before the write: photo decoding). The
        fields named in ``secret`` (a token) are stored only sealed with the client's key. ``peek``
        (a query of at most one row) is read in the same round trip as the key and handed to
        ``work`` as its second argument.
        """
        request_hash = digest(request) if not isinstance(request, str) else request
        if prepare is not None:  # costly preparation: skip it for a known key
            stored = self._stored(scope, key)
            if stored is not None:
                return self._replay(stored, request_hash, scope, key)
            prepare()
        where = {"scope": scope, "key": self.key_hash(scope, key)}
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
            found = sql.fetchrow(conn, lookup, where)
            if found[0] is not None:
                return None, found[:3]
            status, body = work(conn) if peek is None else work(conn, found[3:])
            stored_body = {k: v for k, v in body.items() if k not in secret}
            hidden = {k: body[k] for k in secret if k in body}
            if hidden:
                box = self._box(scope, key).encrypt(audit.canonical(hidden).encode())
                stored_body["sealed"] = base64.b64encode(bytes(box)).decode()
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
                return self._replay(stored, request_hash, scope, key)
            raise Conflict(conflict) from None
        if status is None:
            got_hash, got_status, response = body
            stored = (got_hash, got_status, json.loads(response))
            return self._replay(stored, request_hash, scope, key)
        return Outcome(status, body)

    def write(self, work: Callable[[Connection], object], conflict: str = "conflict"):
        """A state change that needs no idempotency key (staff actions)."""
        try:
            return self.writer.submit(work)
        except IntegrityError:
            raise Conflict(conflict) from None


def deadline(deadline: dt.datetime | None, what: str) -> None:
    if deadline is not None and now() > deadline:
        raise Forbidden(f"the deadline for {what} ({deadline.isoformat()}) has passed")


def require_role(account: Account, *roles: str) -> None:
    if account.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}")


def require_election(account: Account, election_id: str) -> None:
    if account.role != Role.ADMIN and account.election_id not in (None, election_id):
        raise Forbidden(f"this account belongs to election {account.election_id!r}")


def insert_row(conn: Connection, table: str, values: dict) -> int:
    """INSERT one row with plain SQL; returns its id."""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    row = sql.fetchrow(conn, f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id", values)
    return int(row[0])


def insert_account(conn: Connection, **values) -> int:
    values.setdefault("created_by", None)
    return insert_row(conn, "intake_accounts", {**values, "created_at": sql.stamp(conn, now())})


def insert_token(conn: Connection, account_id: int, lifetime_hours: float) -> str:
    """A new bearer token for the account, valid for ``lifetime_hours``."""
    token = new_token()
    at = now()
    sql.execute(
        conn,
        "INSERT INTO intake_tokens (token_hash, account_id, created_at, expires_at) "
        "VALUES (:hash, :account, :at, :expires)",
        {
            "hash": token_hash(token),
            "account": account_id,
            "at": sql.stamp(conn, at),
            "expires": sql.stamp(conn, at + dt.timedelta(hours=lifetime_hours)),
        },
    )
    return token


def revoke_tokens(conn: Connection, account_id: int, token: str | None = None) -> int:
    """Revoke one token of the account (``token``), or all its tokens; returns how many."""
    where = "account_id = :account AND revoked_at IS NULL"
    params: dict[str, Any] = {"account": account_id, "at": sql.stamp(conn, now())}
    if token is not None:
        where += " AND token_hash = :hash"
        params["hash"] = token_hash(token)
    return sql.execute(conn, f"UPDATE intake_tokens SET revoked_at = :at WHERE {where}", params)


def observed_station(ix: Intake, account: Account, election_id: str, station_id: str | None) -> str:
    if station_id is None:
        station_id = account.station_id
    if station_id is None:
        raise Invalid("station_id is needed")
    if account.station_id is not None and station_id != account.station_id:
        raise Forbidden(f"this account reports on station {account.station_id!r} only")
    ix.require_station(election_id, station_id)
    return station_id
