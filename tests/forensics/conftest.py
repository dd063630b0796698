"""Fixtures for the forensics tests: the Russian 2018 presidential election, read by the
ru-cec loader (found through HONESTCOUNT_SHARED, default <repo>/../shared; skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from honestcount.model import Election, ElectionData
from honestcount.sources.ru_cec import load_ru_cec

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HONESTCOUNT_SHARED", REPO.parent / "shared"))
RUSSIA_2018 = SHARED / "data" / "russia" / "2018.csv.zip"
PUTIN = "putin_vladimir_vladimirovich"


def russia_election_data(path: Path, election_id: str = "ru-2018-president") -> ElectionData:
    """The Russian CEC table through honestcount's own loader."""
    return load_ru_cec(path, Election(election_id, election_id, "RU", protocol_schema="ru-cec"))


@pytest.fixture(scope="session")
def russia_2018() -> ElectionData:
    if not RUSSIA_2018.exists():
        pytest.skip(f"{RUSSIA_2018} not found (set HONESTCOUNT_SHARED)")
    return russia_election_data(RUSSIA_2018)
