"""Value checkers: one closure per field, built once from the definition, run on every op.

`compile_field(field)` dispatches on the field's type once and returns a `Checker` that
appends a `Problem` for everything wrong with a value (it never stops at the first one).
Regexes and choice sets are compiled here, so checking a value is a few type tests.
Value conventions (docs/forms.md): text → str, integer → int (not bool), decimal → int
or float, date → "YYYY-MM-DD", datetime → ISO 8601 with an offset, geopoint → dict, …
"""

from __future__ import annotations

import re

from forms.geo import geopoint_checker, geoshape_checker, geotrace_checker
from forms.primitives import (
    Checker,
    add,
    check_date,
    check_datetime,
    check_range,
    is_number,
    show,
    wrong_type,
)
from forms.schema import (
    AttachmentField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    GeopointField,
    GeoshapeField,
    GeotraceField,
    IntegerField,
    Problem,
    ReferenceField,
    SelectMultipleField,
    SelectOneField,
    TextField,
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")
_MAX_CHOICES_SHOWN = 12


def _choices_text(choices: tuple[str, ...]) -> str:
    if len(choices) <= _MAX_CHOICES_SHOWN:
        return ", ".join(choices)
    shown = ", ".join(choices[:_MAX_CHOICES_SHOWN])
    return f"{shown}, … ({len(choices)} choices; see `cairn forms show`)"


def _text(field: TextField | ReferenceField) -> Checker:
    rx = re.compile(field.pattern) if field.pattern else None
    max_length = field.max_length if isinstance(field, TextField) else None
    hint = f" ({field.help})" if field.help else ""

    def check(v: object, path: str, out: list[Problem]) -> None:
        if type(v) is not str:
            return wrong_type(out, path, "text", v)
        if max_length is not None and len(v) > max_length:
            add(out, path, "too_long", f"is {len(v)} characters long; at most {max_length}")
        if rx is not None and v and rx.fullmatch(v) is None:
            text = f"{show(v)} does not match the pattern {rx.pattern}{hint}"
            add(out, path, "pattern_mismatch", text)

    return check


def _integer(field: IntegerField) -> Checker:
    lo, hi, wlo, whi, unit = field.min, field.max, field.warn_min, field.warn_max, field.unit
    warn = wlo is not None or whi is not None

    def check(v: object, path: str, out: list[Problem]) -> None:
        if type(v) is not int:
            return wrong_type(out, path, "a whole number", v)
        n = len(out)
        check_range(v, path, out, lo, hi, unit)
        if warn and len(out) == n:
            check_range(v, path, out, wlo, whi, unit, "warning")

    return check


def _decimal(field: DecimalField) -> Checker:
    lo, hi, wlo, whi, unit = field.min, field.max, field.warn_min, field.warn_max, field.unit
    warn = wlo is not None or whi is not None

    def check(v: object, path: str, out: list[Problem]) -> None:
        if not is_number(v):
            return wrong_type(out, path, "a finite number", v)
        n = len(out)
        check_range(v, path, out, lo, hi, unit)  # type: ignore[arg-type]
        if warn and len(out) == n:
            check_range(v, path, out, wlo, whi, unit, "warning")  # type: ignore[arg-type]

    return check


def _boolean(v: object, path: str, out: list[Problem]) -> None:
    if type(v) is not bool:
        wrong_type(out, path, "true or false", v)


def _select_one(field: SelectOneField) -> Checker:
    choices = frozenset(field.choices)
    listed = _choices_text(field.choices)

    def check(v: object, path: str, out: list[Problem]) -> None:
        if type(v) is not str:
            return wrong_type(out, path, "one of the choices as text", v)
        if v not in choices:
            add(out, path, "unknown_choice", f"{show(v)} is not one of: {listed}")

    return check


def _select_multiple(field: SelectMultipleField) -> Checker:
    choices = frozenset(field.choices)
    listed = _choices_text(field.choices)

    def check(v: object, path: str, out: list[Problem]) -> None:
        if not isinstance(v, list | tuple):
            return wrong_type(out, path, "a list of choices", v)
        seen: set[str] = set()
        for i, item in enumerate(v):
            at = f"{path}[{i}]"
            if type(item) is not str:
                wrong_type(out, at, "one of the choices as text", item)
            elif item not in choices:
                add(out, at, "unknown_choice", f"{show(item)} is not one of: {listed}")
            elif item in seen:
                add(out, at, "duplicate_choice", f"{show(item)} is listed twice")
            else:
                seen.add(item)

    return check


def _attachment(field: AttachmentField) -> Checker:
    prefixes = field.media_types

    def check(v: object, path: str, out: list[Problem]) -> None:
        if not isinstance(v, dict):
            return wrong_type(out, path, 'an attachment {"sha256": …}', v)
        if "sha256" not in v:
            add(out, f"{path}.sha256", "missing_required", "is required (the file's SHA-256)")
        for key, x in v.items():
            at = f"{path}.{key}"
            if key == "sha256":
                if type(x) is not str or _SHA256.fullmatch(x) is None:
                    text = f"{show(x)} is not a SHA-256: write 64 lowercase hexadecimal characters"
                    add(out, at, "bad_sha256", text)
            elif key == "filename":
                if type(x) is not str or not x:
                    wrong_type(out, at, "a file name", x)
            elif key == "media_type":
                if type(x) is not str or _MEDIA_TYPE.fullmatch(x) is None:
                    wrong_type(out, at, 'a media type such as "image/jpeg"', x)
                elif prefixes and not x.startswith(prefixes):
                    text = f"{show(x)} is not allowed here; use {', '.join(prefixes)}"
                    add(out, at, "unknown_choice", text)
            elif key == "size":
                if type(x) is not int or x < 0:
                    wrong_type(out, at, "a size in bytes (a whole number ≥ 0)", x)
            else:
                text = "is not an attachment key (sha256, filename, media_type, size)"
                add(out, at, "unknown_field", text)

    return check


def compile_field(field: Field) -> Checker:
    """Build the checker for one (non-repeat) field, dispatching on its type once."""
    match field:
        case TextField() | ReferenceField():
            return _text(field)
        case IntegerField():
            return _integer(field)
        case DecimalField():
            return _decimal(field)
        case BooleanField():
            return _boolean
        case DateField():
            return check_date
        case DateTimeField():
            return check_datetime
        case SelectOneField():
            return _select_one(field)
        case SelectMultipleField():
            return _select_multiple(field)
        case GeopointField():
            return geopoint_checker(field)
        case GeotraceField():
            return geotrace_checker(field)
        case GeoshapeField():
            return geoshape_checker(field)
        case AttachmentField():
            return _attachment(field)
    raise TypeError(f"not a field: {field!r}")  # pragma: no cover - the union is exhaustive
