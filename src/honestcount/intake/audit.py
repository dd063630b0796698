"""The audit log: every state change, who, when, through which channel, what; hash-chained.

Entries are spread over a few chains (by actor) so that concurrent writers do not queue on
one lock; each chain is a hash chain: ``hash = SHA-256(prev_hash, chain, chain_seq, at,
actor, role, channel, action, target, details)``. A silent edit, insertion or deletion
inside a chain breaks it; the head table holds each chain's last hash, so dropping entries
at the end shows too, unless the heads are rewritten as well. Against an attacker who
controls the database, publish :func:`verify` 's ``heads`` somewhere else from time to time
(they are 64 hex characters each): any later rewrite of history will not reach them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from honestcount.intake import sql
from honestcount.store.tables import intake_audit, intake_audit_heads

GENESIS = "0" * 64


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    prev_hash: str,
    chain: int,
    chain_seq: int,
    at: str,
    actor: int | None,
    role: str,
    channel: str,
    action: str,
    target: str,
    details: str,
) -> str:
    message = canonical(
        [prev_hash, chain, chain_seq, at, actor, role, channel, action, target, details]
    )
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    *,
    chains: int,
    actor: int | None,
    role: str,
    channel: str,
    action: str,
    target: str,
    details: dict | None = None,
    at: dt.datetime | None = None,
    chain: int | None = None,
    rows: dict[str, str | None] | None = None,
) -> str:
    """Append one entry inside ``conn``'s transaction; returns its hash.

    The chain is ``chain`` (a writer that batches many submissions in one transaction keeps
    to one chain, so that it holds one head lock) or else chosen by the actor. Call it last
    in a transaction: it locks the chain's head until the commit. ``rows`` (key -> digest of
    the row as written, None for a deleted one: see :mod:`honestcount.intake.translog`) goes
    into the details, so the entry vouches for the data it changed.
    """
    chain = (actor or 0) % chains if chain is None else chain % chains
    seq, prev = take_head(conn, chain, 1)
    stamp = (at or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds")
    text = canonical({**(details or {}), "rows": rows} if rows else (details or {}))
    digest = entry_hash(prev, chain, seq, stamp, actor, role, channel, action, target, text)
    params = {
        "chain": chain,
        "seq": seq,
        "at": stamp,
        "actor": actor,
        "role": role,
        "channel": channel,
        "action": action,
        "target": target,
        "details": text,
        "prev": prev,
        "hash": digest,
    }
    insert = (
        "INSERT INTO intake_audit (chain, chain_seq, at, actor, role, channel, action, target, "
        "details, prev_hash, hash) VALUES (:chain, :seq, :at, :actor, :role, :channel, "
        ":action, :target, :details, :prev, :hash)"
    )
    set_hash = "UPDATE intake_audit_heads SET hash = :hash WHERE chain = :chain"
    if sql.is_postgres(conn):  # one round trip for both
        sql.execute(conn, f"WITH entry AS ({insert} RETURNING 1) {set_hash}", params)
    else:
        sql.execute(conn, insert, params)
        sql.execute(conn, set_hash, params)
    return digest


def take_head(conn: Connection, chain: int, count: int) -> tuple[int, str]:
    """Reserve the next ``count`` numbers of ``chain``: (the first one, the hash the first
    entry links to). The head stays locked until the commit (PostgreSQL: a row lock; the
    SQLite writer holds the database lock anyway); the caller then sets its new hash."""
    take = (
        "UPDATE intake_audit_heads SET chain_seq = chain_seq + :count WHERE chain = :chain "
        "RETURNING chain_seq, hash"
    )
    params = {"chain": chain, "count": count}
    head = sql.fetchone(conn, take, params)
    if head is None:
        sql.execute(
            conn,
            "INSERT INTO intake_audit_heads (chain, chain_seq, hash) VALUES (:chain, 0, :hash) "
            "ON CONFLICT (chain) DO NOTHING",
            {"chain": chain, "hash": GENESIS},
        )
        head = sql.fetchrow(conn, take, params)
    return int(head[0]) - count + 1, str(head[1])


@dataclass
class AuditReport:
    """What :func:`verify` found. ``ok`` is False when any problem was found."""

    entries: int = 0
    chains: int = 0
    heads: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "chains": self.chains,
            "heads": {str(k): v for k, v in sorted(self.heads.items())},
            "problems": self.problems,
        }


def entry_columns() -> tuple[Any, ...]:
    """The columns an entry's hash is computed over (``verify`` and the transparency log)."""
    a = intake_audit.c
    return (a.seq, a.chain, a.chain_seq, a.at, a.actor, a.role, a.channel, a.action, a.target,
            a.details, a.prev_hash)  # fmt: skip


def verify(engine: Engine, *, max_problems: int = 100) -> AuditReport:
    """Recompute every chain of the audit log and compare with the stored heads."""
    report = AuditReport()
    a = intake_audit.c
    with engine.connect() as conn:
        heads = {r.chain: (r.chain_seq, r.hash) for r in conn.execute(select(intake_audit_heads))}
        rows = conn.execution_options(yield_per=10_000).execute(
            select(*entry_columns(), a.hash).order_by(a.chain, a.chain_seq)
        )
        state: dict[int, tuple[int, str]] = {}

        def problem(text: str) -> None:
            if len(report.problems) < max_problems:
                report.problems.append(text)

        for r in rows:
            report.entries += 1
            last_seq, last_hash = state.get(r.chain, (0, GENESIS))
            if r.chain_seq != last_seq + 1:
                problem(
                    f"chain {r.chain}: entry {r.chain_seq} follows {last_seq} "
                    "(entries missing or inserted)"
                )
            if r.prev_hash != last_hash:
                problem(f"chain {r.chain}: entry {r.chain_seq} does not link to the one before")
            expected = entry_hash(
                r.prev_hash,
                r.chain,
                r.chain_seq,
                r.at,
                r.actor,
                r.role,
                r.channel,
                r.action,
                r.target,
                r.details,
            )
            if expected != r.hash:
                problem(
                    f"chain {r.chain}: entry {r.chain_seq} (audit seq {r.seq}) was altered "
                    "after it was written"
                )
            # Continue from the stored hash so one edit is reported once, not for the rest.
            state[r.chain] = (r.chain_seq, r.hash)
    for chain in sorted(set(state) | set(heads)):
        got = state.get(chain, (0, GENESIS))
        head = heads.get(chain)
        if head is None:
            problem(f"chain {chain}: no head recorded")
        elif tuple(head) != got:
            problem(
                f"chain {chain}: head says entry {head[0]}, the log ends at entry {got[0]} "
                "(entries removed from the end, or the head was edited)"
            )
        report.heads[chain] = got[1]
    report.chains = len(report.heads)
    return report
