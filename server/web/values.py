"""Turning what people type into the console into typed values, and values into text."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from forms.schema import (
    BooleanField,
    DecimalField,
    FormDef,
    IntegerField,
    RepeatGroup,
    SelectMultipleField,
)
from server.errors import BadRequest

_SCALAR_TEXT = (str,)


def field_of(form: FormDef, path: str) -> Any:
    """The field a conflict path names (``name`` or ``group[item].name``), or None."""
    if "[" in path:
        group_name, _, rest = path.partition("[")
        group = form.group(group_name)
        name = rest.partition("].")[2]
        if group is None:
            return None
        return next((f for f in group.fields if f.name == name), None)
    found = form.field(path)
    return None if isinstance(found, RepeatGroup) else found


def typed_value(form: FormDef, path: str, text: str) -> Any:
    """A value typed in a form field, as the field's type wants it (400 if it cannot be)."""
    field = field_of(form, path)
    text = text.strip()
    try:
        if isinstance(field, IntegerField):
            return int(text)
        if isinstance(field, DecimalField):
            return float(text)
        if isinstance(field, BooleanField):
            if text.lower() in ("true", "yes", "1"):
                return True
            if text.lower() in ("false", "no", "0"):
                return False
            raise ValueError(text)
        if isinstance(field, SelectMultipleField):
            return [part for part in text.replace(",", " ").split() if part]
        if field is None or getattr(field, "type", "") in ("geopoint", "geoshape", "geotrace"):
            return json.loads(text)
    except (ValueError, json.JSONDecodeError) as exc:
        raise BadRequest(
            f"{text!r} is not a value {path} can take ({exc}); type it as the field shows it",
            code="bad_value",
        ) from exc
    return text


def shown(value: Any) -> str:
    """A value as text for a page (autoescaped there; never markup)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, dict) and "lat" in value and "lon" in value:
        acc = value.get("h_acc_m")
        where = f"{value['lat']}, {value['lon']}"
        return f"{where} (±{acc} m)" if acc is not None else where
    return json.dumps(value, ensure_ascii=False)


def record_url(row: Any, project: str | None = None) -> str:
    """A record page's address: `/r/ID?project=CODE` (record ids are scoped to a project).

    `row` is a stored record row, or a bare record id with its `project` given.
    """
    if isinstance(row, str):
        record_id, code = row, project or ""
    else:
        record_id, code = row.record_id, row.project
    return f"/r/{quote(record_id, safe='')}?project={quote(code, safe='')}"
