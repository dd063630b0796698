"""Issue 13, item 5: the audit log as a transparency log. A signed head published elsewhere
catches a log cut and rewound, a chain deleted with its head, an emptied log, an edited entry,
and edited data rows (a declaration, a photo's status, official votes, voter evidence)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from honestcount.intake import checkpoint, materialise_evidence, verify_against, verify_receipt
from honestcount.intake.translog import inclusion
from honestcount.store import tables as t
from intake.helpers import ELECTION, open_service, photo

API = f"/api/v1/elections/{ELECTION}"
LOG_KEY = "5e" * 32


@pytest.fixture
def busy(db_url, tmp_path):
    """An intake that has seen a bit of everything, and its first signed head."""
    api, svc = open_service(db_url, tmp_path, log_key=LOG_KEY)
    c = svc.client
    with c:
        voter = svc.register("+375290008001", "S2")
        declared = c.post(
            f"{API}/declarations", json={"option_id": "b"}, headers=svc.auth(voter["token"])
        )
        ballot = c.post(f"{API}/ballot-photos", content=photo(60), headers=svc.auth(voter["token"]))
        moderator = svc.account("moderator")
        c.post(
            f"/api/v1/moderation/photos/{ballot.json()['photo_id']}",
            json={"decision": "accept"},
            headers=svc.auth(moderator["token"]),
        )
        observer = svc.account("observer", station="S2")
        shot = c.post(
            f"{API}/protocol-photos", content=photo(61), headers=svc.auth(observer["token"])
        )
        entry = {"lines": {"votes_counted": 300}, "votes": {"a": 200, "b": 100}}
        for _ in range(2):
            d = svc.account("digitiser")
            done = c.post(
                f"/api/v1/digitisation/photos/{shot.json()['photo_id']}/entries",
                json=entry,
                headers=svc.auth(d["token"]),
            )
        assert done.json()["official"] == "written", done.text
        materialise_evidence(svc.engine, ELECTION, settings=svc.settings)
        svc.head = checkpoint(svc.engine, LOG_KEY)
        svc.receipt = declared.json()["receipt"]
        yield svc
    api.intake.close()
    svc.engine.dispose()


def sql(svc, statement: str, **params) -> None:
    with svc.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_an_untouched_log_extends_its_head_and_receipts_check_out(busy):
    report = verify_against(busy.engine, busy.head)
    assert report.ok, report.problems
    assert report.tree_size == busy.head["tree_size"] > 10 and report.rows_checked > 10
    # The declaration's receipt is signed by the log key and included in the published head.
    proof = inclusion(busy.engine, busy.receipt["entry"], busy.head["tree_size"])
    assert verify_receipt(busy.receipt, proof, busy.head)
    forged = {**busy.receipt, "entry": "0" * 64}
    assert not verify_receipt(forged, proof, busy.head)
    # Later activity: the new head extends the old one (consistency proof) and still
    # includes the old receipt.
    busy.register("+375290008002", "S3")
    newer = checkpoint(busy.engine, LOG_KEY)
    assert newer["tree_size"] > busy.head["tree_size"]
    report = verify_against(busy.engine, busy.head)
    assert report.ok and report.consistency_proof, report.problems
    proof = inclusion(busy.engine, busy.receipt["entry"], newer["tree_size"])
    assert verify_receipt(busy.receipt, proof, newer)
    # A head that was edited after signing is refused.
    assert not verify_against(busy.engine, {**busy.head, "tree_size": 3}).ok


def _cut_and_rewind(svc) -> None:
    with svc.engine.begin() as conn:
        last = conn.execute(
            select(t.intake_audit.c.seq).order_by(t.intake_audit.c.seq.desc()).limit(3)
        ).scalars()
        for seq in list(last):
            conn.execute(text("DELETE FROM intake_audit WHERE seq = :s"), {"s": seq})
        # Rewind every head to the last entry left in its chain: the chains verify again.
        for chain, seq, digest in conn.execute(
            text(
                "SELECT chain, chain_seq, hash FROM intake_audit a WHERE chain_seq = "
                "(SELECT max(chain_seq) FROM intake_audit b WHERE b.chain = a.chain)"
            )
        ).all():
            conn.execute(
                text("UPDATE intake_audit_heads SET chain_seq = :q, hash = :h WHERE chain = :c"),
                {"q": seq, "h": digest, "c": chain},
            )


def _delete_chain(svc) -> None:
    with svc.engine.begin() as conn:
        chain = conn.execute(
            text("SELECT chain FROM intake_audit GROUP BY chain ORDER BY count(*) DESC")
        ).scalar()
        conn.execute(text("DELETE FROM intake_audit WHERE chain = :c"), {"c": chain})
        conn.execute(text("DELETE FROM intake_audit_heads WHERE chain = :c"), {"c": chain})


ATTACKS = {
    "cut and rewind": (_cut_and_rewind, "entries were removed"),
    # (When every entry happens to share one chain, deleting it empties the log.)
    "delete a chain": (_delete_chain, ("missing from the tree", "entries were removed")),
    "empty the log": (
        lambda s: sql(s, "DELETE FROM intake_audit") or sql(s, "DELETE FROM intake_audit_heads"),
        "the log has 0",
    ),
    "edit an entry": (
        lambda s: sql(
            s,
            "UPDATE intake_audit SET details = :d WHERE action = 'voter.declare'",
            d='{"option_id":"a"}',
        ),
        "does not extend the published head",
    ),
    "edit a declaration": (
        lambda s: sql(s, "UPDATE intake_declarations SET option_id = 'a'"),
        "intake_declarations:",
    ),
    "edit a photo's status": (
        lambda s: sql(
            s, "UPDATE intake_photos SET status = 'rejected' WHERE kind = 'ballot_front'"
        ),
        "intake_photos:",
    ),
    "edit official votes": (
        lambda s: sql(
            s,
            "UPDATE official_votes SET votes = votes + 100 WHERE source = 'photographed_protocol'",
        ),
        'official:["test-2025","S2"]: changed',
    ),
    "edit voter evidence": (
        lambda s: sql(s, "UPDATE voter_evidence SET photo = 25 WHERE source = 'intake'"),
        'evidence:["test-2025"]: changed',
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_every_rewrite_is_reported_with_what_changed(busy, attack):
    assert verify_against(busy.engine, busy.head).ok
    do, expected = ATTACKS[attack]
    do(busy)
    report = verify_against(busy.engine, busy.head)
    assert not report.ok
    wanted = (expected,) if isinstance(expected, str) else expected
    assert any(w in p for p in report.problems for w in wanted), report.problems


def test_anyone_checks_a_receipt_through_the_api(busy):
    c = busy.client
    head = c.get("/api/v1/log/head")
    assert head.status_code == 200 and head.json() == busy.head
    assert head.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    proof = c.get(
        "/api/v1/log/inclusion",
        params={"entry": busy.receipt["entry"], "tree_size": busy.head["tree_size"]},
    )
    assert proof.status_code == 200
    assert verify_receipt(busy.receipt, proof.json(), head.json())
    missing = c.get("/api/v1/log/inclusion", params={"entry": "f" * 64})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("table", "added"),
    [("intake_accounts", "verification"), ("intake_settings", "min_verification")],
)
def test_a_column_added_later_keeps_old_rows_digests(table, added):
    """Rows logged before migration 0011 added a column read it back as NULL: their digests
    must be what the code of the time computed, or `audit verify` would call them changed."""
    import hashlib

    from honestcount.intake import audit
    from honestcount.intake.translog import row_digest

    columns = [c.name for c in t.metadata.tables[table].columns]
    row = {name: f"value-{i}" for i, name in enumerate(columns)}
    row[added] = None
    before = [row[name] for name in columns if name != added]  # the table as 0010 had it
    logged = hashlib.sha256(audit.canonical([table, before]).encode()).hexdigest()
    assert row_digest(table, row) == logged
    assert row_digest(table, {**row, added: "messenger_contact"}) != logged
