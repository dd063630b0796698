"""Photos: hostile bytes in, clean JPEG out; a perceptual hash; content-addressed storage.

Every photo is decoded by Pillow (only the JPEG, PNG and WebP decoders are allowed: the type
comes from the content, never from a name or a header), checked against size and pixel
limits *before* it is decoded, turned upright, and re-encoded as a fresh JPEG from its pixels
alone. EXIF (GPS, camera serial numbers), XMP, ICC profiles, comments and anything appended
after the image (a polyglot's payload) never reach storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFile, ImageOps

from honestcount.intake.errors import IntakeError, Invalid, TooLarge, Unsupported

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MIN_SIDE = 16


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes  # the re-encoded JPEG
    sha256: str  # of ``data``: the storage key
    dhash: int  # 64-bit difference hash of the picture
    width: int
    height: int
    original_format: str

    @property
    def dhash_hex(self) -> str:
        return f"{self.dhash:016x}"

    @property
    def bands(self) -> tuple[int, int, int, int]:
        return dhash_bands(self.dhash)

    def columns(self) -> dict[str, Any]:
        """The ``intake_photos`` columns that describe this copy."""
        b0, b1, b2, b3 = self.bands
        return {
            "sha256": self.sha256,
            "dhash": self.dhash_hex,
            "dh0": b0,
            "dh1": b1,
            "dh2": b2,
            "dh3": b3,
            "width": self.width,
            "height": self.height,
            "size_bytes": len(self.data),
            "original_format": self.original_format,
        }


def dhash_bands(value: int) -> tuple[int, int, int, int]:
    """The hash in four 16-bit bands (two hashes within distance 3 share at least one)."""
    return tuple((value >> (16 * i)) & 0xFFFF for i in range(4))  # type: ignore[return-value]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def dhash(image: Image.Image) -> int:
    """Difference hash: 9x8 grey thumbnail, one bit per horizontally adjacent pair."""
    factor = max(1, min(image.size) // 64)  # average big blocks first: same hash, less work
    small = image.reduce(factor) if factor > 1 else image
    small = small.convert("L").resize((9, 8), Image.Resampling.BOX)
    px = small.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            value = (value << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return value


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency composed onto white."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


# Bytes per pixel as Pillow holds a decoded image (RGB takes four, like RGBA).
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}


def decode_cost(mode: str, width: int, height: int) -> int:
    """Bytes the decoded image takes, plus a full-size RGBA copy for a palette image."""
    per_pixel = _PIXEL_BYTES.get(mode, 4) + (4 if mode in ("P", "PA") else 0)
    return width * height * per_pixel


def _jpeg_draft(size: tuple[int, int], max_side: int, budget: int) -> tuple[int, int]:
    """The size to ask the JPEG decoder for: the stored side if decoding towards it fits the
    budget, else half of it (the decoder scales by 1/2, 1/4 or 1/8 and stays above it)."""
    for wanted in (max_side, max_side // 2, max_side // 4):
        most = min(size[0] // wanted, size[1] // wanted)
        scale = max((s for s in (1, 2, 4, 8) if s <= most), default=1)
        if decode_cost("RGB", -(-size[0] // scale), -(-size[1] // scale)) <= budget:
            return wanted, wanted
    return max_side // 4, max_side // 4


def _reduced(image: Image.Image, max_side: int) -> Image.Image:
    """Close to ``max_side`` by an integer box reduction (one smaller copy), upright, RGB."""
    if image.mode in ("P", "PA", "1"):  # no reduction of palette pixels: convert first
        image = _flatten(image)
    factor = max(image.size) // max_side  # a box reduction first: the resize is then small
    if factor > 1:
        image = image.reduce(factor)
    with contextlib.suppress(Exception):  # a malformed orientation tag: keep as is
        if image.getexif().get(0x0112, 1) != 1:  # turn upright what the camera tagged
            image = ImageOps.exif_transpose(image)
    image = _flatten(image)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _opened(data: bytes, max_pixels: int) -> ImageFile.ImageFile:
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise Invalid("the image declares too many pixels (decompression bomb)") from None
    except Exception:
        raise Unsupported("not a JPEG, PNG or WebP image (checked from the content)") from None
    width, height = image.size
    if width * height > max_pixels:
        raise Invalid(
            f"the image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels",
        )
    if min(width, height) < MIN_SIDE:
        raise Invalid(f"the image is {width}x{height} pixels: too small to show anything")
    return image


def check_header(data: bytes, *, max_bytes: int, max_pixels: int) -> str:
    """The cheap checks a request makes before it queues an upload: size, and type and pixel
    count from the header alone (nothing is decoded). Returns the format."""
    if len(data) > max_bytes:
        raise TooLarge(f"the photo is {len(data)} bytes; the limit is {max_bytes}")
    if len(data) < 64:
        raise Invalid("the body is too short to be a photo")
    with _opened(data, max_pixels) as image:
        return image.format or "?"


def sanitise(
    data: bytes,
    *,
    max_bytes: int = 15 * 2**20,
    max_pixels: int = 40_000_000,
    max_side: int = 4096,
    quality: int = 85,
    max_decode_bytes: int = 128 * 2**20,
) -> CleanPhoto:
    """Check, decode and re-encode ``data``; refuses with a clear reason (:mod:`.errors`).

    Memory is bounded before anything is decoded: a JPEG is decoded at reduced size (the
    decoder scales by 1/2, 1/4 or 1/8 towards what is stored), and an image whose decoded
    pixels would take more than ``max_decode_bytes`` is refused; what is decoded is reduced
    to the stored size at once, so the full-size pixels are held once and briefly.
    """
    if len(data) > max_bytes:
        raise TooLarge(f"the photo is {len(data)} bytes; the limit is {max_bytes}")
    if len(data) < 64:
        raise Invalid("the body is too short to be a photo")
    image = _opened(data, max_pixels)
    fmt = image.format or "?"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if fmt == "JPEG":
                image.draft("RGB", _jpeg_draft(image.size, max_side, max_decode_bytes))
            cost = decode_cost(image.mode, *image.size)
            if cost > max_decode_bytes:
                raise TooLarge(
                    f"the {fmt} image would take {cost / 2**20:.0f} MiB to decode; the limit "
                    f"is {max_decode_bytes / 2**20:.0f} MiB (send a JPEG, or fewer pixels)"
                )
            image.seek(0)  # first frame of an animation only
            image.load()
            small = _reduced(image, max_side)
            del image  # the full-size pixels go now
            small.info = {}  # nothing of the original's metadata travels with the pixels
            out = io.BytesIO()
            # A brand-new JPEG from the pixels: no exif=, icc_profile=, comment= passed.
            small.save(out, "JPEG", quality=quality)
            value = dhash(small)
    except IntakeError:
        raise
    except Exception:
        raise Invalid(f"the {fmt} image could not be decoded (truncated or malformed)") from None
    clean = out.getvalue()
    return CleanPhoto(
        clean, hashlib.sha256(clean).hexdigest(), value, small.width, small.height, fmt
    )
