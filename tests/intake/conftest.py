"""Fixtures for the intake tests."""

from __future__ import annotations

import pytest

from intake.helpers import open_service


@pytest.fixture
def service(db_url, tmp_path):
    api, svc = open_service(db_url, tmp_path)
    with svc.client:
        yield svc
    api.intake.close()
    svc.engine.dispose()
