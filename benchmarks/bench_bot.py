"""Benchmark of the Telegram bot: simulated voters through aiogram, the fake Bot API and a real
intake (SQLite, uvicorn on 127.0.0.1), all in this process.

    python benchmarks/bench_bot.py [--users 1000] [--concurrency 200] [--transcript en]

Each voter sends 7 messages (/start, language, contact card, station, choice, photo, /skip)
and gets 10 answers; the figure is messages (in + out) per second, and the run fails if any
voter's receipt, account, declaration or photo is missing. ``--transcript LANG`` prints one
voter's conversation instead (the README's example).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from frontdoor.helpers import IntakeServer, ballot, intake_env, running_bot  # noqa: E402

from honestcount.frontdoor.fake_telegram import simulate_voters  # noqa: E402
from honestcount.frontdoor.messages import LANGUAGE_NAMES  # noqa: E402
from honestcount.store import tables as t  # noqa: E402


async def load(server: IntakeServer, users: int, concurrency: int) -> None:
    async with running_bot(server.url, server.db_url) as run:
        result = await simulate_voters(
            run.telegram,
            users,
            station="07-001-0002",
            option_label="Candidate A",
            photo=lambda i: ballot(100_000 + i, (96, 72)),
            concurrency=concurrency,
        )
    with server.engine.connect() as conn:
        stored = [
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.intake_declarations, t.intake_photos)
        ]
    print(
        f"{result.users} voters ({concurrency} at once): {result.messages_in} messages in, "
        f"{result.messages_out} out in {result.seconds:.1f} s = "
        f"{result.messages_per_second:.0f} messages/s; {result.retries} sent again after "
        f"'busy'; receipts {result.completed}, "
        f"declarations {stored[0]}, photos {stored[1]}"
    )
    if not result.completed == stored[0] == stored[1] == users:
        raise SystemExit("LOST: some voter's submission did not arrive")


async def transcript(server: IntakeServer, lang: str) -> None:
    search = {"be": "Мінск", "ru": "Минск", "en": "Minsk"}[lang]
    async with running_bot(server.url, server.db_url) as run:
        voter = run.telegram.user(1, lang)
        await voter.say("/start")
        await voter.say(LANGUAGE_NAMES[lang])
        await voter.share_contact("+375291234567")
        found = await voter.say(search)
        station = [b["text"] for b in found[0].buttons() if b["text"].startswith("07-001-0002")]
        await voter.say(station[0], expect=2)
        await voter.say("Candidate B", expect=2)
        await voter.send_photo(ballot(1))
        await voter.say("/skip")
        await voter.say("/status", expect=2)
        print(run.telegram.transcript(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--transcript", choices=sorted(LANGUAGE_NAMES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(intake_env(str(Path(tmp) / "photos")))
        server = IntakeServer(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            if args.transcript:
                asyncio.run(transcript(server, args.transcript))
            else:
                asyncio.run(load(server, args.users, args.concurrency))
        finally:
            server.close()


if __name__ == "__main__":
    main()
