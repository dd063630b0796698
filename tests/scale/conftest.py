"""Fixtures for the scale tests: a real S3 API server (moto) on 127.0.0.1, a migrated store."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server started for this session (skips without moto)."""
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if server is None:
        pytest.skip("moto[server] is not installed (pip install -e '.[test]')")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("moto_server did not start")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh bucket and a client for it."""
    from honestcount.storage import s3_client

    client = s3_client(
        endpoint=s3_endpoint, region="us-east-1", access_key="test", secret_key="test-secret"
    )
    name = f"hc-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture
def queue_engine(db_url):
    from honestcount.store.db import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()
