"""Issue 17's done-when: two app processes and one photo worker on one PostgreSQL, under load;
one app process and the worker are SIGKILLed mid-load and started again. Every acknowledged
submission is stored exactly once, every photo processed exactly once, and a rate limit holds
across both app processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from intake.helpers import ELECTION, GPS_MARKER, SECRET, STATIONS, photo, small_election
from sqlalchemy import func, select

from honestcount.intake import audit_verify
from honestcount.jobs.photo import PHOTO_KIND
from honestcount.store import tables as t
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election
from honestcount.store.tables.jobs import jobs

VOTERS = 36
KILL_AFTER = 12  # voters fully acknowledged before the kills
ACCOUNT_PER_MINUTE = 30  # the limit checked across processes: a burst of 7, then 1 per 2 s
API = f"/api/v1/elections/{ELECTION}"
CLI = [sys.executable, "-m", "honestcount"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HONESTCOUNT_SECRET": SECRET,
        "HONESTCOUNT_PHOTO_DIR": str(tmp_path / "photos"),
        "HONESTCOUNT_STAGING_KEY": "test-staging-key-" + "s" * 32,
        "HONESTCOUNT_INTAKE_PHOTO_JOBS": "1",
        "HONESTCOUNT_INTAKE_PHOTO_JOB_LEASE_S": "3",
        "HONESTCOUNT_INTAKE_ACCOUNT_PER_MINUTE": str(ACCOUNT_PER_MINUTE),
        "HONESTCOUNT_INTAKE_ADDRESS_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_ADDRESS_PER_HOUR": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_STATION_PER_MINUTE": "1000000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_PREFIX_PER_MINUTE": "1000000",
    }


class Processes:
    """The app processes (one port each, as two hosts would be) and the photo worker."""

    def __init__(self, url: str, env: dict[str, str], log: Path) -> None:
        self.url, self.env, self.log = url, env, log
        self.ports = [_free_port(), _free_port()]
        self.apps = [self._app(p) for p in self.ports]
        self.worker = self._worker()
        for port in self.ports:
            self.wait_up(port)

    def _spawn(self, *args: str) -> subprocess.Popen:
        out = self.log.open("a")
        return subprocess.Popen(
            [*CLI, "--db", self.url, *args], env=self.env, stdout=out, stderr=out
        )

    def _app(self, port: int) -> subprocess.Popen:
        return self._spawn("serve", "--port", str(port))

    def _worker(self) -> subprocess.Popen:
        return self._spawn("worker", "--poll", "0.05")

    def wait_up(self, port: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the app on port {port} did not start: {self.log.read_text()}")

    def kill_and_restart(self) -> None:
        self.apps[0].send_signal(signal.SIGKILL)
        self.worker.send_signal(signal.SIGKILL)
        self.apps[0].wait()
        self.worker.wait()
        self.apps[0] = self._app(self.ports[0])
        self.worker = self._worker()
        self.wait_up(self.ports[0])

    def stop(self) -> None:
        for proc in [*self.apps, self.worker]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.apps, self.worker]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


class Client:
    """Sends each submission, with its own Idempotency-Key, until one app acknowledges it."""

    def __init__(self, ports: list[int]) -> None:
        self.bases = [f"http://127.0.0.1:{p}" for p in ports]
        self.acked: dict[str, list] = {"voters": [], "declarations": [], "photos": []}
        self.lock = threading.Lock()

    def send(self, prefer: int, path: str, **request) -> httpx.Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex, **request.pop("headers", {})}
        deadline = time.monotonic() + 90
        attempt = 0
        while time.monotonic() < deadline:
            base = self.bases[(prefer + attempt) % 2]
            attempt += 1
            try:
                r = httpx.post(base + path, headers=headers, timeout=30, **request)
            except httpx.TransportError:  # that process is down: the other one, same key
                time.sleep(0.05)
                continue
            if r.status_code < 300:
                return r
            assert r.status_code >= 500, r.text  # a refusal would be a bug here
            time.sleep(0.05)
        raise AssertionError(f"{path}: never acknowledged")

    def voter(self, i: int) -> None:
        body = {"phone": f"+37529{2000000 + i}", "station_id": STATIONS[i % len(STATIONS)]}
        token = self.send(i, f"{API}/voters", json=body).json()["token"]
        with self.lock:
            self.acked["voters"].append(token)
        auth = {"Authorization": f"Bearer {token}"}
        self.send(i + 1, f"{API}/declarations", json={"option_id": "ab"[i % 2]}, headers=auth)
        with self.lock:
            self.acked["declarations"].append(token)
        r = self.send(i, f"{API}/ballot-photos", content=photo(100 + i, gps=True), headers=auth)
        with self.lock:
            self.acked["photos"].append(r.json()["photo_id"])


def _limited_declarations(client: Client) -> tuple[int, float]:
    """Declarations of one fresh voter sent as fast as possible, alternating between the app
    processes: how many were admitted, and over how many seconds."""
    token = client.send(0, f"{API}/voters", json={"phone": "+375441234567", "station_id": "S1"})
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    admitted, started = 0, time.monotonic()
    for n in range(16):
        r = httpx.post(
            client.bases[n % 2] + f"{API}/declarations",
            json={"option_id": "ab"[n % 2]},
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        assert r.status_code in (200, 201, 429), r.text
        admitted += r.status_code < 300
    return admitted, time.monotonic() - started


def _job_in_hand(engine, seconds: float = 10) -> None:
    """Wait (a while) until the worker holds a photo job, so that the kill lands mid-job."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(jobs.c.id).where(jobs.c.state == "running")).first():
                return
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_app_processes_and_a_worker_survive_sigkill(db_url, tmp_path):
    engine = make_engine(db_url)
    save_election(engine, small_election())
    procs = Processes(db_url, _env(tmp_path), tmp_path / "processes.log")
    client = Client(procs.ports)
    try:
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(client.voter, i) for i in range(VOTERS)]
            while len(client.acked["photos"]) < KILL_AFTER:
                assert not any(f.done() and f.exception() for f in futures)
                time.sleep(0.01)
            _job_in_hand(engine)
            procs.kill_and_restart()  # mid-load: requests in flight at app 0, a job in hand
            for f in futures:
                f.result()
        admitted, seconds = _limited_declarations(client)
        deadline = time.monotonic() + 90
        while True:
            with engine.connect() as conn:
                done = conn.execute(
                    select(func.count()).where(jobs.c.kind == PHOTO_KIND, jobs.c.state == "done")
                ).scalar_one()
            if done >= VOTERS or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        procs.stop()

    # One limit for both processes: a burst of 7 and what refilled meanwhile (two limits
    # kept apart would admit about twice as many).
    refill = ACCOUNT_PER_MINUTE / 60 * seconds
    assert 7 <= admitted <= 7 + refill + 1, (admitted, seconds)

    acked = client.acked
    assert len(set(acked["voters"])) == len(acked["voters"]) == VOTERS
    p, d, a = t.intake_photos.c, t.intake_declarations.c, t.intake_audit.c
    with engine.connect() as conn:
        voters = conn.execute(
            select(func.count()).where(t.intake_accounts.c.role == "voter")
        ).scalar_one()
        declarations = conn.execute(select(func.count()).select_from(t.intake_declarations))
        photos = conn.execute(select(p.id, p.status, p.storage_key)).all()
        job_rows = conn.execute(select(jobs.c.state).where(jobs.c.kind == PHOTO_KIND)).all()
        retried = conn.execute(select(func.count()).where(jobs.c.attempts > 1)).scalar_one()
        processed = conn.execute(
            select(a.target, func.count()).where(a.action == "photo.processed").group_by(a.target)
        ).all()
        assert conn.execute(select(func.count(d.account_id))).scalar_one() == VOTERS + 1
    assert voters == VOTERS + 1  # + the rate-limited one
    assert declarations.scalar_one() == VOTERS + 1
    assert sorted(r.id for r in photos) == sorted(acked["photos"])  # stored exactly once
    assert {r.status for r in photos} == {"pending"}  # every photo processed...
    assert [s for (s,) in job_rows] == ["done"] * VOTERS
    assert sorted(processed) == sorted((f"photo:{i}", 1) for i in acked["photos"])  # ...once
    assert audit_verify(engine).ok
    print(f"photo jobs run again after the kill: {retried}")
    stored = [f for f in (tmp_path / "photos").rglob("*.jpg") if "incoming" not in f.parts]
    assert len(stored) == VOTERS
    assert not any(GPS_MARKER.encode() in f.read_bytes() for f in stored)
    engine.dispose()
