"""1,000 simulated voters through the real bot and intake at once: nothing is lost."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from frontdoor.helpers import ballot, running_bot
from honestcount.frontdoor.fake_telegram import simulate_voters
from honestcount.store import tables as t

USERS = 1000


@pytest.mark.slow
def test_a_thousand_voters_at_once(sqlite_intake, tmp_path):
    async def scenario():
        async with running_bot(sqlite_intake.url, f"sqlite:///{tmp_path / 'bot.db'}") as run:
            return await simulate_voters(
                run.telegram,
                USERS,
                station="07-001-0002",
                option_label="Candidate A",
                photo=lambda i: ballot(100_000 + i, (96, 72)),
            )

    result = asyncio.run(scenario())
    print(
        f"\n{result.users} voters, {result.messages_in} messages in, {result.messages_out} out, "
        f"{result.seconds:.1f} s: {result.messages_per_second:.0f} messages/s; "
        f"{result.retries} sent again after 'busy'"
    )
    assert result.completed == USERS
    # 7 messages and 10 answers per voter, and one more of each per "busy, send again"
    assert result.messages_in == 7 * USERS + result.retries
    assert result.messages_out == 10 * USERS + result.retries
    with sqlite_intake.engine.connect() as conn:
        voters = conn.execute(
            select(func.count()).where(t.intake_accounts.c.role == "voter")
        ).scalar_one()
        declared = conn.execute(
            select(func.count()).where(t.intake_declarations.c.option_id == "a")
        ).scalar_one()
        photos = conn.execute(
            select(func.count()).where(t.intake_photos.c.kind == "ballot_front")
        ).scalar_one()
    assert (voters, declared, photos) == (USERS, USERS, USERS)
