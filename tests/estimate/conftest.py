"""Fixtures for the estimate tests: the real Belarus 2020 evidence, read by the Golos loader
from the shared folder (HONESTCOUNT_SHARED, default <repo>/../shared; tests skip when absent),
and a small simulated election."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from honestcount.estimate.simulate import simulate
from honestcount.model import ElectionData
from honestcount.sources.golos import load_belarus_2020

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HONESTCOUNT_SHARED", REPO.parent / "shared"))
BELARUS_DIR = SHARED / "data" / "belarus-2020"


@pytest.fixture(scope="session")
def belarus_dir() -> Path:
    if not (BELARUS_DIR / "voice.csv").exists():
        pytest.skip(f"Belarus 2020 data not found at {BELARUS_DIR} (set HONESTCOUNT_SHARED)")
    return BELARUS_DIR


@pytest.fixture(scope="session")
def belarus(belarus_dir: Path) -> ElectionData:
    return load_belarus_2020(belarus_dir)


@pytest.fixture(scope="session")
def small_sim():
    """A small simulated election (1,500 stations) with its truth."""
    return simulate(seed=11, n_stations=1500)
