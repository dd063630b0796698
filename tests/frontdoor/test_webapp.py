"""The voter web app in headless Chromium on a 390×844 phone: find the station in three
scripts, register, declare, send a ballot photo carrying GPS, and lose nothing offline."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from frontdoor.helpers import ELECTION, MINSK, IntakeServer, assert_no_axe_violation, intake_env
from honestcount.frontdoor.messages import text
from honestcount.store import tables as t

CHROMIUM = Path(os.environ.get("HONESTCOUNT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MARKER = "HC-GPS-MARKER-53.9N"
QUEUED_TWO = text("be", "web_queued", n=2)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
sync_api = pytest.importorskip("playwright.sync_api")


def photo_with_gps(seed: int) -> bytes:
    image = Image.new("RGB", (2400, 1800), ((seed * 70) % 256, 120, 200))
    for i in range(0, 2400, 300):
        image.paste((seed * 31 % 256, i % 256, 40), (i, 0, i + 150, 1800))
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = MARKER
    exif[ExifTags.Base.Make] = "HC-CAMERA-MAKE"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 54.0, 1.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def vote_server(tmp_path, monkeypatch):
    for name, value in intake_env(str(tmp_path / "photos")).items():
        monkeypatch.setenv(name, value)
    server = IntakeServer(f"sqlite:///{tmp_path / 'vote.db'}", vote=True)
    yield server
    server.close()


assert_accessible = assert_no_axe_violation


def stored(server):
    with server.engine.connect() as conn:
        decl = conn.execute(select(t.intake_declarations.c.option_id)).scalars().all()
        photos = conn.execute(select(t.intake_photos.c.kind)).scalars().all()
    return decl, sorted(photos)


def test_a_voter_on_a_phone(vote_server):
    base = vote_server.base
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="be-BY",
            is_mobile=True,
            service_workers="allow",
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        loaded: list[tuple[str, int]] = []
        page.on("response", lambda r: loaded.append((r.url, len(r.body()))))
        page.goto(f"{base}/vote/{ELECTION}", wait_until="networkidle")
        assert_accessible(page)
        first_load = sum(size for _, size in loaded)
        assert all(url.startswith(base) for url, _ in loaded), loaded
        print(f"\nfirst load: {first_load} bytes in {len(loaded)} responses")
        assert first_load <= 100 * 1024, first_load
        assert page.locator("html").get_attribute("lang") == "be"

        for spelling in ("Мінск", "Минск", "Minsk"):
            page.fill("#q", spelling)
            page.wait_for_function("() => document.querySelectorAll('#found button').length === 3")
            found = {b.split(" · ")[0] for b in page.locator("#found button").all_inner_texts()}
            assert found == MINSK, spelling
        page.locator("#found button", has_text="07-001-0002").click()
        page.fill("#phone", "+375 29 555 44 33")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vote-register.png"), full_page=True)
        page.click("#do-register")
        page.wait_for_selector("#receipt:not([hidden])")
        page.check("input[name=option][value=b]")
        page.click("#do-declare")
        page.set_input_files(
            "#file",
            files=[{"name": "b.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps(1)}],
        )
        page.wait_for_function(  # the photo's line on the receipt: "#<id> ..."
            "() => [...document.querySelectorAll('#receipt-list li')]"
            ".some(li => li.textContent.startsWith('#'))"
        )
        page.wait_for_function(
            f"() => document.getElementById('queue').textContent === {text('be', 'web_sent')!r}"
        )
        assert stored(vote_server) == (["b"], ["ballot_front"])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vote-receipt.png"), full_page=True)
        assert_accessible(page)

        # the stored photo: re-encoded, at most 2 MP from the browser, no metadata
        token = page.evaluate(f"JSON.parse(localStorage.getItem('hc-vote:{ELECTION}')).token")
        pid = page.evaluate(f"JSON.parse(localStorage.getItem('hc-vote:{ELECTION}')).photos[0].id")
        data = page.evaluate(
            """async ([id, token]) => { const r = await fetch('/api/v1/photos/' + id,
               {headers: {Authorization: 'Bearer ' + token}});
               return Array.from(new Uint8Array(await r.arrayBuffer())); }""",
            [pid, token],
        )
        raw = bytes(data)
        assert MARKER.encode() not in raw and b"HC-CAMERA-MAKE" not in raw
        image = Image.open(io.BytesIO(raw))
        exif = dict(image.getexif())
        assert 0x8825 not in exif and 0x010F not in exif and 0x010E not in exif, exif  # GPS, camera
        assert image.width * image.height <= 2_000_000

        # offline: a changed choice and a second photo wait in the queue, then arrive once
        page.wait_for_function(
            "async () => !!(await navigator.serviceWorker.ready).active"
            " && !!navigator.serviceWorker.controller"
        )
        context.set_offline(True)
        page.check("input[name=option][value=a]")
        page.click("#do-declare")
        page.set_input_files(
            "#file",
            files=[{"name": "c.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps(2)}],
        )
        page.wait_for_function(
            f"() => document.getElementById('queue').textContent === {QUEUED_TWO!r}"
        )
        page.screenshot(path=str(ARTIFACTS / "vote-offline.png"), full_page=True)
        assert stored(vote_server) == (["b"], ["ballot_front"])
        page.reload()  # even a reload offline keeps the queue (and the service worker the page)
        page.wait_for_function(
            f"() => document.getElementById('queue').textContent === {QUEUED_TWO!r}"
        )
        context.set_offline(False)
        page.wait_for_function(
            f"() => document.getElementById('queue').textContent === {text('be', 'web_sent')!r}",
            timeout=30_000,
        )
        assert stored(vote_server) == (["a"], ["ballot_back", "ballot_front"])
        browser.close()
    assert not errors, errors


def test_the_status_page_needs_no_javascript(vote_server):
    import httpx

    r = httpx.get(
        f"{vote_server.base}/vote/{ELECTION}/status",
        params={"station": "07-001-0001", "lang": "ru"},
    )
    assert r.status_code == 200
    assert text("ru", "status_embargo") in r.text
    assert "<script" not in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert httpx.get(f"{vote_server.base}/vote/nope").status_code == 404
    home = httpx.get(f"{vote_server.base}/vote")  # one election: straight to it
    assert home.status_code == 303 and home.headers["location"] == f"/vote/{ELECTION}"
