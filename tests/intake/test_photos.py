"""The photo pipeline on its own: metadata stripped, orientation kept, dHash behaviour,
content-addressed storage."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from honestcount.intake.errors import Invalid
from honestcount.intake.imaging import hamming, sanitise
from honestcount.storage import LocalStore
from intake.helpers import GPS_MARKER, photo


def test_metadata_is_stripped_and_pixels_kept():
    raw = photo(1, gps=True)
    assert GPS_MARKER.encode() in raw
    clean = sanitise(raw)
    assert GPS_MARKER.encode() not in clean.data and b"Exif" not in clean.data
    image = Image.open(io.BytesIO(clean.data))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert not image.getexif() and "icc_profile" not in image.info
    assert clean.original_format == "JPEG"


def test_camera_orientation_is_applied_then_dropped():
    source = Image.open(io.BytesIO(photo(2, size=(640, 480))))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90 degrees clockwise to display"
    out = io.BytesIO()
    source.save(out, "JPEG", exif=exif)
    clean = sanitise(out.getvalue())
    assert (clean.width, clean.height) == (480, 640)
    assert not Image.open(io.BytesIO(clean.data)).getexif()


def test_dhash_near_for_copies_far_for_other_pictures():
    a = sanitise(photo(3))
    smaller = io.BytesIO()
    Image.open(io.BytesIO(photo(3))).resize((320, 240)).save(smaller, "JPEG", quality=60)
    copy = sanitise(smaller.getvalue())
    other = sanitise(photo(4))
    assert hamming(a.dhash, copy.dhash) <= 3
    assert hamming(a.dhash, other.dhash) > 10


def test_transparent_png_is_flattened():
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    clean = sanitise(out.getvalue())
    assert Image.open(io.BytesIO(clean.data)).getpixel((5, 5)) == pytest.approx(
        (255, 255, 255), abs=3
    )


def test_pixel_limit_is_checked_before_decoding():
    with pytest.raises(Invalid) as info:
        sanitise(photo(5, size=(2000, 1500)), max_pixels=1_000_000)
    assert "megapixels" in info.value.message


def test_large_images_are_scaled_down_for_storage():
    clean = sanitise(photo(6, size=(3000, 2000)), max_side=1000)
    assert max(clean.width, clean.height) == 1000


def test_store_is_content_addressed_and_idempotent(tmp_path):
    store = LocalStore(tmp_path / "photos")
    clean = sanitise(photo(7))
    assert store.put(clean.data) == clean.sha256
    assert store.put(clean.data) == clean.sha256
    files = [p for p in (tmp_path / "photos").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].name == f"{clean.sha256}.jpg"
    assert store.get(clean.sha256) == clean.data and store.exists(clean.sha256)
    assert not store.exists("../../etc/passwd")
    with pytest.raises(KeyError):
        store.get("../../etc/passwd")
