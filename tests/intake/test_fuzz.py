"""Fuzzing: every operation of the OpenAPI description with generated requests, and the photo
path with hostile files. Whatever comes in, the answer is a clear 4xx, never a 500."""

from __future__ import annotations

import functools
import io
import struct
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from intake.helpers import ELECTION, new_pg_database, open_service, photo

API = f"/api/v1/elections/{ELECTION}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fuzz_service(request, tmp_path_factory, pg_server_url):
    tmp = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp / 'fuzz.db'}", None
    else:
        if not pg_server_url:
            pytest.skip("no PostgreSQL server (set HONESTCOUNT_TEST_PG_URL)")
        url, drop = new_pg_database(pg_server_url)
    api, svc = open_service(url, tmp)
    with svc.client:
        tokens = {"admin": svc.admin}
        for role in ("moderator", "digitiser", "observer"):
            tokens[role] = svc.account(role)["token"]
        tokens["voter"] = svc.register("+375290001234", "S1")["token"]
        # Something to find: a ballot photo, a protocol photo.
        svc.client.post(
            f"{API}/ballot-photos", content=photo(70), headers=svc.auth(tokens["voter"])
        )
        svc.client.post(
            f"{API}/protocol-photos?station_id=S2",
            content=photo(71),
            headers=svc.auth(tokens["observer"]),
        )
        svc.tokens = tokens
        yield svc
    api.intake.close()
    svc.engine.dispose()
    if drop:
        drop()


def _role_for(path: str) -> str:
    if "/admin/" in path:
        return "admin"
    if path.startswith("/api/v1/moderation"):
        return "moderator"
    if path.startswith("/api/v1/digitisation"):
        return "digitiser"
    if path.endswith(("/turnout", "/violations", "/protocol-photos")):
        return "observer"
    if path.startswith("/api/v1/photos"):
        return "moderator"
    return "voter"


def fuzz_all_operations(svc, max_examples: int) -> list[str]:
    """Generated requests for every operation of the OpenAPI description; returns the
    operations exercised. Raises on the first request that breaks a check."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", svc.client.app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    seen = []
    for result in schema.get_all_operations():
        operation = result.ok()
        run = _runner(operation, svc.tokens[_role_for(operation.path)], checks, max_examples)
        run()
        seen.append(operation.label)
    return seen


def _runner(operation, token: str, checks: list, max_examples: int):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        headers = {"Authorization": f"Bearer {token}"}
        if case.headers and "Authorization" in case.headers:
            headers = {}  # generated (bad) credentials go through as they are
        case.call_and_validate(headers=headers, checks=checks)

    return run


def test_openapi_fuzz_never_a_server_error(fuzz_service):
    seen = fuzz_all_operations(fuzz_service, max_examples=15)
    assert len(seen) >= 18 and "POST /api/v1/elections/{election_id}/ballot-photos" in seen


@pytest.mark.slow
def test_openapi_fuzz_longer(fuzz_service):
    fuzz_all_operations(fuzz_service, max_examples=100)


# ------------------------------------------------------------------ hostile photos


def _png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG of width x height black pixels, compressed to a few hundred kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\0" + b"\0" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@functools.cache
def _hostile() -> dict[str, tuple[bytes, str, int]]:
    """name -> (bytes, Content-Type claimed by the sender, expected status)."""
    jpeg = photo(80, size=(800, 600))
    gif = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(gif, "GIF")
    bmp = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(bmp, "BMP")
    return {
        "truncated jpeg": (jpeg[: len(jpeg) // 2], "image/jpeg", 422),
        "jpeg header only": (jpeg[:200], "image/jpeg", 415),
        "decompression bomb png": (_png_bomb(), "image/png", 422),
        "huge declared jpeg": (_jpeg_with_size(jpeg, 60_000, 60_000), "image/jpeg", 422),
        "text named .jpg": (b"<?php system($_GET['c']); ?>" * 10, "image/jpeg", 415),
        "html": (b"<html><script>alert(1)</script></html>" * 5, "text/html", 415),
        "gif (not allowed)": (gif.getvalue(), "image/jpeg", 415),
        "bmp (not allowed)": (bmp.getvalue(), "image/jpeg", 415),
        "svg": (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>' * 3,
            "image/svg+xml",
            415,
        ),
        "empty": (b"", "image/jpeg", 422),
        "tiny image": (_tiny_png(), "image/png", 422),
        "random bytes": (bytes(range(256)) * 40, "application/octet-stream", 415),
    }


def _tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "PNG")
    return out.getvalue()


def _jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its SOF header claiming other dimensions."""
    data = bytearray(jpeg)
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


@pytest.mark.parametrize("name", list(_hostile()))
def test_hostile_photos_get_a_clear_4xx(fuzz_service, name):
    data, claimed, expected = _hostile()[name]
    voter = fuzz_service.tokens["voter"]
    r = fuzz_service.client.post(
        f"{API}/ballot-photos",
        content=data,
        headers=fuzz_service.auth(voter, **{"Content-Type": claimed}),
    )
    assert r.status_code == expected, (name, r.status_code, r.text)
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_too_large_is_refused_before_reading_it_all(fuzz_service):
    limit = fuzz_service.settings.max_photo_bytes
    r = fuzz_service.client.post(
        f"{API}/ballot-photos",
        content=b"\xff\xd8" + b"\0" * (limit + 10),
        headers=fuzz_service.auth(fuzz_service.tokens["voter"]),
    )
    assert r.status_code == 413


def test_polyglot_payload_never_reaches_storage(fuzz_service):
    """A JPEG with a ZIP/HTML payload appended (a valid image to viewers, and something
    else to other parsers): the image is accepted, the payload is gone."""
    payload = b"PK\x03\x04HC-POLYGLOT-PAYLOAD<script>alert(1)</script>"
    data = photo(81) + payload
    svc = fuzz_service
    r = svc.client.post(
        f"{API}/ballot-photos",
        content=data,
        headers=svc.auth(svc.tokens["voter"], **{"Content-Type": "text/html"}),
    )
    assert r.status_code == 201, r.text
    stored = svc.client.get(
        f"/api/v1/photos/{r.json()['photo_id']}", headers=svc.auth(svc.tokens["moderator"])
    )
    assert stored.headers["content-type"] == "image/jpeg"
    assert stored.headers["x-content-type-options"] == "nosniff"
    assert b"HC-POLYGLOT-PAYLOAD" not in stored.content
    assert Image.open(io.BytesIO(stored.content)).format == "JPEG"


def test_wrong_extension_is_judged_by_content(fuzz_service):
    png = photo(82, fmt="PNG")
    svc = fuzz_service
    r = svc.client.post(
        f"{API}/ballot-photos?side=back",
        content=png,
        headers=svc.auth(svc.tokens["voter"], **{"Content-Type": "image/jpeg"}),
    )
    assert r.status_code == 201
    from sqlalchemy import text

    with svc.engine.connect() as conn:
        fmt = conn.execute(
            text("SELECT original_format FROM intake_photos WHERE id = :i"),
            {"i": r.json()["photo_id"]},
        ).scalar()
    assert fmt == "PNG"
