"""Fixtures for the front door's tests: a real intake served on 127.0.0.1."""

from __future__ import annotations

import pytest

from frontdoor.helpers import IntakeServer, intake_env


@pytest.fixture
def intake_server(db_url, tmp_path, monkeypatch):
    for name, value in intake_env(str(tmp_path / "photos")).items():
        monkeypatch.setenv(name, value)
    server = IntakeServer(db_url)
    yield server
    server.close()


@pytest.fixture
def sqlite_intake(tmp_path, monkeypatch):
    for name, value in intake_env(str(tmp_path / "photos")).items():
        monkeypatch.setenv(name, value)
    server = IntakeServer(f"sqlite:///{tmp_path / 'bot.db'}")
    yield server
    server.close()
