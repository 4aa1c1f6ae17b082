"""Turning typed text into field values, and records into readable text, for the CLI."""

from __future__ import annotations

import json
from typing import Any

from forms.schema import (
    BooleanField,
    DecimalField,
    GeopointField,
    IntegerField,
    SelectMultipleField,
)
from sync.view import RecordView

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def value_from_text(field: Any, text: str) -> Any:
    """Parse `--set FIELD=VALUE` text by the field's type (ValueError says why not)."""
    if isinstance(field, IntegerField):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if isinstance(field, DecimalField):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if isinstance(field, BooleanField):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{text!r} is not yes/no")
    if isinstance(field, SelectMultipleField):
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(field, GeopointField):
        parts = text.split(",")
        if len(parts) not in (2, 3):
            raise ValueError("give LAT,LON or LAT,LON,ACCURACY_M (or use --set-json)")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"{text!r} is not LAT,LON[,ACC]") from None
        point: dict[str, Any] = {"lat": numbers[0], "lon": numbers[1]}
        if len(numbers) == 3:
            point["h_acc_m"] = numbers[2]
        return point
    return text


def _short(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render_record(view: RecordView) -> str:
    """A record as readable text: fields, items, flags, every open conflict, refused ops."""
    lines = [f"record {view.id}  ({view.form})  review: {view.review_state}"]
    if view.retracted:
        lines.append("RETRACTED")
    if view.retraction_flagged:
        lines.append("retraction contested by a concurrent edit: needs a supervisor")
    width = max((len(n) for n in view.fields), default=0)
    for name, field in view.fields.items():
        mark = "  <- CONFLICT" if field.conflict else ""
        lines.append(f"  {name:<{width}}  {_short(field.value)}{mark}")
    for group, items in view.items.items():
        lines.append(f"  {group}: {len(items)} item(s)")
        for item in items:
            flag = "  <- FLAGGED" if item.flagged else ""
            vals = ", ".join(f"{n}={_short(f.value)}" for n, f in item.fields.items())
            lines.append(f"    {item.item_id[:13]}  {vals}{flag}")
    found = view.conflicts
    if found:
        lines.append(f"conflicts ({len(found)}):")
        for c in found:
            sides = "; ".join(f"{_short(v.value)} by {v.actor}" for v in c.values)
            lines.append(f"  {c.kind} {c.path}: {sides}")
    if view.missing_required:
        lines.append(f"missing required: {', '.join(view.missing_required)}")
    for r in view.refused:
        vals = ", ".join(f"{n}={_short(v)}" for n, v in r.values.items())
        lines.append(f"refused op {r.actor}:{r.counter} ({vals}): {r.message}")
    return "\n".join(lines)
