"""`honestcount bot telegram` as a process: token from the environment, long polling against
the fake Bot API, submissions to a real intake."""

from __future__ import annotations

import asyncio
import os
import sys

from frontdoor.helpers import ELECTION, interrupt
from honestcount.frontdoor.fake_telegram import FakeTelegram
from honestcount.frontdoor.messages import LANGUAGE_NAMES, text

# Until the lead registers the group in honestcount.cli, import it explicitly.
MAIN = "import honestcount.cli.bot; from honestcount.cli import app; app()"


def test_the_command_runs_the_bot(sqlite_intake, tmp_path):
    db = f"sqlite:///{tmp_path / 'bot.db'}"

    async def scenario():
        telegram = FakeTelegram()
        api = await telegram.start()
        env = {
            **os.environ,
            "HONESTCOUNT_TELEGRAM_TOKEN": telegram.token,
            "HONESTCOUNT_TELEGRAM_API": api,
        }
        args = ["--db", db, "bot", "telegram", "-e", ELECTION, "--intake", sqlite_intake.url]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", MAIN, *args, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            voter = telegram.user(6006, "ru")
            voter.timeout = 60
            first = await voter.say("/start")
            second = await voter.say("Русский")
        finally:
            try:
                stderr = await interrupt(proc)
            finally:
                await telegram.stop()
        return first, second, stderr

    first, second, stderr = asyncio.run(scenario())
    assert {b["text"] for b in first[0].buttons()} == set(LANGUAGE_NAMES.values())
    assert second[0].text.startswith(
        text("ru", "ask_contact", button="", messenger="Telegram")[:30]
    )
    assert f"bot for {ELECTION}: long polling" in stderr


def test_the_command_wants_a_token(tmp_path):
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "HONESTCOUNT_TELEGRAM_TOKEN"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MAIN,
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "bot",
            "telegram",
            "-e",
            "x",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "HONESTCOUNT_TELEGRAM_TOKEN" in done.stderr
