"""`serve --server granian --workers 2` on PostgreSQL: the intake answers through granian's
processes, declarations sent at once (batched per process) are each stored once, and a retry
with the same Idempotency-Key is answered from the stored record."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from intake.helpers import ELECTION, STATIONS, small_election
from sqlalchemy import func, select

from honestcount.intake import audit_verify
from honestcount.store import tables as t
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election
from scale.test_app_processes import _env, _free_port

API = f"/api/v1/elections/{ELECTION}"


def test_granian_workers_store_each_declaration_once(pg_url, tmp_path):
    engine = make_engine(pg_url)
    save_election(engine, small_election())
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "granian.log").open("w")
    cli = [sys.executable, "-m", "honestcount", "--db", pg_url, "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cli, "--server", "granian", "--workers", "2"],
        env=_env(tmp_path),
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "granian.log").read_text()
                time.sleep(0.2)

        def voter(i: int) -> tuple[str, str, int, int]:
            body = {"phone": f"+37529{3000000 + i}", "station_id": STATIONS[i % len(STATIONS)]}
            once = {"Idempotency-Key": uuid.uuid4().hex}
            registered = httpx.post(f"{base}{API}/voters", json=body, headers=once, timeout=30)
            assert registered.status_code == 201, registered.text
            token = registered.json()["token"]
            key = uuid.uuid4().hex
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
            choice = {"option_id": "ab"[i % 2]}
            first = httpx.post(f"{base}{API}/declarations", json=choice, headers=headers)
            again = httpx.post(f"{base}{API}/declarations", json=choice, headers=headers)
            return first.json()["receipt"], again.json()["receipt"], first.status_code, i

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(voter, range(48)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()

    assert all(status < 300 for _, _, status, _ in answers)
    assert all(first == again for first, again, _, _ in answers)  # the retry, not a new entry
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.intake_declarations)).scalar()
        per_option = dict(
            conn.execute(
                select(t.intake_declarations.c.option_id, func.count()).group_by(
                    t.intake_declarations.c.option_id
                )
            ).all()
        )
    assert stored == 48
    assert per_option == {"a": 24, "b": 24}
    assert audit_verify(engine).ok
    engine.dispose()
