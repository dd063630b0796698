"""Fixtures for the public site: a store with Belarus 2020 (verified) and a tiny election whose
station ids are as awkward as real ones (spaces, slashes, Cyrillic, '?', '#', '%')."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from honestcount.checks.quality import findings
from honestcount.checks.verify import evidence_digest, report, station_frame, verify
from honestcount.model import BallotOption, Election, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.sources.golos import load_belarus_2020
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election
from honestcount.store.verdicts import save_verification

AWKWARD_IDS = [
    "Республика Адыгея (Адыгея) / 1 Адыгейская / 1",
    "Республика Адыгея (Адыгея) / 1 Адыгейская / 2",
    "Москва / Район #3 / 100% ?a=b&c",
    "plain-01",
]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (/usr/bin/chromium) with Playwright"
    )


def store_verified(engine, data) -> None:
    save_election(engine, data, findings=findings(data))
    v = verify(data)
    save_verification(
        engine,
        data.election.id,
        evidence_digest(data),
        dataclasses.asdict(v.verdicts.thresholds),
        report(v),
        station_frame(v),
    )


def awkward_election():
    """Four stations, no coordinates; one photo-proven falsification, one unknown protocol."""
    options = [
        BallotOption("a", "Анна & <Co>", OptionKind.CANDIDATE, 0),
        BallotOption("b", "Boris", OptionKind.CANDIDATE, 1),
        BallotOption("invalid", "Invalid", OptionKind.INVALID, 2),
    ]
    idx = pd.Index(AWKWARD_IDS, name="station_id")
    stations = pd.DataFrame(
        {
            "region": [
                "Республика Адыгея (Адыгея)",
                "Республика Адыгея (Адыгея)",
                "Москва",
                "Plainland",
            ],
            "district": ["1 Адыгейская", "1 Адыгейская", "Район #3", "P"],
            "town": [None, None, "Москва", "Plaintown"],
            "name": ["1", "2", "100", "Main street 1"],
            "registered_voters": [1000, 1200, 900, 500],
        },
        index=idx,
    )
    official = pd.DataFrame(
        {"a": [100, 200, 50, None], "b": [400, 300, 500, None], "invalid": [5, 6, 7, None]},
        index=idx,
    )
    photo = pd.DataFrame(
        {"a": [130, 10, None, 3], "b": [0, 1, None, 0], "invalid": [0, 0, None, 0]}, index=idx
    )
    lines = pd.DataFrame(
        {"ballots_cast": [505, 506, 557, None], "registered": [1000, 1200, 900, None]}, index=idx
    )
    return assemble(
        Election("awkward-1", "Awkward test election", "RU", None, "generic", "test"),
        options,
        stations,
        lines=lines,
        official=official,
        official_source="commission_feed",
        photo=photo,
        declared=photo * 2,
    )


@pytest.fixture(scope="session")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "site.db"
    engine = make_engine(f"sqlite:///{path}")
    store_verified(engine, load_belarus_2020())
    store_verified(engine, awkward_election())
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def engine(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def web_app(engine, tmp_path_factory):
    from honestcount.web.routes import router

    app = FastAPI()
    api = router(engine, cache_dir=tmp_path_factory.mktemp("cache"), background=False, freshness=0)
    app.include_router(api)
    app.state.site = api.state_site
    return app


@pytest.fixture(scope="session")
def client(web_app):
    with TestClient(web_app) as c:
        yield c
