"""Primitive value checks shared by every field checker: messages, numbers, dates, times.

Every problem message starts with the value's path (`inventory[3].side: …`) so a field
worker sees which field is wrong; numbers and bounds are shown as a person writes them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime

from forms.schema import Problem, Severity

# A checker appends a Problem for everything wrong with a value at a path.
Checker = Callable[[object, str, list[Problem]], None]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?"
)


def add(out: list[Problem], path: str, code: str, text: str, severity: Severity = "error") -> None:
    """Append a problem whose message starts with the path, so it names the field."""
    out.append(Problem(path=path, message=f"{path}: {text}", code=code, severity=severity))


def show(value: object) -> str:
    """A short, JSON-flavoured rendering of a value for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def num(x: float) -> str:
    """A bound as a person writes it: 20, 0.5, -20."""
    return format(x, "g")


def unit_text(unit: str) -> str:
    """A unit with its leading space, or nothing."""
    return f" {unit}" if unit else ""


def is_number(v: object) -> bool:
    """True for an int or a finite float, never for a bool."""
    t = type(v)
    return t is int or (t is float and math.isfinite(v))  # type: ignore[arg-type]


def check_range(
    v: float,
    path: str,
    out: list[Problem],
    lo: float | None,
    hi: float | None,
    unit: str = "",
    severity: Severity = "error",
) -> None:
    """Report a number below `lo` or above `hi` (as errors, or as warnings)."""
    if severity == "warning":
        code, what, tail = "unusual_value", "usual", "; check it"
    else:
        code, what, tail = "out_of_range", "", " for this form"
    if lo is not None and v < lo:
        text = f"{show(v)} is below the {what + ' ' if what else ''}minimum of {num(lo)}"
        add(out, path, code, f"{text}{unit_text(unit)}{tail}", severity)
    elif hi is not None and v > hi:
        text = f"{show(v)} is above the {what + ' ' if what else ''}maximum of {num(hi)}"
        add(out, path, code, f"{text}{unit_text(unit)}{tail}", severity)


def wrong_type(out: list[Problem], path: str, expected: str, v: object) -> None:
    """Report a value of the wrong JSON type."""
    add(out, path, "wrong_type", f"expected {expected}, got {show(v)}")


def check_date(v: object, path: str, out: list[Problem]) -> None:
    """A calendar date written YYYY-MM-DD."""
    if type(v) is not str:
        return wrong_type(out, path, 'a date written "YYYY-MM-DD"', v)
    try:
        if _DATE.fullmatch(v) is None:
            raise ValueError
        date.fromisoformat(v)
    except ValueError:
        add(
            out,
            path,
            "bad_date",
            f"{show(v)} is not a valid date; write YYYY-MM-DD, e.g. 2026-05-03",
        )


def check_datetime(v: object, path: str, out: list[Problem], utc: bool = False) -> None:
    """An ISO 8601 date and time with a timezone offset (UTC only when `utc`)."""
    if type(v) is not str:
        return wrong_type(out, path, "a date and time text", v)
    m = _DATETIME.fullmatch(v)
    example = "e.g. 2026-05-03T10:15:00+04:00 or 2026-05-03T06:15:00Z"
    if m is None:
        text = f"{show(v)} is not an ISO 8601 date and time; write it with an offset, {example}"
        return add(out, path, "bad_datetime", text)
    offset = m.group(1)
    if offset is None:
        text = f"{show(v)} has no timezone offset; add one, {example}"
        return add(out, path, "bad_datetime", text)
    try:
        datetime.fromisoformat(v)
    except ValueError:
        return add(out, path, "bad_datetime", f"{show(v)} is not a valid date and time")
    if utc and offset not in ("Z", "+00:00"):
        add(out, path, "bad_datetime", f"{show(v)} must be in UTC (end with Z or +00:00)")
