"""The transparency log: the audit entries as leaves of a Merkle tree, signed tree heads,
consistency and inclusion proofs, and digests of the data rows each entry changed.

Every audit entry names the rows its change wrote (``details.rows``: a key per row and the
SHA-256 of the row as stored, or null for a row it deleted). :func:`checkpoint` gives every
entry not yet in the tree its leaf number, and signs the tree head (size, root, time) with the
Ed25519 key of ``IntakeSettings.log_key``; that head can be published anywhere.
:func:`verify_against` then proves from the database alone that the current log extends a
published head (an RFC 9162 consistency proof, returned so anyone can re-check it) and that
every covered data row still matches the digest its last entry logged. Cutting and rewinding
the log, deleting a chain, emptying the log, editing an entry or a data row: each is reported,
with what changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from sqlalchemy import Connection, Engine, and_, func, select, update

from honestcount.intake import audit, merkle
from honestcount.store import tables as t
from honestcount.store.tables import intake_audit, intake_log_heads

LOG_ID = "honestcount-intake-log/v1"
PHOTO_SOURCE = "photographed_protocol"
INTAKE_SOURCE = "intake"

# Intake tables whose every row is covered, and the columns that name a row.
COVERED: dict[str, tuple[str, ...]] = {
    "intake_accounts": ("id",),
    "intake_declarations": ("account_id",),
    "intake_photos": ("id",),
    "intake_protocol_entries": ("id",),
    "intake_protocol_results": ("election_id", "station_id"),
    "intake_turnout": ("id",),
    "intake_violations": ("id",),
    "intake_settings": ("election_id",),
}


# ---------------------------------------------------------------------- row digests


def _plain(value: object) -> object:
    """One form for a value whichever database returned it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, Decimal | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def row_key(table: str, values: Any) -> str:
    return f"{table}:{audit.canonical([_plain(v) for v in values])}"


# Columns a migration added to a logged table after rows were logged: left out of a row's
# digest while empty, so that rows logged before the upgrade keep their digests.
ADDED_LATER: dict[str, frozenset[str]] = {
    "intake_accounts": frozenset({"verification"}),  # 0011
    "intake_settings": frozenset({"min_verification"}),  # 0011
}


def row_digest(table: str, row: Any) -> str:
    later = ADDED_LATER.get(table, frozenset())
    columns = [
        c.name
        for c in t.metadata.tables[table].columns
        if not (c.name in later and row[c.name] is None)
    ]
    text = audit.canonical([table, [_plain(row[c]) for c in columns]])
    return hashlib.sha256(text.encode()).hexdigest()


def rows(conn: Connection, table: str, **where: Any) -> dict[str, str | None]:
    """Keys and digests of the rows of a covered ``table`` matching ``where`` (as stored now,
    inside the caller's transaction); a key named in full that has no row maps to None."""
    tab = t.metadata.tables[table]
    keys = COVERED[table]
    found = (
        conn.execute(select(tab).where(and_(*(tab.c[k] == v for k, v in where.items()))))
        .mappings()
        .all()
    )
    out: dict[str, str | None] = {
        row_key(table, [r[k] for k in keys]): row_digest(table, r) for r in found
    }
    if not found and set(where) == set(keys):
        out[row_key(table, [where[k] for k in keys])] = None
    return out


def official_rows(conn: Connection, election_id: str, station_id: str) -> dict[str, str | None]:
    """The photographed protocol of a station (lines and votes) as one covered row."""
    s, lines, votes = t.stations.c, t.protocol_lines.c, t.official_votes.c
    pk = conn.execute(
        select(s.pk).where(s.election_id == election_id, s.station_id == station_id)
    ).scalar()
    key = row_key("official", [election_id, station_id])
    if pk is None:
        return {key: None}
    got = {
        "lines": sorted(
            conn.execute(
                select(lines.line, lines.value).where(
                    lines.station_pk == pk, lines.source == PHOTO_SOURCE
                )
            ).all()
        ),
        "votes": sorted(
            conn.execute(
                select(votes.option_id, votes.votes).where(
                    votes.station_pk == pk, votes.source == PHOTO_SOURCE
                )
            ).all()
        ),
    }
    if not got["lines"] and not got["votes"]:
        return {key: None}
    text = audit.canonical({k: [[a, _plain(b)] for a, b in v] for k, v in got.items()})
    return {key: hashlib.sha256(text.encode()).hexdigest()}


def evidence_rows(conn: Connection, election_id: str) -> dict[str, str | None]:
    """The intake's rows of ``voter_evidence`` for an election, as one covered row."""
    s, v = t.stations.c, t.voter_evidence.c
    found = conn.execute(
        select(s.station_id, v.option_id, v.declared, v.photo)
        .select_from(t.voter_evidence.join(t.stations, s.pk == v.station_pk))
        .where(s.election_id == election_id, v.source == INTAKE_SOURCE)
        .order_by(s.station_id, v.option_id)
    ).all()
    text = audit.canonical([[_plain(x) for x in r] for r in found])
    return {row_key("evidence", [election_id]): hashlib.sha256(text.encode()).hexdigest()}


# ---------------------------------------------------------------------- signed tree heads


def signing_key(key: SigningKey | bytes | str) -> SigningKey:
    """An Ed25519 key from a key, its 32-byte seed, or the seed in hex."""
    if isinstance(key, SigningKey):
        return key
    seed = bytes.fromhex(key.strip()) if isinstance(key, str) else key
    if len(seed) != 32:
        raise ValueError("the log key must be 32 bytes (64 hex characters)")
    return SigningKey(seed)


def _signed_part(head: Mapping[str, Any]) -> bytes:
    fields = ("log", "tree_size", "root_hash", "timestamp", "public_key")
    return audit.canonical({k: head[k] for k in fields}).encode()


def _leaf_rows(conn: Connection) -> list[Any]:
    a = intake_audit.c
    return list(
        conn.execute(
            select(a.leaf, *audit.entry_columns()).where(a.leaf.is_not(None)).order_by(a.leaf)
        ).all()
    )


def _entry_hash(r: Any) -> str:
    """The entry's hash recomputed from its fields (never the stored one)."""
    return audit.entry_hash(
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


def _sequence(conn: Connection) -> None:
    """Give every entry outside the tree the next leaf numbers, in the order of ``seq``."""
    a = intake_audit.c
    if conn.dialect.name == "postgresql":  # one sequencer at a time
        conn.exec_driver_sql("LOCK TABLE intake_log_heads IN EXCLUSIVE MODE")
    top = conn.execute(select(func.max(a.leaf))).scalar()
    nxt = 0 if top is None else top + 1
    pending = conn.execute(select(a.seq).where(a.leaf.is_(None)).order_by(a.seq)).scalars()
    for offset, seq in enumerate(list(pending)):
        conn.execute(update(intake_audit).where(a.seq == seq).values(leaf=nxt + offset))


def checkpoint(engine: Engine, key: SigningKey | bytes | str) -> dict[str, Any]:
    """Sequence new entries into the tree and return its signed head (also stored)."""
    signer = signing_key(key)
    with engine.begin() as conn:
        _sequence(conn)
        leaves = [merkle.leaf_hash(bytes.fromhex(_entry_hash(r))) for r in _leaf_rows(conn)]
        head: dict[str, Any] = {
            "log": LOG_ID,
            "tree_size": len(leaves),
            "root_hash": merkle.root(leaves).hex(),
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "public_key": signer.verify_key.encode().hex(),
        }
        head["signature"] = signer.sign(_signed_part(head)).signature.hex()
        conn.execute(intake_log_heads.delete().where(intake_log_heads.c.tree_size == len(leaves)))
        conn.execute(
            intake_log_heads.insert().values(
                tree_size=head["tree_size"],
                root_hash=head["root_hash"],
                timestamp=head["timestamp"],
                public_key=head["public_key"],
                signature=head["signature"],
            )
        )
    return head


def latest_head(engine: Engine) -> dict[str, Any] | None:
    """The last signed tree head stored by :func:`checkpoint`."""
    h = intake_log_heads.c
    with engine.connect() as conn:
        row = conn.execute(select(intake_log_heads).order_by(h.tree_size.desc()).limit(1)).first()
    if row is None:
        return None
    return {"log": LOG_ID, **row._asdict()}


def check_head(head: Mapping[str, Any], public_key: str | None = None) -> str | None:
    """Why ``head`` is not a valid signed tree head (None when it is)."""
    try:
        if head.get("log") != LOG_ID:
            return f"not a head of this log ({head.get('log')!r})"
        if public_key is not None and head["public_key"] != public_key:
            return "signed with another key than the one expected"
        VerifyKey(bytes.fromhex(head["public_key"])).verify(
            _signed_part(head), bytes.fromhex(head["signature"])
        )
    except BadSignatureError:
        return "the signature does not match the head (the head was altered)"
    except (KeyError, ValueError, TypeError) as exc:
        return f"the head cannot be read ({type(exc).__name__})"
    return None


def sign_receipt(key: SigningKey | bytes | str, entry: str) -> dict[str, str]:
    """A signed promise that the entry ``entry`` (its hash) is in the log."""
    signer = signing_key(key)
    message = f"{LOG_ID}\0receipt\0{entry}".encode()
    return {
        "entry": entry,
        "public_key": signer.verify_key.encode().hex(),
        "signature": signer.sign(message).signature.hex(),
    }


def inclusion(engine: Engine, entry: str, tree_size: int | None = None) -> dict[str, Any] | None:
    """The proof that entry ``entry`` is leaf ``leaf_index`` of the tree of ``tree_size``
    leaves (default: all); None when it is not in that tree (yet)."""
    with engine.connect() as conn:
        found = _leaf_rows(conn)
    hashes = [_entry_hash(r) for r in found]
    size = len(hashes) if tree_size is None else tree_size
    if entry not in hashes[:size]:
        return None
    index = hashes.index(entry)
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes[:size]]
    return {
        "entry": entry,
        "leaf_index": index,
        "tree_size": size,
        "audit_path": [p.hex() for p in merkle.inclusion_proof(leaves, index)],
    }


def verify_receipt(
    receipt: Mapping[str, Any], proof: Mapping[str, Any], head: Mapping[str, Any]
) -> bool:
    """Anyone's check: the receipt is the log's, and the proof puts it in the published head."""
    if check_head(head) is not None or proof.get("tree_size") != head["tree_size"]:
        return False
    try:
        VerifyKey(bytes.fromhex(receipt["public_key"])).verify(
            f"{LOG_ID}\0receipt\0{receipt['entry']}".encode(), bytes.fromhex(receipt["signature"])
        )
    except (BadSignatureError, KeyError, ValueError):
        return False
    return receipt["public_key"] == head["public_key"] and merkle.verify_inclusion(
        merkle.leaf_hash(bytes.fromhex(receipt["entry"])),
        int(proof["leaf_index"]),
        int(proof["tree_size"]),
        [bytes.fromhex(p) for p in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )


# ---------------------------------------------------------------------- verification


@dataclass
class LogReport:
    """What :func:`verify_against` found; ``ok`` when nothing."""

    head_size: int = 0
    tree_size: int = 0
    entries: int = 0
    rows_checked: int = 0
    consistency_proof: list[str] = field(default_factory=list)
    root_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "head_size": self.head_size,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "entries": self.entries,
            "rows_checked": self.rows_checked,
            "consistency_proof": self.consistency_proof,
            "problems": self.problems,
        }


def _check_tree(report: LogReport, found: list[Any], head: Mapping[str, Any]) -> None:
    numbers = [r.leaf for r in found]
    expected = set(range(numbers[-1] + 1)) if numbers else set()
    missing = sorted(expected - set(numbers))
    if missing:
        report.problems.append(
            f"leaves {_ranges(missing)} are missing from the tree (entries deleted)"
        )
    leaves = [merkle.leaf_hash(bytes.fromhex(_entry_hash(r))) for r in found]
    size, m = len(leaves), int(head["tree_size"])
    report.tree_size = size
    report.root_hash = merkle.root(leaves).hex()
    if size < m:
        report.problems.append(
            f"the published head has {m} entries, the log has {size}: "
            f"{m - size} entries were removed (the log was cut, rewound or emptied)"
        )
        return
    proof = merkle.consistency_proof(leaves, m)
    report.consistency_proof = [p.hex() for p in proof]
    if not merkle.verify_consistency(
        m, size, bytes.fromhex(head["root_hash"]), merkle.root(leaves), proof
    ):
        report.problems.append(
            f"the log does not extend the published head: its first {m} entries are not "
            "those the head signed (history rewritten)"
        )


def _ranges(numbers: list[int]) -> str:
    parts, start = [], numbers[0]
    for a, b in zip(numbers, numbers[1:] + [None], strict=True):
        if b != a + 1:
            parts.append(str(start) if start == a else f"{start}-{a}")
            start = b  # type: ignore[assignment]
    return ", ".join(parts[:20])


def logged_rows(conn: Connection) -> dict[str, tuple[str | None, int]]:
    """The last digest the log holds for each covered row, with the audit seq that holds it."""
    a = intake_audit.c
    out: dict[str, tuple[str | None, int]] = {}
    for seq, details in conn.execute(select(a.seq, a.details).order_by(a.seq)):
        try:
            named = json.loads(details).get("rows") or {}
        except (ValueError, AttributeError):
            continue
        for key, value in named.items():
            out[key] = (value, seq)
    return out


def _covered_now(conn: Connection) -> dict[str, str | None]:
    now: dict[str, str | None] = {}
    for table, keys in COVERED.items():
        tab = t.metadata.tables[table]
        for r in conn.execution_options(yield_per=10_000).execute(select(tab)).mappings():
            now[row_key(table, [r[k] for k in keys])] = row_digest(table, r)
    return now


def adopt(engine: Engine, *, chains: int = 16, channel: str = "cli") -> int:
    """Log the digests of covered rows the log holds none for (rows written before revision
    0006), in one ``log.adopt`` entry; returns how many. Run it once after the upgrade and
    before the first checkpoint: later, a row that appears unlogged was written behind the
    log's back, and adopting it would launder it (the entry shows that it was done)."""
    with engine.begin() as conn:
        logged = logged_rows(conn)
        fresh = {k: v for k, v in _covered_now(conn).items() if k not in logged}
        if fresh:
            audit.append(
                conn,
                chains=chains,
                actor=None,
                role="operator",
                channel=channel,
                action="log.adopt",
                target="log",
                details={"count": len(fresh)},
                rows=fresh,
            )
    return len(fresh)


def _check_rows(report: LogReport, conn: Connection, limit: int) -> None:
    logged = logged_rows(conn)
    now = _covered_now(conn)
    for key in logged:
        kind, _, rest = key.partition(":")
        if kind == "official":
            now.update(official_rows(conn, *json.loads(rest)))
        elif kind == "evidence":
            now.update(evidence_rows(conn, *json.loads(rest)))
    report.rows_checked = len(now)
    problems: list[str] = []
    for key in sorted(set(now) | set(logged)):
        got = now.get(key)
        want, seq = logged.get(key, (None, 0))
        if key not in logged:
            problems.append(f"{key}: a row the log never recorded (written behind its back)")
        elif got != want:
            what = "deleted" if got is None else "changed"
            if want is None:
                what = "re-created after its deletion"
            problems.append(f"{key}: {what} since audit entry {seq} logged it")
    report.problems.extend(problems[:limit])
    if len(problems) > limit:
        report.problems.append(f"... and {len(problems) - limit} more rows")


def verify_against(
    engine: Engine,
    head: Mapping[str, Any],
    *,
    public_key: str | None = None,
    max_problems: int = 100,
) -> LogReport:
    """Prove that the log extends ``head`` and that every covered row matches the log."""
    report = LogReport(head_size=int(head.get("tree_size", 0) or 0))
    bad = check_head(head, public_key)
    if bad is not None:
        report.problems.append(f"head: {bad}")
        return report
    with engine.connect() as conn:
        found = _leaf_rows(conn)
        report.entries = len(found)
        _check_tree(report, found, head)
        _check_rows(report, conn, max_problems)
    chains = audit.verify(engine, max_problems=max_problems)
    report.entries = chains.entries
    report.problems.extend(f"chain: {p}" for p in chains.problems)
    return report
