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
from sync.record import Record
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


def review_comment(record: Record) -> str:
    """The comment of the review that stands (a supervisor's, pulled), or ''."""
    if not record.review.live:
        return ""
    return record.review.live[record.review.shown].note


def render_record(
    view: RecordView,
    identifier: str | None = None,
    comment: str = "",
    labels: dict[str, str] | None = None,
) -> str:
    """A record as readable text: fields, items, flags, every open conflict, refused ops."""
    name = f"{identifier}  " if identifier else ""
    lines = [f"record {name}{view.id}  ({view.form})  review: {view.review_state}"]
    if comment:
        lines.append(f"review comment: {comment}")
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
            who = labels or {}
            sides = "; ".join(f"{_short(v.value)} by {who.get(v.actor, v.actor)}" for v in c.values)
            lines.append(f"  {c.kind} {c.path}: {sides}")
    if view.missing_required:
        lines.append(f"missing required: {', '.join(view.missing_required)}")
    for r in view.refused:
        vals = ", ".join(f"{n}={_short(v)}" for n, v in r.values.items())
        lines.append(
            f"refused op {(labels or {}).get(r.actor, r.actor)}:{r.counter} ({vals}): {r.message}"
        )
    return "\n".join(lines)


def render_status(status: dict[str, Any]) -> str:
    """`cairn device status` as readable lines (the same facts as `--json`)."""
    ops = status.get("ops") or {}
    last = status.get("last_receipt")
    offset = status.get("clock_offset_ms")
    lines = [
        f"device {status.get('device_id') or '-'} in project {status.get('project') or '-'}"
        f", server {status.get('server') or '-'}",
        "ops: " + ", ".join(f"{n} {kind}" for kind, n in ops.items()),
        f"records on this device: {status.get('records', 0)}",
        f"batches awaiting a receipt: {status.get('batches_awaiting_receipt', 0)}",
        "last receipt: "
        + ("none yet" if not last else f"batch {last['batch_id']} at {_when(last['at_ms'])}"),
        f"pull cursor: {status.get('cursor') or 0}",
        "clock offset to the server at last sync: "
        + ("unknown" if offset is None else f"{int(offset) / 1000:+.1f} s"),
    ]
    refused = status.get("refused") or []
    lines.append(f"refused by the server: {len(refused)} op(s)")
    for r in refused:
        kept = "kept as evidence on the server" if r.get("kept_by_server") else "not kept"
        lines.append(f"  op {r['op']} of {r['record_id']} ({kept}): {r['reason']}")
    return "\n".join(lines)


def _when(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
