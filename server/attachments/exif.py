"""Photo metadata read from JPEG EXIF on the server: when, where, with which camera.

Read with Pillow (it parses the EXIF block without decoding the pixels). The facts are
shown beside the attachment and compared with the record (``flags``): a photo taken far
from where the record says it was made, or at another time, is flagged for a reviewer,
never corrected. Tags: DateTimeOriginal (0x9003) with OffsetTimeOriginal (0x9011) in the
Exif IFD, GPSLatitude/Longitude with their Ref and GPSAltitude in the GPS IFD (EXIF 2.32
§4.6.6), Make (0x010F) and Model (0x0110) in IFD0.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
# How far a photo may be from the record's fix beyond that fix's accuracy (and the
# phone's own GPS error), and how far apart in time, before it is flagged.
DISTANCE_MARGIN_M = 100.0
TIME_MARGIN_S = 6 * 3600


def _rational(value: Any) -> float:
    return float(value)


def _degrees(parts: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_rational(p) for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    return -value if str(ref).upper() in ("S", "W") else value


def _taken_at(exif_ifd: Any) -> str | None:
    text = exif_ifd.get(0x9003)
    if not isinstance(text, str):
        return None
    try:
        stamp = dt.datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif_ifd.get(0x9011)
    if isinstance(offset, str):
        try:
            zone = dt.datetime.strptime(offset.strip("\x00 "), "%z").tzinfo
            return stamp.replace(tzinfo=zone).isoformat()
        except ValueError:
            pass
    return stamp.isoformat()  # no zone recorded: the camera's local time


def read_facts(path: Path) -> dict[str, Any]:
    """The EXIF facts of a JPEG (missing ones left out); {} when there are none."""
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            facts: dict[str, Any] = {"width": image.width, "height": image.height}
            exif_ifd = exif.get_ifd(EXIF_IFD)
            gps = exif.get_ifd(GPS_IFD)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return {}
    taken = _taken_at(exif_ifd)
    if taken:
        facts["taken_at"] = taken
    for tag, name in ((0x010F, "camera_make"), (0x0110, "camera_model")):
        value = exif.get(tag)
        if isinstance(value, str) and value.strip("\x00 "):
            facts[name] = value.strip("\x00 ")
    if 2 in gps and 4 in gps:
        lat, lon = _degrees(gps[2], gps.get(1)), _degrees(gps[4], gps.get(3))
        if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
            facts["gps"] = {"lat": round(lat, 7), "lon": round(lon, 7)}
            if 6 in gps:
                with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
                    facts["gps"]["alt_m"] = round(_rational(gps[6]), 2)
    return facts


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def _instant(text: str) -> float | None:
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)  # camera local time without a zone: as UTC
    return stamp.timestamp()


def flags(
    facts: dict[str, Any],
    *,
    gps: dict[str, float] | None,
    wall_time_ms: int | None,
) -> list[dict[str, Any]]:
    """Where the photo's EXIF disagrees with the op that attached it, for a reviewer.

    ``gps``: the fix of the op or record (lat, lon, h_acc_m); ``wall_time_ms``: the op's
    time. A photo is flagged when its position is further than the fix's accuracy plus
    ``DISTANCE_MARGIN_M``, or its time further than ``TIME_MARGIN_S`` (camera clocks often
    run in local time without a zone, hence the wide margin).
    """
    out: list[dict[str, Any]] = []
    where = facts.get("gps")
    if isinstance(where, dict) and gps is not None:
        far = distance_m(where["lat"], where["lon"], gps["lat"], gps["lon"])
        allowed = float(gps.get("h_acc_m") or 0.0) + DISTANCE_MARGIN_M
        if far > allowed:
            out.append(
                {
                    "code": "photo_far_from_record",
                    "message": f"the photo's EXIF position is {far:,.0f} m from the record's "
                    f"location (allowed: accuracy + {DISTANCE_MARGIN_M:.0f} m = {allowed:,.0f} m)",
                    "distance_m": round(far, 1),
                    "allowed_m": round(allowed, 1),
                }
            )
    taken = facts.get("taken_at")
    if isinstance(taken, str) and wall_time_ms is not None:
        instant = _instant(taken)
        if instant is not None:
            apart = abs(instant - wall_time_ms / 1000)
            if apart > TIME_MARGIN_S:
                out.append(
                    {
                        "code": "photo_time_far_from_record",
                        "message": f"the photo's EXIF time ({taken}) is {apart / 3600:,.1f} h "
                        f"from when it was attached (allowed: {TIME_MARGIN_S // 3600} h)",
                        "hours_apart": round(apart / 3600, 1),
                    }
                )
    return out
