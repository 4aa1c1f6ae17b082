"""A consolidated record as people and JSON clients see it: values, provenance, conflicts.

The same view is served by the supervisors' API and printed by `cairn device show --json`,
so a device's local view and the server's can be compared directly. It is derived from a
`sync.record.Record` and holds nothing the record does not.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.conflicts import conflicts, ordered_items
from sync.record import Conflict, FieldState, Record, Write

__all__ = ["FieldView", "ItemView", "Provenance", "RecordView", "record_view"]


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Who wrote a value, when (HLC and their wall clock), and where (GPS fix)."""

    actor: str
    counter: int
    hlc: int
    wall_time: int
    value: Any = None
    gps: dict[str, Any] | None = None
    suspect_clock: bool = False


class FieldView(msgspec.Struct, frozen=True, kw_only=True):
    """One field: the displayed value, whether it is in conflict, and every live value."""

    value: Any
    conflict: bool
    live: list[Provenance]


class ItemView(msgspec.Struct, frozen=True, kw_only=True):
    """One item of a repeat group."""

    item_id: str
    flagged: bool
    fields: dict[str, FieldView]


class RecordView(msgspec.Struct, frozen=True, kw_only=True):
    """A consolidated record for review."""

    id: str
    form: str
    values: dict[str, Any]
    fields: dict[str, FieldView]
    items: dict[str, list[ItemView]]
    retracted: bool
    retraction_flagged: bool
    review_state: str
    conflicts: list[Conflict]
    version_vector: dict[str, int]
    op_count: int


def _provenance(record: Record, write: Write) -> Provenance:
    entry = record.entry(write)
    return Provenance(
        actor=write.actor,
        counter=write.counter,
        hlc=entry.hlc,
        wall_time=entry.wall_time,
        value=write.value,
        gps=msgspec.to_builtins(entry.gps) if entry.gps is not None else None,
        suspect_clock=entry.suspect,
    )


def _field(record: Record, state: FieldState) -> FieldView:
    return FieldView(
        value=state.value,
        conflict=state.conflict,
        live=[_provenance(record, w) for w in state.live],
    )


def record_view(record: Record, order_fields: dict[str, str] | None = None) -> RecordView:
    """The review view of a record; `order_fields` names each group's explicit order field."""
    order_fields = order_fields or {}
    items = {
        group: [
            ItemView(
                item_id=item_id,
                flagged=item.flagged,
                fields={n: _field(record, s) for n, s in sorted(item.fields.items())},
            )
            for item_id, item in ordered_items(record, group, order_fields.get(group))
        ]
        for group in sorted(record.items)
    }
    fields = {n: _field(record, s) for n, s in sorted(record.fields.items())}
    review = record.review.value if record.review.live else None
    return RecordView(
        id=record.id,
        form=record.form,
        values={n: f.value for n, f in fields.items()},
        fields=fields,
        items=items,
        retracted=record.retracted,
        retraction_flagged=record.retraction_conflict,
        review_state=str(review) if review else "received",
        conflicts=list(conflicts(record)),
        version_vector=dict(sorted(record.vv.items())),
        op_count=record.op_count,
    )
