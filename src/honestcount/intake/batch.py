"""Declarations in batches on PostgreSQL: one transaction and a few statements per batch.

A declaration is the intake's most frequent write. Written one at a time it costs a
transaction, seven statements, a commit (a WAL flush) and two thread hand-offs. Here an
app process's pending declarations go to one thread, which writes them together: one
statement reads every request's idempotency record and current declaration, one upserts
the declarations (returning the rows as stored, for their digests), one takes the audit
chain's head for the whole batch, and one inserts the audit entries and the idempotency
records and moves the head. One commit, then every request gets its answer: acknowledged
still means committed.

What a declaration means is unchanged (see :func:`honestcount.intake.voters.declare`): a
retry with the same key gets the first answer back, a choice a ballot photo confirmed
cannot change, every change has its audit entry with the digest of the row it wrote. A batch
that fails as a whole (a key sent twice at once to two processes, a lost connection) is run
again one request at a time on the ordinary path, which sorts out each request's outcome.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from honestcount.intake import audit, sql, translog
from honestcount.intake.core import Account, Intake, Outcome, now
from honestcount.intake.db import settle
from honestcount.intake.errors import Conflict

# The ordinary path for one declaration: (intake, voter, election, option, key, channel).
Alone = Callable[[Intake, Account, str, str, str, str], Outcome]

COLUMNS = ("account_id", "election_id", "station_id", "option_id", "declared_at", "channel")
ROW = ", ".join(f"d.{c}" for c in COLUMNS)

# Each statement takes the batch as one JSON array of records (json_to_recordset): PostgreSQL
# parses it in C, where binding a list per column costs psycopg a Python loop per value.
LOOKUP = (
    f"SELECT r.n, i.request_hash, i.status, i.response, {ROW} "
    "FROM json_to_recordset(:rows::json) AS r(n int, scope text, key text, account int) "
    "LEFT JOIN intake_idempotency i ON i.scope = r.scope AND i.key = r.key "
    "LEFT JOIN intake_declarations d ON d.account_id = r.account"
)
# A new declaration, or a changed one unless a ballot photo confirmed the old choice
# (``checked``: the accounts whose change must pass that test, as in ``voters.declare``).
UPSERT = (
    f"INSERT INTO intake_declarations AS d ({', '.join(COLUMNS)}) "
    f"SELECT {', '.join(f'r.{c}' for c in COLUMNS)} FROM json_to_recordset(:rows::json) AS "
    "r(account_id int, election_id text, station_id text, option_id text, "
    "declared_at timestamptz, channel text) "
    "ON CONFLICT (account_id) DO UPDATE SET option_id = excluded.option_id, "
    "declared_at = excluded.declared_at, channel = excluded.channel "
    "WHERE NOT (d.account_id = ANY(:checked::int[])) OR NOT EXISTS (SELECT 1 FROM intake_photos "
    "p WHERE p.account_id = d.account_id AND p.kind = 'ballot_front' AND p.status = 'accepted') "
    f"RETURNING {ROW}"
)
ENTRIES = (
    "WITH entries AS (INSERT INTO intake_audit (chain, chain_seq, at, actor, role, channel, "
    "action, target, details, prev_hash, hash) SELECT :chain, r.seq, r.at, r.actor, r.role, "
    "r.channel, r.action, r.target, r.details, r.prev, r.hash FROM json_to_recordset("
    ":entries::json) AS r(seq int, at text, actor int, role text, channel text, action text, "
    "target text, details text, prev text, hash text) RETURNING 1), "
    "idem AS (INSERT INTO intake_idempotency (scope, key, request_hash, status, response, "
    "created_at) SELECT r.scope, r.key, r.request, r.status, r.response, r.created FROM "
    "json_to_recordset(:idem::json) AS r(scope text, key text, request text, status int, "
    "response text, created timestamptz) RETURNING 1) "
    "UPDATE intake_audit_heads SET hash = :head WHERE chain = :chain"
)
CONFIRMED = "your ballot photo confirmed your declared choice; it cannot be changed any more"


@functools.lru_cache(maxsize=1024)
def request_digest(option_id: str) -> str:
    """The stored hash of a declaration request (as ``Intake.submit`` computes it)."""
    return hashlib.sha256(
        audit.canonical({"op": "declare", "option": option_id}).encode()
    ).hexdigest()


@dataclass
class Pending:
    """One declaration waiting for its batch, already checked (role, option, deadline)."""

    voter: Account
    election_id: str
    option_id: str
    key: str
    channel: str
    future: Future
    scope: str = ""
    key_hash: str = ""


@dataclass
class Plan:
    """What a batch will write, request by request (``index`` into the batch)."""

    old: dict[int, str | None]
    rows: dict[int, dict[str, str | None]]
    write: list[int]
    replays: dict[int, tuple[str, int, str]]


class DeclarationBatcher:
    """One thread that writes the process's pending declarations in batches."""

    def __init__(self, ix: Intake, alone: Alone, max_batch: int = 256) -> None:
        self.ix = ix
        self.alone = alone
        self.engine: Engine = ix.writer_engine
        self.max_batch = max_batch
        self._queue: queue.Queue[Pending | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._loop, name="honestcount-declarations", daemon=True
        )
        self._thread.start()
        self._turn = 0

    async def declare(
        self, voter: Account, election_id: str, option_id: str, key: str, channel: str
    ) -> Outcome:
        future: Future = Future()
        self._queue.put(Pending(voter, election_id, option_id, key, channel, future))
        result: Outcome = await asyncio.wrap_future(future)
        return result

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    # ------------------------------------------------------------------ the thread

    def _loop(self) -> None:
        carry: list[Pending] = []
        while True:
            batch, carry, stop = self._next(carry)
            try:
                self._run(batch)
            except BaseException as exc:  # never leave a request waiting for ever
                for p in batch:
                    settle(p.future, error=exc)
            if stop and not carry:
                return

    def _next(self, carry: list[Pending]) -> tuple[list[Pending], list[Pending], bool]:
        """The next batch: at most one request per account (a second one waits for the
        next batch, so each is written after the one before it)."""
        batch: list[Pending] = []
        later: list[Pending] = []
        seen: set[int] = set()
        stop = False
        items: list[Pending | None] = list(carry)
        if not items:
            items.append(self._queue.get())
        while len(items) < self.max_batch:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if item is None:
                stop = True
            elif item.voter.id in seen or len(batch) >= self.max_batch:
                later.append(item)
            else:
                seen.add(item.voter.id)
                batch.append(item)
        return batch, later, stop

    def _run(self, batch: list[Pending]) -> None:
        # Rows locked in account order, as every process does: two batches that share
        # accounts wait for each other instead of deadlocking.
        batch.sort(key=lambda p: p.voter.id)
        for p in batch:
            p.scope = f"acct:{p.voter.id}"
            p.key_hash = self.ix.key_hash(p.scope, p.key)
        if not batch:
            return
        try:
            with self.engine.begin() as conn:
                answers = self._write(conn, batch)
        except Exception:  # the whole batch again, one at a time: each gets its own outcome
            for p in batch:
                self._alone(p)
            return
        for p, answer in zip(batch, answers, strict=True):
            if isinstance(answer, BaseException):
                settle(p.future, error=answer)
            else:
                settle(p.future, answer)

    def _alone(self, p: Pending) -> None:
        try:
            answer = self.alone(self.ix, p.voter, p.election_id, p.option_id, p.key, p.channel)
        except Exception as exc:
            settle(p.future, error=exc)
        else:
            settle(p.future, answer)

    def _write(self, conn: Connection, batch: list[Pending]) -> list[Any]:
        plan = self._plan(conn, batch)
        stamp = now()
        answers: list[Any] = [None] * len(batch)
        if plan.write:
            written = self._upsert(conn, batch, plan, stamp)
            for i in plan.write:
                if i in written:
                    plan.rows[i] = written[i]
                else:
                    answers[i] = Conflict(CONFIRMED)
        done = [i for i in range(len(batch)) if i not in plan.replays and answers[i] is None]
        if done:
            bodies = self._log(conn, batch, plan, done, stamp)
            for i, body in zip(done, bodies, strict=True):
                answers[i] = Outcome(200, body)
        for i, stored in plan.replays.items():
            answers[i] = self._replayed(batch[i], stored)
        return answers

    def _plan(self, conn: Connection, batch: list[Pending]) -> Plan:
        found = sql.fetchall(
            conn,
            LOOKUP,
            {
                "rows": json.dumps(
                    [
                        {"n": n, "scope": p.scope, "key": p.key_hash, "account": p.voter.id}
                        for n, p in enumerate(batch, start=1)
                    ]
                )
            },
        )
        plan = Plan({}, {}, [], {})
        for row in found:
            i = int(row[0]) - 1
            if row[1] is not None:
                plan.replays[i] = (row[1], row[2], row[3])
                continue
            old = row[4 + COLUMNS.index("option_id")]
            plan.old[i] = old
            if old == batch[i].option_id:
                plan.rows[i] = digest_row(row[4:])
            else:
                plan.write.append(i)
        return plan

    def _upsert(
        self, conn: Connection, batch: list[Pending], plan: Plan, stamp: dt.datetime
    ) -> dict[int, dict[str, str | None]]:
        items = [batch[i] for i in plan.write]
        at = stamp.isoformat()
        returned = sql.fetchall(
            conn,
            UPSERT,
            {
                "rows": json.dumps(
                    [
                        dict(
                            zip(
                                COLUMNS,
                                (
                                    p.voter.id,
                                    p.election_id,
                                    p.voter.station_id,
                                    p.option_id,
                                    at,
                                    p.channel,
                                ),
                                strict=True,
                            )
                        )
                        for p in items
                    ]
                ),
                "checked": [batch[i].voter.id for i in plan.write if plan.old[i] is not None],
            },
        )
        index = {batch[i].voter.id: i for i in plan.write}
        return {index[row[0]]: digest_row(row) for row in returned}

    def _log(
        self,
        conn: Connection,
        batch: list[Pending],
        plan: Plan,
        done: list[int],
        stamp: dt.datetime,
    ) -> list[dict]:
        """The audit entries and idempotency records of ``done``, and their answers."""
        self._turn += 1
        chain = (os.getpid() + self._turn) % self.ix.settings.audit_chains
        seq, prev = audit.take_head(conn, chain, len(done))
        at = stamp.isoformat(timespec="microseconds")
        entries: list[dict[str, Any]] = []
        bodies: list[dict] = []
        for i in done:
            p = batch[i]
            details = audit.canonical(
                {"option_id": p.option_id, "previous": plan.old[i], "rows": plan.rows[i]}
            )
            who, target = (p.voter.id, p.voter.role, p.channel), f"account:{p.voter.id}"
            entry = audit.entry_hash(prev, chain, seq, at, *who, "voter.declare", target, details)
            values = (seq, at, *who, "voter.declare", target, details, prev, entry)
            entries.append(dict(zip(ENTRY_FIELDS, values, strict=True)))
            prev, seq = entry, seq + 1
            bodies.append(
                {
                    "account_id": p.voter.id,
                    "election_id": p.election_id,
                    "station_id": p.voter.station_id,
                    "option_id": p.option_id,
                    "declared_at": stamp.isoformat(),
                    "receipt": self.ix.receipt(prev),
                }
            )
        sql.execute(
            conn,
            ENTRIES,
            {
                "entries": json.dumps(entries),
                "idem": json.dumps(
                    [
                        {
                            "scope": batch[i].scope,
                            "key": batch[i].key_hash,
                            "request": request_digest(batch[i].option_id),
                            "status": 200,
                            "response": audit.canonical(body),
                            "created": stamp.isoformat(),
                        }
                        for i, body in zip(done, bodies, strict=True)
                    ]
                ),
                "chain": chain,
                "head": prev,
            },
        )
        return bodies

    def _replayed(self, p: Pending, stored: tuple[str, int, str]) -> Outcome | BaseException:
        got_hash, status, response = stored
        try:
            return self.ix._replay(
                (got_hash, status, json.loads(response)),
                request_digest(p.option_id),
                p.scope,
                p.key,
            )
        except Exception as exc:
            return exc


ENTRY_FIELDS = ("seq", "at", "actor", "role", "channel", "action", "target", "details", "prev",
                "hash")  # fmt: skip


def digest_row(values: tuple) -> dict[str, str | None]:
    """The covered-row key and digest of a declaration (its columns in table order)."""
    row = dict(zip(COLUMNS, values, strict=True))
    return {
        translog.row_key("intake_declarations", [row["account_id"]]): translog.row_digest(
            "intake_declarations", row
        )
    }
