"""The front door's tests: a real intake app served by uvicorn on 127.0.0.1, the fake Bot API,
and the real aiogram bot between them."""

from __future__ import annotations

import asyncio
import io
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import uvicorn
from PIL import Image

from honestcount.frontdoor.engine import Conversation
from honestcount.frontdoor.fake_telegram import FakeTelegram
from honestcount.frontdoor.gateway import HttpIntake
from honestcount.frontdoor.stations import StationDirectory
from honestcount.frontdoor.telegram import make_bot, polling
from honestcount.model import BallotOption, Election, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election

ELECTION = "bot-2025"
SECRET = "frontdoor-test-secret-" + "y" * 40
# Minsk written three ways finds these; "42" finds two stations.
STATIONS = pd.DataFrame(
    {
        "region": ["Minsk", "Minsk", "Minsk", "Brest", "Gomel", "Central"],
        "town": ["Minsk", "Minsk", "Minsk", "Brest", "Gomel", "Maladzyechna"],
        "name": [
            "School 12, Niezalezhnasci 4",
            "Gymnasium 3, Surhanava 20",
            "Library, Kalinouskaha 7",
            "School 1, Savetskaya 3",
            "Palace of culture, Lenina 10",
            "Club, Vilenskaya 2",
        ],
        "latitude": [53.90, 53.92, 53.95, 52.09, 52.43, None],
        "longitude": [27.56, 27.58, 27.65, 23.68, 31.00, None],
        "registered_voters": 1500.0,
    },
    index=pd.Index(
        ["07-001-0001", "07-001-0002", "07-002-0042", "01-010-0042", "03-001-0001", "05-001-0007"],
        name="station_id",
    ),
)
MINSK = {"07-001-0001", "07-001-0002", "07-002-0042"}


def election_data():
    options = [
        BallotOption("a", "Candidate A", OptionKind.CANDIDATE, 1),
        BallotOption("b", "Candidate B", OptionKind.CANDIDATE, 2),
        BallotOption("against", "Against all", OptionKind.AGAINST, 3),
    ]
    return assemble(Election(ELECTION, "Bot test election", "BY"), options, STATIONS)


def intake_env(photo_dir: str) -> dict[str, str]:
    """The environment of a test intake: a secret, and no limit a test could hit."""
    return {
        "HONESTCOUNT_SECRET": SECRET,
        "HONESTCOUNT_PHOTO_DIR": photo_dir,
        "HONESTCOUNT_INTAKE_ACCOUNT_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_ADDRESS_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_ADDRESS_PER_HOUR": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_STATION_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_PREFIX_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_TOKEN_CACHE_SECONDS": "0",
    }


class IntakeServer:
    """The whole application (intake mounted at /api/v1) under uvicorn in a thread."""

    def __init__(self, db_url: str, *, vote: bool = False) -> None:
        from honestcount.app import create_app

        self.db_url = db_url
        self.engine = make_engine(db_url)
        save_election(self.engine, election_data())
        self.app = create_app(db_url)
        if vote:  # as app.py will mount it
            from honestcount.frontdoor.webapp import vote_router

            self.app.router.routes[:0] = vote_router(self.engine).routes
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + "/api/v1"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self.thread.daemon = True
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the intake server did not start")
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.engine.dispose()


async def interrupt(proc: asyncio.subprocess.Process, seconds: float = 60) -> str:
    """SIGINT to a bot started as a process, and what it wrote to stderr once it stopped; a
    bot that does not stop within ``seconds`` is killed and fails the test with its output."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), seconds)
    except TimeoutError:
        proc.kill()
        _, stderr = await proc.communicate()
        raise AssertionError(
            f"the bot did not stop within {seconds:.0f} s of SIGINT; it said:\n{stderr.decode()}"
        ) from None
    return stderr.decode()


def ballot(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG of random blocks (distinct seeds are not near-duplicates)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(blocks, "RGB").resize(size, Image.Resampling.NEAREST).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Running:
    telegram: FakeTelegram
    conversation: Conversation
    intake: HttpIntake


@asynccontextmanager
async def running_bot(
    intake_url: str, db_url: str, gateway_token: str | None = None
) -> AsyncIterator[Running]:
    """The fake Bot API and the real aiogram bot polling it, talking to the intake (as its
    gateway account when ``gateway_token`` is given)."""
    telegram = FakeTelegram()
    api = await telegram.start()
    engine = make_engine(db_url, migrate=False)
    directory = StationDirectory.from_store(engine, ELECTION)
    engine.dispose()
    intake = HttpIntake(intake_url, channel="telegram", gateway_token=gateway_token)
    conversation = Conversation(intake, directory, ELECTION, b"test-key-secret")
    bot = make_bot(telegram.token, api)
    try:
        async with polling(conversation, bot, polling_timeout=1):
            yield Running(telegram, conversation, intake)
    finally:
        await intake.aclose()
        await telegram.stop()


def assert_no_axe_violation(page) -> None:
    """axe-core finds no serious or critical violation on the page."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = axe.Axe().run(page)
    bad = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad
