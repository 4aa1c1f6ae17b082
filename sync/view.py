"""A consolidated record as people and JSON clients see it: values, provenance, conflicts.

The same view is served by the supervisors' API and printed by `cairn device show --json`,
so a device's local view and the server's can be compared directly. It is derived from a
`sync.record.Record` and holds nothing the record does not.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.conflicts import conflicts, ordered_items
from sync.laws import Rules, refusal_message
from sync.record import Conflict, FieldState, Record, Write
from sync.review import review_state

__all__ = ["FieldView", "ItemView", "Provenance", "RecordView", "RefusedView", "record_view"]


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


class RefusedView(msgspec.Struct, frozen=True, kw_only=True):
    """An op the form's rules refuse: who, which laws (codes and a sentence), its values."""

    actor: str
    counter: int
    codes: list[str]
    message: str
    values: dict[str, Any]


class RecordView(msgspec.Struct, frozen=True, kw_only=True):
    """A consolidated record for review (``missing_required``: what it still lacks)."""

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
    refused: list[RefusedView] = []
    missing_required: list[str] = []


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


def record_view(record: Record, rules: Rules, missing: list[str] | None = None) -> RecordView:
    """The review view of a record: items in the order its form's ``rules`` give; ``missing``
    the required fields it lacks (:func:`forms.completeness.missing_required`)."""
    order_fields = rules.order_by
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
    fields = {n: _field(record, s) for n, s in sorted(record.fields.items()) if s.history}
    refused = [
        RefusedView(
            actor=r.actor,
            counter=r.counter,
            codes=list(r.codes),
            message=refusal_message(r.codes),
            values=dict(r.values),
        )
        for r in record.refused
    ]
    return RecordView(
        id=record.id,
        form=record.form,
        values={n: f.value for n, f in fields.items()},
        fields=fields,
        items=items,
        retracted=record.retracted,
        retraction_flagged=record.retraction_conflict,
        review_state=review_state(record),
        conflicts=list(conflicts(record)),
        version_vector=dict(sorted(record.vv.items())),
        op_count=record.op_count,
        refused=refused,
        missing_required=list(missing or ()),
    )
