"""Real JPEG photos with EXIF (time taken, GPS, camera), made with Pillow for the tests."""

from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def jpeg(
    *,
    lat: float | None = 40.1,
    lon: float | None = 46.9,
    taken: dt.datetime | None = None,
    size: tuple[int, int] = (640, 480),
    seed: int = 1,
    camera: tuple[str, str] = ("Canon", "EOS R6"),
) -> bytes:
    """A JPEG of noise (so it does not compress to nothing) with EXIF facts."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = camera
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if taken.tzinfo is not None:
            offset = taken.strftime("%z")
            exif.get_ifd(0x8769)[0x9011] = f"{offset[:3]}:{offset[3:]}"
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(lat)
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(lon)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()
