"""Reading a consolidated record: open conflicts, every value written, item order.

Algorithm: a walk over the record's registers (:mod:`sync.record`). A field register
with different live values is a ``field`` conflict; an item removed concurrently with an
add or an edit is an ``item`` conflict; a retraction concurrent with an edit or an
un-retraction is a ``retraction`` conflict (DESIGN.md, laws 3, 5, 6). Results are sorted
by path so that two servers list the same conflicts in the same order.

Item order follows DESIGN.md law 5: an explicit order field when the form has one, else
(created HLC, item id); never the position in which items arrived.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, overload

import msgspec

from sync.record import (
    Conflict,
    ConflictValue,
    FieldState,
    ItemState,
    KeyConflict,
    Record,
    Write,
)
from sync.shown import ShownField, ShownItem, ShownRecord

__all__ = ["conflict_count", "conflict_paths", "conflicts", "iter_writes", "ordered_items"]

_VALUE_ENCODER = msgspec.msgpack.Encoder(order="deterministic")


def _side(record: Record, write: Write) -> ConflictValue:
    entry = record.entry(write)
    return ConflictValue(
        actor=write.actor,
        counter=write.counter,
        kind=entry.kind,
        hlc=entry.hlc,
        wall_time=entry.wall_time,
        value=write.value,
        note=write.note,
        gps=entry.gps,
        suspect_clock=entry.suspect,
    )


def _conflict(
    record: Record,
    kind: Literal["field", "item", "retraction", "key"],
    path: str,
    writes: tuple[Write, ...],
) -> Conflict:
    ordered = sorted(writes, key=lambda w: (w.actor, w.counter, w.value is True))
    return Conflict(kind=kind, path=path, values=tuple(_side(record, w) for w in ordered))


def _item_fields(group: str, item_id: str, item: ItemState) -> Iterator[tuple[str, FieldState]]:
    for name, state in item.fields.items():
        yield f"{group}[{item_id}].{name}", state


def _conflicted_item_fields(group: str, item_id: str, item: ItemState | ShownItem) -> list[str]:
    return [f"{group}[{item_id}].{n}" for n, state in item.fields.items() if state.conflict]


def conflicts(record: Record) -> tuple[Conflict, ...]:
    """List every open conflict of ``record`` with each live value and its provenance."""
    out: list[Conflict] = []
    for name, state in record.fields.items():
        if state.conflict:
            out.append(_conflict(record, "field", name, state.live or state.history))
    for group, members in record.items.items():
        for item_id, item in members.items():
            for path, state in _item_fields(group, item_id, item):
                if state.conflict:
                    out.append(_conflict(record, "field", path, state.live or state.history))
            if item.flagged:
                sides = item.presence.live + item.contest
                out.append(_conflict(record, "item", f"{group}[{item_id}]", sides))
    if record.retraction_conflict:
        sides = record.retraction.live + record.retraction_contest
        out.append(_conflict(record, "retraction", "retracted", sides))
    for key in record.key_conflicts:
        if not key.resolved:
            out.append(_key_conflict(record, key))
    return tuple(sorted(out, key=lambda c: c.path))


def conflict_paths(record: Record | ShownRecord) -> list[str]:
    """The paths of :func:`conflicts`, sorted and without repeats, for renderers that name
    conflicts without listing their values (CSV cells): no provenance is looked up, so the
    shown part of a record (:mod:`sync.shown`) is enough."""
    out = {name for name, state in record.fields.items() if state.conflict}
    for group, members in record.items.items():
        for item_id, item in members.items():
            out.update(_conflicted_item_fields(group, item_id, item))
            if item.flagged:
                out.add(f"{group}[{item_id}]")
    if record.retraction_conflict:
        out.add("retracted")
    if record.key_conflicts:  # (rare: no generator made for the others)
        out.update(key.path for key in record.key_conflicts if not key.resolved)
    return sorted(out) if out else []


def _key_conflict(record: Record, key: KeyConflict) -> Conflict:
    """One side per item sharing the key: the op that added it, its value the item id."""
    members = record.items.get(key.group, {})
    sides = []
    for item_id in key.items:
        item = members[item_id]
        adds = [w for w in item.presence.history if w.value is True] or list(item.edits)
        first = min(adds, key=lambda w: (record.entry(w).hlc, w.actor, w.counter))
        sides.append(_side(record, Write(actor=first.actor, counter=first.counter, value=item_id)))
    return Conflict(kind="key", path=key.path, values=tuple(sides))


def conflict_count(record: Record) -> int:
    """How many conflicts :func:`conflicts` lists, counted without building them."""
    count = sum(1 for state in record.fields.values() if state.conflict)
    for members in record.items.values():
        for item in members.values():
            count += sum(1 for state in item.fields.values() if state.conflict)
            count += item.flagged
    count += sum(1 for key in record.key_conflicts if not key.resolved)
    return count + record.retraction_conflict


def iter_writes(record: Record) -> Iterator[tuple[str, Write]]:
    """Yield (path, write) for every value ever written to a field of ``record``."""
    for name, state in record.fields.items():
        for write in state.history:
            yield name, write
    for group, members in record.items.items():
        for item_id, item in members.items():
            for path, state in _item_fields(group, item_id, item):
                for write in state.history:
                    yield path, write


def _order_value(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool) or value is None:
        return (3, _VALUE_ENCODER.encode(value))
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, _VALUE_ENCODER.encode(value))


@overload
def ordered_items(
    record: Record, group: str, order_field: str | None = None, *, include_removed: bool = False
) -> tuple[tuple[str, ItemState], ...]: ...


@overload
def ordered_items(
    record: ShownRecord,
    group: str,
    order_field: str | None = None,
    *,
    include_removed: bool = False,
) -> tuple[tuple[str, ShownItem], ...]: ...


def ordered_items(
    record: Record | ShownRecord,
    group: str,
    order_field: str | None = None,
    *,
    include_removed: bool = False,
) -> tuple[tuple[str, ItemState | ShownItem], ...]:
    """Return a group's items ordered by ``order_field`` if given, then (created HLC, id)."""
    members: dict[str, ItemState] | dict[str, ShownItem] = record.items.get(group, {})
    chosen = [(i, s) for i, s in members.items() if include_removed or s.present]

    def key(pair: tuple[str, ItemState | ShownItem]) -> tuple[tuple[int, Any], int, str]:
        item_id, item = pair
        state: FieldState | ShownField | None = (
            item.fields.get(order_field) if order_field else None
        )
        rank = _order_value(state.value) if state is not None else (4, b"")
        return (rank, item.created_hlc, item_id)

    return tuple(sorted(chosen, key=key))
