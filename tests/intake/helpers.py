"""Helpers for the intake tests: a small election in a real store, the API in-process, photos."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import ExifTags, Image

from honestcount.intake.api import router
from honestcount.intake.organiser import issue_account
from honestcount.model import BallotOption, Election, OptionKind
from honestcount.settings import IntakeSettings
from honestcount.sources.assemble import assemble
from honestcount.store.db import make_engine
from honestcount.store.repository import save_election

ELECTION = "test-2025"
SECRET = "test-secret-" + "x" * 40
STATIONS = [f"S{i}" for i in range(1, 7)]
GPS_MARKER = "HC-GPS-MARKER-55.7558N"


def small_election(election_id: str = ELECTION):
    options = [
        BallotOption("a", "Candidate A", OptionKind.CANDIDATE, 1),
        BallotOption("b", "Candidate B", OptionKind.CANDIDATE, 2),
        BallotOption("against", "Against all", OptionKind.AGAINST, 3),
        BallotOption("invalid", "Spoiled", OptionKind.INVALID, 4),
        BallotOption("abstain", "Will not vote", OptionKind.ABSTENTION, 5),
    ]
    stations = pd.DataFrame(
        {"region": "R", "name": [f"Station {s}" for s in STATIONS], "registered_voters": 1000.0},
        index=pd.Index(STATIONS, name="station_id"),
    )
    # S1 has an imported commission protocol, to show photographed protocols stand beside it.
    official = pd.DataFrame({"a": [600.0], "b": [200.0]}, index=pd.Index(["S1"]))
    return assemble(
        Election(election_id, "Test election", "XX", protocol_schema="golos"),
        options,
        stations,
        official=official,
        official_source="commission_feed",
    )


def make_settings(photo_dir: Path, **overrides) -> IntakeSettings:
    values = dict(
        secret=SECRET,
        photo_dir=photo_dir,
        account_per_minute=100_000,
        address_per_minute=100_000,
        registrations_per_address_per_hour=100_000,
        registrations_per_minute=100_000,
        registrations_per_station_per_minute=100_000,
        registrations_per_prefix_per_minute=100_000,
        token_cache_seconds=0,
    )
    values.update(overrides)
    return IntakeSettings(**values)


def key() -> str:
    return uuid.uuid4().hex


def photo(seed: int, size=(640, 480), *, gps: bool = False, fmt: str = "JPEG") -> bytes:
    """A picture of random blocks (distinct seeds give distant dHashes), optionally with EXIF
    GPS and a description that the service must strip."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(blocks, "RGB").resize(size, Image.Resampling.NEAREST)
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[ExifTags.Base.ImageDescription] = GPS_MARKER
        exif[ExifTags.Base.Make] = "HC-CAMERA-MAKE"
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "N"
        info[ExifTags.GPS.GPSLatitude] = (55.0, 45.0, 20.88)
        info[ExifTags.GPS.GPSLongitudeRef] = "E"
        info[ExifTags.GPS.GPSLongitude] = (37.0, 37.0, 3.12)
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


@dataclass
class Service:
    client: TestClient
    engine: object
    settings: IntakeSettings
    admin: str  # token
    db_url: str

    def auth(self, token: str, **headers) -> dict:
        return {"Authorization": f"Bearer {token}", "Idempotency-Key": key(), **headers}

    def register(self, phone: str, station: str = "S1") -> dict:
        r = self.client.post(
            f"/api/v1/elections/{ELECTION}/voters",
            json={"phone": phone, "station_id": station},
            headers={"Idempotency-Key": key()},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def account(self, role: str, station: str | None = None, election: str | None = ELECTION):
        """A staff account, created by one admin and approved by another (two fresh admins
        each time, so that no two accounts share a person behind them)."""
        creator, approver = (
            issue_account(self.engine, "admin", f"admin {n}", settings=self.settings)[1]
            for n in range(2)
        )
        r = self.client.post(
            "/api/v1/admin/accounts",
            json={"role": role, "election_id": election, "station_id": station},
            headers=self.auth(creator),
        )
        assert r.status_code == 201, r.text
        body = r.json()
        ok = self.client.post(
            f"/api/v1/admin/accounts/{body['account_id']}/approve", headers=self.auth(approver)
        )
        assert ok.status_code == 200, ok.text
        return body


def open_service(db_url: str, tmp_path: Path, **overrides):
    engine = make_engine(db_url)
    save_election(engine, small_election())
    settings = make_settings(tmp_path / "photos", **overrides)
    api = router(engine, settings)
    app = FastAPI()
    app.include_router(api, prefix="/api/v1")
    _, admin = issue_account(engine, "admin", "first admin", settings=settings)
    return api, Service(TestClient(app), engine, settings, admin, db_url)


def new_pg_database(server_url: str):
    """A fresh PostgreSQL database on the test server: (url, drop)."""
    import psycopg

    name = f"hc_intake_{uuid.uuid4().hex[:12]}"
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{admin.rsplit('/', 1)[0]}/{name}", drop
