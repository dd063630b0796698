"""Linkage against the store: score every record pair, keep the links, assign people, and
the review queue where a person decides what the model could not.

The scored pairs are stored (``ledger_links``) from :data:`~honestcount.ledger.linkage.REVIEW_LOW`
up, and pairs that cannot be one person (``ledger_apart``: birth years or given names
disagree, see :func:`~honestcount.ledger.linkage.conflicts`); reviewers' decisions stay across
runs. Who is who is then a pure function of the links
and the lists, computed without the key (:func:`current_clusterings`), so public figures can
be recomputed by a process that cannot read a single name.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, delete, insert, select, update

from honestcount.errors import InputError, NotFoundError
from honestcount.ledger import access, linkage
from honestcount.ledger.crypto import Vault
from honestcount.store import tables as t
from honestcount.store.db import bulk_insert


def load_features(conn: Connection, vault: Vault) -> pd.DataFrame:
    """Linkage features of every record, decrypted in memory."""
    rows = []
    for rid, source, key_id, payload in conn.execute(
        select(
            t.ledger_records.c.id,
            t.ledger_records.c.source_id,
            t.ledger_records.c.key_id,
            t.ledger_records.c.payload,
        ).order_by(t.ledger_records.c.id)
    ):
        vault.check(key_id)
        features = dict(vault.open(payload)["f"])
        features["unique_id"], features["source"] = rid, source
        rows.append(features)
    return linkage.feature_frame(rows)


def link(
    engine: Engine,
    vault: Vault,
    *,
    review_low: float = linkage.REVIEW_LOW,
    review_high: float = linkage.REVIEW_HIGH,
    train: bool | None = None,
    seed: int = 42,
    actor: str = "cli",
) -> dict[str, Any]:
    """Score all record pairs with Splink, store the links and assign every record a person.

    Returns counts only: records, pairs stored, pairs to review, and people under the three
    readings of the linkage (see :func:`honestcount.ledger.linkage.clusterings`).
    """
    if not 0 < review_low < review_high <= 1:
        raise InputError("thresholds must satisfy 0 < review_low < review_high <= 1")
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    with engine.connect() as conn:
        frame = load_features(conn, vault)
    decrypt_s = time.perf_counter() - clock
    scored = linkage.score(frame, train=train, seed=seed, threshold=review_low)
    score_s = time.perf_counter() - clock - decrypt_s
    pairs = scored.pairs[scored.pairs["probability"] >= review_low]
    by_id = frame.set_index("unique_id")
    apart = linkage.conflicts(
        frame["unique_id"],
        by_id["birth_year"],
        by_id["given"],
        pairs,
        threshold=review_low,
    )
    with engine.begin() as conn:
        decided = _decided(conn)
        conn.execute(delete(t.ledger_links).where(t.ledger_links.c.status.in_(("auto", "review"))))
        conn.execute(delete(t.ledger_apart))
        run_id = conn.execute(
            insert(t.ledger_runs).returning(t.ledger_runs.c.id),
            {
                "started_at": started,
                "records": len(frame),
                "pairs": len(pairs),
                "review_low": review_low,
                "review_high": review_high,
                "trained": scored.trained,
                "model": scored.model,
            },
        ).scalar_one()
        keyed = pairs.set_index(["id_l", "id_r"])
        if len(decided):
            # reviewers' decisions stay; their scores are refreshed
            both = decided.set_index(["id_l", "id_r"]).index.intersection(keyed.index)
            for a, b in both:
                conn.execute(
                    update(t.ledger_links)
                    .where(and_(t.ledger_links.c.record_l == a, t.ledger_links.c.record_r == b))
                    .values(probability=float(keyed.loc[(a, b), "probability"]), run_id=run_id)
                )
            keyed = keyed.drop(both)
        new = keyed.reset_index()
        out = pd.DataFrame(
            {
                "record_l": new["id_l"].astype("int64"),
                "record_r": new["id_r"].astype("int64"),
                "probability": new["probability"].astype(float),
                "weight": new["weight"].astype(float),
                "status": ["auto" if p >= review_high else "review" for p in new["probability"]],
                "run_id": run_id,
            }
        )
        bulk_insert(conn, t.ledger_links, out)
        bulk_insert(conn, t.ledger_apart, _apart_rows(apart, decided, run_id))
        people = assign_persons(conn)
        summary = {
            "run": run_id,
            "records": int(len(frame)),
            "pairs": int(len(pairs)),
            "auto": int((out["status"] == "auto").sum()),
            "review": int((out["status"] == "review").sum()),
            "apart": int(len(apart)),
            "decided": int(len(decided)),
            "trained": scored.trained,
            "model": scored.used(),
            "people": people,
            "thresholds": {
                "review_low": review_low,
                "best": linkage.BEST,
                "review_high": review_high,
            },
            "seconds": {"decrypt": round(decrypt_s, 2), "score": round(score_s, 2)},
        }
        conn.execute(
            update(t.ledger_runs)
            .where(t.ledger_runs.c.id == run_id)
            .values(finished_at=dt.datetime.now(dt.UTC), summary=summary)
        )
        access.log(conn, actor, "link", detail={"run": run_id, "records": len(frame)})
    summary["seconds"]["total"] = round(time.perf_counter() - clock, 2)
    return summary


def _apart_rows(apart: pd.DataFrame, decided: pd.DataFrame, run_id: int) -> pd.DataFrame:
    """Conflicting pairs (see :func:`honestcount.ledger.linkage.conflicts`) as rows of
    ``ledger_apart``, so that people can be recomputed without the key; a reviewer's
    decision on a pair stands instead."""
    if len(decided):
        mine = pd.MultiIndex.from_frame(decided[["id_l", "id_r"]].astype("int64"))
        apart = apart[~pd.MultiIndex.from_frame(apart[["id_l", "id_r"]]).isin(mine)]
    return pd.DataFrame(
        {
            "record_l": apart["id_l"].astype("int64"),
            "record_r": apart["id_r"].astype("int64"),
            "run_id": run_id,
        }
    )


def _decided(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(
        select(t.ledger_links.c.record_l, t.ledger_links.c.record_r, t.ledger_links.c.status).where(
            t.ledger_links.c.status.in_(("confirmed", "rejected"))
        )
    ).all()
    return pd.DataFrame(rows, columns=["id_l", "id_r", "status"])


def _thresholds(conn: Connection) -> tuple[float, float]:
    row = conn.execute(
        select(t.ledger_runs.c.review_low, t.ledger_runs.c.review_high)
        .order_by(t.ledger_runs.c.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (linkage.REVIEW_LOW, linkage.REVIEW_HIGH)


def current_clusterings(conn: Connection) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Records (id, source, person) and the low/best/high clusterings, from the stored links
    and decisions. Needs no key. Records not yet linked are each their own person."""
    records = pd.DataFrame.from_records(
        _tuples(
            conn.execute(
                select(
                    t.ledger_records.c.id,
                    t.ledger_records.c.source_id,
                    t.ledger_records.c.person_id,
                    t.ledger_records.c.pinned,
                ).order_by(t.ledger_records.c.id)
            ).all()
        ),
        columns=["id", "source_id", "person_id", "pinned"],
    )
    links = pd.DataFrame.from_records(
        _tuples(
            conn.execute(
                select(
                    t.ledger_links.c.record_l,
                    t.ledger_links.c.record_r,
                    t.ledger_links.c.probability,
                    t.ledger_links.c.status,
                )
            ).all()
        ),
        columns=["id_l", "id_r", "probability", "status"],
    )
    low, high = _thresholds(conn)
    confirmed = links.loc[links["status"] == "confirmed", ["id_l", "id_r"]]
    pinned = _pinned_edges(records)
    if len(pinned):
        confirmed = pd.concat([confirmed, pinned], ignore_index=True)
    rejected = links.loc[links["status"] == "rejected", ["id_l", "id_r"]]
    apart = pd.DataFrame.from_records(
        _tuples(conn.execute(select(t.ledger_apart.c.record_l, t.ledger_apart.c.record_r))),
        columns=["id_l", "id_r"],
    )
    scored = links.loc[links["status"].isin(("auto", "review")), ["id_l", "id_r", "probability"]]
    sources = records.set_index("id")["source_id"]
    readings = linkage.clusterings(
        records["id"],
        scored,
        sources=sources,
        low=low,
        high=high,
        confirmed=confirmed,
        rejected=rejected,
        apart=apart,
    )
    return records, readings


def _tuples(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Plain tuples: pandas builds a frame from them far faster than from result rows."""
    return [tuple(r) for r in rows]


def _pinned_edges(records: pd.DataFrame) -> pd.DataFrame:
    """Records pinned by hand to one person are linked to each other."""
    pinned = records[records["pinned"].astype(bool) & records["person_id"].notna()]
    edges: list[tuple[int, int]] = []
    for _, group in pinned.groupby("person_id"):
        ids = sorted(group["id"].tolist())
        edges.extend((ids[0], other) for other in ids[1:])
    return pd.DataFrame(edges, columns=["id_l", "id_r"])


def assign_persons(conn: Connection) -> dict[str, int]:
    """Give every record the person of its ``best`` cluster, keeping person ids stable: a
    cluster keeps the id most of its records had (so consent and retention holds recorded on
    a person survive re-linking); new clusters get new persons; persons left without records
    are removed unless they hold a disclosure or a retention hold."""
    records, readings = current_clusterings(conn)
    if records.empty:
        return {"low": 0, "best": 0, "high": 0}
    best = readings["best"]
    records["cluster"] = best.reindex(records["id"]).to_numpy()
    size = records.groupby("cluster").size().rename("size")
    # each cluster keeps the person most of its records had (a record pinned by hand
    # outweighs any number of linked ones); larger clusters choose first
    held = records[records["person_id"].notna()].assign(
        person=lambda d: pd.to_numeric(d["person_id"]).astype("int64"),
        votes=lambda d: d["pinned"].astype(bool).map({True: 1_000_000, False: 1}),
    )
    votes = held.groupby(["cluster", "person"])["votes"].sum().reset_index()
    votes = votes.join(size, on="cluster").sort_values(
        ["size", "cluster", "votes", "person"], ascending=[False, True, False, True]
    )
    chosen: dict[int, int] = {}
    taken: set[int] = set()
    for cluster, person in zip(votes["cluster"].tolist(), votes["person"].tolist(), strict=True):
        if cluster not in chosen and person not in taken:
            chosen[cluster] = person
            taken.add(person)
    order = size.sort_values(ascending=False, kind="stable").index
    now = dt.datetime.now(dt.UTC)
    missing = [c for c in order if c not in chosen]
    if missing:
        result = conn.execute(
            insert(t.ledger_persons).returning(t.ledger_persons.c.id, sort_by_parameter_order=True),
            [{"created_at": now, "updated_at": now, "disclosure": "private"} for _ in missing],
        )
        for cluster, person in zip(missing, result.scalars().all(), strict=True):
            chosen[cluster] = person
    records["new_person"] = records["cluster"].map(chosen)
    old_person = pd.to_numeric(records["person_id"]).fillna(-1).astype("int64")
    changed = records[old_person != records["new_person"].astype("int64")]
    if len(changed):
        conn.execute(
            update(t.ledger_records)
            .where(t.ledger_records.c.id == bindparam("rid"))
            .values(person_id=bindparam("pid")),
            [
                {"rid": int(r), "pid": int(p)}
                for r, p in zip(changed["id"], changed["new_person"], strict=True)
            ],
        )
    drop_empty_persons(conn)
    return {name: int(series.nunique()) for name, series in readings.items()}


def drop_empty_persons(conn: Connection) -> None:
    used = select(t.ledger_records.c.person_id).where(t.ledger_records.c.person_id.is_not(None))
    conn.execute(
        delete(t.ledger_persons).where(
            t.ledger_persons.c.id.not_in(used),
            t.ledger_persons.c.disclosure == "private",
            t.ledger_persons.c.hold_until.is_(None),
        )
    )


# --- review ---------------------------------------------------------------------------------


def review_queue(
    engine: Engine, vault: Vault, *, actor: str, purpose: str = "linkage review", limit: int = 50
) -> list[dict[str, Any]]:
    """Uncertain pairs, most uncertain first, each with both records as a reviewer needs them
    (names and years decrypted, list, row, facts). Every record shown is logged as read."""
    with engine.begin() as conn:
        links = conn.execute(
            select(
                t.ledger_links.c.record_l, t.ledger_links.c.record_r, t.ledger_links.c.probability
            )
            .where(t.ledger_links.c.status == "review")
            .order_by(
                (t.ledger_links.c.probability - 0.5) * (t.ledger_links.c.probability - 0.5),
                t.ledger_links.c.record_l,
            )
            .limit(limit)
        ).all()
        ids = sorted({i for a, b, _ in links for i in (a, b)})
        shown = _records_for_review(conn, vault, ids)
        for rid in ids:
            access.log(
                conn,
                actor,
                "review",
                record_id=rid,
                person_id=shown[rid]["person"],
                purpose=purpose,
            )
    return [
        {"record_l": shown[a], "record_r": shown[b], "probability": round(float(p), 4)}
        for a, b, p in links
    ]


def _records_for_review(
    conn: Connection, vault: Vault, ids: list[int]
) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = conn.execute(
        select(
            t.ledger_records.c.id,
            t.ledger_records.c.key_id,
            t.ledger_records.c.payload,
            t.ledger_records.c.row_no,
            t.ledger_records.c.person_id,
            t.ledger_sources.c.name,
        )
        .join(t.ledger_sources)
        .where(t.ledger_records.c.id.in_(ids))
    ).all()
    facts = conn.execute(
        select(t.ledger_facts.c.record_id, t.ledger_facts.c.kind, t.ledger_facts.c.on_date,
               t.ledger_facts.c.place, t.ledger_facts.c.facility)
        .where(t.ledger_facts.c.record_id.in_(ids))
    ).all()  # fmt: skip
    by_record: dict[int, list[dict[str, Any]]] = {}
    for rid, kind, on, place, facility in facts:
        by_record.setdefault(rid, []).append(
            {
                "kind": kind,
                "date": on.isoformat() if on else None,
                "place": place,
                "facility": facility,
            }
        )
    out = {}
    for rid, key_id, payload, row_no, person, source in rows:
        vault.check(key_id)
        p = vault.open(payload)
        out[rid] = {
            "id": rid,
            "person": person,
            "source": source,
            "row": row_no,
            "name": p.get("name")
            or " ".join(x for x in (p.get("surname"), p.get("given"), p.get("patronymic")) if x),
            "birth_year": p.get("birth_year"),
            "birth_from": p.get("birth_from"),
            "facts": by_record.get(rid, []),
        }
    return out


def decide_pair(
    engine: Engine, record_a: int, record_b: int, same: bool, *, actor: str
) -> dict[str, Any]:
    """A reviewer's decision on a pair: the same person or not. Kept across linkage runs;
    people are reassigned at once."""
    a, b = sorted((int(record_a), int(record_b)))
    if a == b:
        raise InputError("a record is always the same person as itself")
    status = "confirmed" if same else "rejected"
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        found = (
            conn.execute(select(t.ledger_records.c.id).where(t.ledger_records.c.id.in_((a, b))))
            .scalars()
            .all()
        )
        if len(found) != 2:
            raise NotFoundError(f"no record {sorted({a, b} - set(found))}")
        existing = conn.execute(
            select(t.ledger_links.c.status).where(
                and_(t.ledger_links.c.record_l == a, t.ledger_links.c.record_r == b)
            )
        ).first()
        values = {"status": status, "decided_by": actor, "decided_at": now}
        if existing:
            conn.execute(
                update(t.ledger_links)
                .where(and_(t.ledger_links.c.record_l == a, t.ledger_links.c.record_r == b))
                .values(**values)
            )
        else:
            conn.execute(
                insert(t.ledger_links),
                {"record_l": a, "record_r": b, "probability": 1.0 if same else 0.0, **values},
            )
        people = assign_persons(conn)
        access.log(conn, actor, "decide", record_id=a, detail={"other": b, "same": same})
    return {"record_l": a, "record_r": b, "status": status, "people": people}


def pending_reviews(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(
            conn.execute(
                select(t.ledger_links.c.record_l).where(t.ledger_links.c.status == "review")
            ).all()
        )


__all__ = [
    "assign_persons",
    "current_clusterings",
    "decide_pair",
    "link",
    "load_features",
    "pending_reviews",
    "review_queue",
]
