"""Durability: a real server under load is killed with SIGKILL mid-run and restarted; every
submission it acknowledged is in the store exactly once, and retries of the others (with
the same Idempotency-Key) never count twice. Load is bounded in count and time, on
127.0.0.1 only."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from honestcount.intake.audit import verify as audit_verify
from honestcount.intake.organiser import issue_account
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election
from honestcount.store.tables import intake_accounts, intake_turnout
from intake.helpers import ELECTION, SECRET, make_settings, new_pg_database, small_election

MAX_SUBMISSIONS = 3000
MAX_SECONDS = 20.0
KILL_AFTER_ACKS = 250
CONCURRENCY = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, photo_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HONESTCOUNT_DB": db_url,
        "HONESTCOUNT_SECRET": SECRET,
        "HONESTCOUNT_PHOTO_DIR": str(photo_dir),
        "HONESTCOUNT_INTAKE_ACCOUNT_PER_MINUTE": "10000000",
        "HONESTCOUNT_INTAKE_ADDRESS_PER_MINUTE": "10000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_ADDRESS_PER_HOUR": "10000000",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "honestcount.intake.api:create_intake_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def turnout(i: int) -> dict:
    return {"observed_at": "2025-08-09T10:00:00Z", "count": i}


def key(i: int) -> str:
    return f"durability-{i:06d}"


async def load_until_killed(port: int, token: str, proc: subprocess.Popen) -> tuple[set, int]:
    """Submit turnout reports i = 0, 1, ... until the server is killed; returns the acked i."""
    acked: set[int] = set()
    sent = 0
    killed = asyncio.Event()
    start = time.monotonic()
    url = f"http://127.0.0.1:{port}/api/v1/elections/{ELECTION}/turnout"
    counter = iter(range(MAX_SUBMISSIONS))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        for i in counter:
            if killed.is_set() or time.monotonic() - start > MAX_SECONDS:
                return
            sent += 1
            try:
                r = await client.post(
                    url,
                    json=turnout(i),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key(i)},
                )
            except httpx.HTTPError:
                continue  # the connection died with the server: not acknowledged
            if r.status_code == 201:
                acked.add(i)
                if len(acked) >= KILL_AFTER_ACKS and not killed.is_set():
                    killed.set()
                    os.killpg(proc.pid, signal.SIGKILL)  # mid-run, requests in flight

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return acked, sent


def run_crash_test(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    save_election(engine, small_election())
    settings = make_settings(tmp_path / "photos")
    _, token = issue_account(
        engine, "observer", election_id=ELECTION, station_id="S1", settings=settings
    )
    log = tmp_path / "server.log"
    port = free_port()
    proc = start_server(db_url, tmp_path / "photos", port, log)
    try:
        acked, sent = asyncio.run(load_until_killed(port, token, proc))
    finally:
        kill(proc)
    assert len(acked) >= KILL_AFTER_ACKS, (len(acked), sent, log.read_text()[-2000:])

    def stored() -> list[int]:
        with engine.connect() as conn:
            return conn.execute(select(intake_turnout.c.count)).scalars().all()

    rows = stored()
    assert len(rows) == len(set(rows)), "a submission was stored twice"
    missing = acked - set(rows)
    assert not missing, f"{len(missing)} acknowledged submissions were lost: {sorted(missing)[:10]}"

    # Restart; retry everything that was sent, acknowledged or not, with the same keys.
    port = free_port()
    proc = start_server(db_url, tmp_path / "photos", port, log)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/elections/{ELECTION}/turnout"
        with httpx.Client(timeout=10) as client:
            for i in range(sent):
                r = client.post(
                    url,
                    json=turnout(i),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key(i)},
                )
                assert r.status_code == 201, r.text
                if i in acked:
                    assert r.headers.get("Idempotent-Replayed") == "true"
    finally:
        kill(proc)
    rows = stored()
    assert sorted(rows) == list(range(sent)), "after retries every submission is there once"
    assert audit_verify(engine).ok
    with engine.connect() as conn:
        assert conn.execute(select(intake_accounts.c.id)).all()
    engine.dispose()


def test_sigkill_mid_load_loses_nothing_acknowledged_sqlite(tmp_path):
    run_crash_test(f"sqlite:///{tmp_path / 'intake.db'}", tmp_path)


@pytest.mark.postgres
def test_sigkill_mid_load_loses_nothing_acknowledged_postgresql(tmp_path, pg_server_url):
    if not pg_server_url:
        pytest.skip("no PostgreSQL server (set HONESTCOUNT_TEST_PG_URL)")
    url, drop = new_pg_database(pg_server_url)
    try:
        run_crash_test(url, tmp_path)
    finally:
        drop()
