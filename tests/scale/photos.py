"""Hostile test photos: EXIF with GPS and a phone number, XMP, a comment, appended bytes."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import ExifTags, Image

GPS_MARKER = "HC-SCALE-GPS-53.9006N"
PHONE = "+375 29 765-43-21"
XMP = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + PHONE.encode() + b"</x:xmpmeta>"


def phone_forms(phone: str = PHONE) -> list[bytes]:
    digits = "".join(ch for ch in phone if ch.isdigit())
    forms = {phone, "+" + digits, digits, digits[3:], digits[-7:]}
    return [f.encode(enc) for f in forms for enc in ("utf-8", "utf-16-le")]


FORBIDDEN = [b"Exif", GPS_MARKER.encode(), b"http://ns.adobe.com", b"HC-SCALE", *phone_forms()]


def hostile_photo(seed: int, size: tuple[int, int] = (800, 600), fmt: str = "JPEG") -> bytes:
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(blocks, "RGB").resize(size, Image.Resampling.NEAREST)
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = f"{GPS_MARKER} {PHONE}"
    exif[ExifTags.Base.Make] = "HC-SCALE-CAMERA"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 54.0, 2.16)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", exif=exif, comment=f"call {PHONE}".encode())
        data = out.getvalue()
        segment = b"\xff\xe1" + struct.pack(">H", len(XMP) + 2) + XMP
        data = data[:2] + segment + data[2:]
    else:
        image.save(out, fmt, exif=exif)
        data = out.getvalue()
    return data + b"HC-SCALE-TRAILER " + PHONE.encode()  # a polyglot's payload
