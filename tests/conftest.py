"""Fixtures shared by the whole suite: real data folders and both database backends."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("HONESTCOUNT_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def russia_dir() -> Path:
    path = shared_dir() / "data" / "russia"
    if not path.exists():
        pytest.skip(f"shared Russian data not found at {path} (set HONESTCOUNT_SHARED)")
    return path


@pytest.fixture(scope="session")
def pg_server_url() -> str | None:
    url = os.environ.get("HONESTCOUNT_TEST_PG_URL")
    if not url and os.environ.get("HONESTCOUNT_REQUIRE_PG"):
        pytest.fail("HONESTCOUNT_REQUIRE_PG is set but HONESTCOUNT_TEST_PG_URL is not")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, pg_server_url) -> str:
    """A fresh, empty database: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    yield from _fresh_pg(pg_server_url)


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def pg_url(pg_server_url) -> str:
    """A new PostgreSQL database, for what only PostgreSQL does (batched writes)."""
    yield from _fresh_pg(pg_server_url)


def _fresh_pg(pg_server_url: str | None):
    if not pg_server_url:
        pytest.skip("no PostgreSQL server (set HONESTCOUNT_TEST_PG_URL)")
    import psycopg

    name = f"hc_test_{uuid.uuid4().hex[:12]}"
    admin = pg_server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
