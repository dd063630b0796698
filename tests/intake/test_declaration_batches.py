"""Declarations written in batches (PostgreSQL): many at once from one process, each stored
once with its audit entry and row digest, retries answered from the stored record, a second
declaration of the same voter in the same moment applied after the first."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from honestcount.intake import translog, voters
from honestcount.intake.audit import verify as audit_verify
from honestcount.intake.core import Account
from honestcount.intake.errors import Invalid
from honestcount.store.tables import intake_audit, intake_declarations, intake_idempotency
from intake.helpers import ELECTION, open_service


@pytest.fixture
def service(pg_url, tmp_path):
    api, svc = open_service(pg_url, tmp_path)
    yield api.intake, svc
    api.intake.close()
    svc.engine.dispose()


def _voters(svc, n: int) -> list[Account]:
    out = []
    with svc.client:
        for i in range(n):
            body = svc.register(f"+3752955{i:05d}", f"S{i % 6 + 1}")
            out.append(Account(body["account_id"], "voter", ELECTION, f"S{i % 6 + 1}"))
    return out


def test_a_burst_of_declarations_is_stored_once_each_and_audited(service):
    ix, svc = service
    people = _voters(svc, 40)

    async def burst() -> list:
        calls = [
            voters.declare_async(ix, v, ELECTION, "ab"[i % 2], f"k-{v.id}", "api")
            for i, v in enumerate(people)
        ]
        # The same voter again in the same moment (a new key): applied after the first.
        calls.append(voters.declare_async(ix, people[0], ELECTION, "b", "k-again", "api"))
        # A retry of the first voter's first request: the same answer, replayed.
        calls.append(voters.declare_async(ix, people[1], ELECTION, "b", f"k-{people[1].id}", "api"))
        return list(await asyncio.gather(*calls, return_exceptions=True))

    answers = asyncio.run(burst())
    assert not [a for a in answers if isinstance(a, BaseException)]
    assert ix.declarations is not None  # the batched path was taken
    with svc.engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(intake_declarations.c.account_id, intake_declarations.c.option_id)
            ).all()
        )
        entries = conn.execute(
            select(intake_audit.c.details).where(intake_audit.c.action == "voter.declare")
        ).all()
        keys = conn.execute(select(intake_idempotency.c.scope)).all()
    assert len(stored) == 40
    assert stored[people[0].id] == "b"  # the later declaration won
    assert all(stored[v.id] == "ab"[i % 2] for i, v in enumerate(people[1:], start=1))
    assert len(entries) == 41  # 40 first declarations and one change; the retry wrote nothing
    assert len([k for k in keys if k.scope.startswith("acct:")]) == 41
    retry = answers[-1]
    first = answers[1]
    assert retry.replayed and retry.body == first.body
    assert audit_verify(svc.engine).ok
    head = translog.checkpoint(svc.engine, bytes(range(32)))
    report = translog.verify_against(svc.engine, head)
    assert report.problems == [] and report.rows_checked >= 40  # every row as its entry says


def test_a_batched_declaration_keeps_the_refusals(service):
    ix, svc = service
    (voter,) = _voters(svc, 1)

    async def twice() -> list:
        first = await voters.declare_async(ix, voter, ELECTION, "a", "same", "api")
        second = await asyncio.gather(
            voters.declare_async(ix, voter, ELECTION, "b", "same", "api"),
            return_exceptions=True,
        )
        return [first, *second]

    first, second = asyncio.run(twice())
    assert first.status == 200 and first.body["option_id"] == "a"
    assert isinstance(second, Invalid)  # the key was used for another choice


def test_a_request_whose_client_left_does_not_stop_the_batches(service):
    ix, svc = service
    first, second = _voters(svc, 2)

    async def leave_then_declare():
        gone = asyncio.ensure_future(voters.declare_async(ix, first, ELECTION, "a", "x", "api"))
        await asyncio.sleep(0)
        gone.cancel()  # the client went away while its declaration waited for its batch
        return await asyncio.wait_for(
            voters.declare_async(ix, second, ELECTION, "b", "y", "api"), timeout=20
        )

    later = asyncio.run(leave_then_declare())
    assert later.status == 200 and later.body["option_id"] == "b"
    with svc.engine.connect() as conn:
        stored = {r.account_id for r in conn.execute(select(intake_declarations.c.account_id))}
    assert second.id in stored  # the one whose client left may or may not have been written
