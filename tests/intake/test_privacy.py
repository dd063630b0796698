"""After a run, no phone number and no EXIF/GPS metadata is anywhere in the store: the bytes of
the database (its file, WAL and shared memory for SQLite; every row of every table for
PostgreSQL) and of every stored photo are searched."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from honestcount.intake.evidence import materialise_evidence
from intake.helpers import ELECTION, GPS_MARKER, photo

API = f"/api/v1/elections/{ELECTION}"
PHONES = ["+375 44 987-65-43", "+375 (33) 612 70 19", "00375256661122"]


def _forms(phone: str) -> list[bytes]:
    digits = "".join(ch for ch in phone if ch.isdigit()).removeprefix("00")
    forms = {phone, "+" + digits, digits, digits[3:], digits[-7:]}
    out = []
    for form in forms:
        out += [form.encode(), form.encode("utf-16-le")]
    return out


FORBIDDEN_IN_PHOTOS = [b"Exif", GPS_MARKER.encode(), b"HC-CAMERA-MAKE", b"http://ns.adobe.com"]


def _database_bytes(service) -> bytes:
    if service.db_url.startswith("sqlite"):
        path = Path(service.db_url.removeprefix("sqlite:///"))
        return b"".join(
            p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
    chunks = []
    with service.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            rows = conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars().all()
            chunks.append("\n".join(rows).encode())
    return b"\n".join(chunks)


def test_no_phone_number_and_no_gps_anywhere(service):
    c = service.client
    moderator = service.account("moderator")
    observer = service.account("observer", station="S2")
    for i, phone in enumerate(PHONES):
        voter = service.register(phone, "S2")
        h = service.auth(voter["token"])
        assert c.post(f"{API}/declarations", json={"option_id": "a"}, headers=h).status_code == 200
        for side, fmt in (("front", "JPEG"), ("back", "PNG")):
            r = c.post(
                f"{API}/ballot-photos?side={side}",
                content=photo(100 + 2 * i + (side == "back"), gps=True, fmt=fmt),
                headers=service.auth(voter["token"]),
            )
            assert r.status_code == 201, r.text
            if side == "front":
                c.post(
                    f"/api/v1/moderation/photos/{r.json()['photo_id']}",
                    json={"decision": "accept"},
                    headers=service.auth(moderator["token"]),
                )
    # A rejected registration (bad form) and a duplicate also pass through the service.
    c.post(
        f"{API}/voters",
        json={"phone": PHONES[0], "station_id": "S2"},
        headers={"Idempotency-Key": "k-duplicate-0001"},
    )
    r = c.post(
        f"{API}/protocol-photos",
        content=photo(120, gps=True),
        headers=service.auth(observer["token"]),
    )
    assert r.status_code == 201
    summary = materialise_evidence(service.engine, ELECTION, settings=service.settings)
    assert summary["declared"] == 3 and summary["photo_confirmed"] == 3

    # The test's own inputs really carried the metadata that must disappear.
    assert GPS_MARKER.encode() in photo(100, gps=True)

    database = _database_bytes(service)
    assert len(database) > 10_000
    for phone in PHONES:
        for form in _forms(phone):
            assert form not in database, (phone, form)
    assert GPS_MARKER.encode() not in database

    stored = [p for p in Path(service.settings.photo_dir).rglob("*") if p.is_file()]
    assert len(stored) == 7
    for path in stored:
        data = path.read_bytes()
        assert data[:2] == b"\xff\xd8"
        for marker in FORBIDDEN_IN_PHOTOS:
            assert marker not in data, (path.name, marker)
        for phone in PHONES:
            for form in _forms(phone):
                assert form not in data
