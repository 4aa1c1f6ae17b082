"""Checkers for geopoints (with the GNSS metadata block), geotraces and geoshapes.

A geopoint value is a dict, latitude first as in ODK (docs/forms.md §2): `lat`, `lon` (WGS84
degrees) and optional `alt_m`, `alt_ref`, `h_acc_m`, `v_acc_m`, `fix_type`, `hdop`,
`sats`, `fix_time_utc`, `source`, `is_mock` and local `x`, `y`, `z` in metres relative to
the site datum. A geotrace is a list of two or more points; a geoshape a list of four or
more whose last point repeats the first (ODK's "three or more, closed").
"""

from __future__ import annotations

from collections.abc import Callable

from forms.primitives import (
    Checker,
    add,
    check_datetime,
    check_range,
    is_number,
    show,
    wrong_type,
)
from forms.schema import (
    ALT_REFS,
    FIX_TYPES,
    GNSS_SOURCES,
    GeopointField,
    GeoshapeField,
    GeotraceField,
    Problem,
)

GEOPOINT_KEYS: tuple[str, ...] = (
    "lat",
    "lon",
    "alt_m",
    "alt_ref",
    "h_acc_m",
    "v_acc_m",
    "fix_type",
    "hdop",
    "sats",
    "fix_time_utc",
    "source",
    "is_mock",
    "x",
    "y",
    "z",
)
_KEYS = frozenset(GEOPOINT_KEYS)
_CHOICES = {"alt_ref": ALT_REFS, "fix_type": FIX_TYPES, "source": GNSS_SOURCES}
_NON_NEGATIVE = ("v_acc_m", "hdop")
_XYZ = ("x", "y", "z")
_LAT_LON = (("lat", 90.0, "latitude"), ("lon", 180.0, "longitude"))


def _point_checker(
    max_h_acc: float | None, warn_h_acc: float | None, require_xyz: bool
) -> Callable[[object, str, list[Problem]], bool]:
    """A point checker that also says whether lat/lon are usable (for closure checks)."""

    def check(v: object, path: str, out: list[Problem]) -> bool:
        if not isinstance(v, dict):
            wrong_type(out, path, 'a point {"lat": …, "lon": …}', v)
            return False
        ok = True
        for key, bound, name in _LAT_LON:
            x = v.get(key)
            if x is None:
                add(
                    out, f"{path}.{key}", "missing_required", f"is required (the {name} in degrees)"
                )
                ok = False
            elif not is_number(x):
                wrong_type(out, f"{path}.{key}", f"the {name} in degrees", x)
                ok = False
            elif not -bound <= x <= bound:
                text = f"{show(x)} is outside the valid {name} range -{bound:g} to {bound:g}"
                add(out, f"{path}.{key}", "out_of_range", text)
                ok = False
        for key, x in v.items():
            if key in ("lat", "lon"):
                continue
            at = f"{path}.{key}"
            if key not in _KEYS:
                add(out, at, "unknown_field", f"is not a geopoint key ({', '.join(GEOPOINT_KEYS)})")
            elif key in _CHOICES:
                if x not in _CHOICES[key]:
                    add(
                        out,
                        at,
                        "unknown_choice",
                        f"{show(x)} is not one of: {', '.join(_CHOICES[key])}",
                    )
            elif key == "fix_time_utc":
                check_datetime(x, at, out, utc=True)
            elif key == "is_mock":
                if type(x) is not bool:
                    wrong_type(out, at, "true or false", x)
                elif x:
                    text = "the device reported a mock (simulated) location; check the position"
                    add(out, at, "mock_location", text, "warning")
            elif key == "sats":
                if type(x) is not int:
                    wrong_type(out, at, "a whole number of satellites", x)
                else:
                    check_range(x, at, out, 0, None)
            elif not is_number(x):
                wrong_type(out, at, "a finite number", x)
            elif key == "h_acc_m":
                _check_h_acc(x, at, out, max_h_acc, warn_h_acc)  # type: ignore[arg-type]
            elif key in _NON_NEGATIVE:
                check_range(x, at, out, 0, None, "m" if key == "v_acc_m" else "")  # type: ignore[arg-type]
        if require_xyz:
            for key in _XYZ:
                if v.get(key) is None:
                    text = "is required (local coordinate in m relative to the site datum)"
                    add(out, f"{path}.{key}", "missing_required", text)
        return ok

    return check


def _check_h_acc(
    x: float, at: str, out: list[Problem], max_h_acc: float | None, warn_h_acc: float | None
) -> None:
    if x < 0:
        add(out, at, "out_of_range", f"{show(x)} is negative; an accuracy is a radius ≥ 0 m")
    elif max_h_acc is not None and x > max_h_acc:
        text = (
            f"{show(x)} is above the maximum of {max_h_acc:g} m for this form; "
            "take the position again with a better fix"
        )
        add(out, at, "out_of_range", text)
    elif warn_h_acc is not None and x > warn_h_acc:
        text = f"{show(x)} is above {warn_h_acc:g} m; a better fix is advised"
        add(out, at, "low_accuracy", text, "warning")


def geopoint_checker(field: GeopointField) -> Checker:
    """The checker of a geopoint field."""
    point = _point_checker(field.max_h_acc_m, field.warn_h_acc_m, field.require_xyz)

    def check(v: object, path: str, out: list[Problem]) -> None:
        point(v, path, out)

    return check


def geotrace_checker(field: GeotraceField) -> Checker:
    """The checker of a geotrace field: a list of two or more points."""
    point = _point_checker(field.max_h_acc_m, field.warn_h_acc_m, False)

    def check(v: object, path: str, out: list[Problem]) -> None:
        if not isinstance(v, list | tuple):
            return wrong_type(out, path, "a list of points", v)
        if len(v) < 2:
            add(out, path, "bad_geometry", f"a line needs at least 2 points, got {len(v)}")
        for i, p in enumerate(v):
            point(p, f"{path}[{i}]", out)

    return check


def geoshape_checker(field: GeoshapeField) -> Checker:
    """The checker of a geoshape field: four or more points, the last repeating the first."""
    point = _point_checker(field.max_h_acc_m, field.warn_h_acc_m, False)

    def check(v: object, path: str, out: list[Problem]) -> None:
        if not isinstance(v, list | tuple):
            return wrong_type(out, path, "a list of points", v)
        usable = [point(p, f"{path}[{i}]", out) for i, p in enumerate(v)]
        if len(v) < 4:
            text = (
                f"a closed shape needs at least 4 points (3 corners, then the first point "
                f"again to close it), got {len(v)}"
            )
            add(out, path, "bad_geometry", text)
        elif usable[0] and usable[-1]:
            first, last = v[0], v[-1]
            if (first["lat"], first["lon"]) != (last["lat"], last["lon"]):
                text = "is not closed: the last point must repeat the first point"
                add(out, path, "bad_geometry", text)

    return check
