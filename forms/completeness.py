"""Completeness: the required fields and repeat groups a consolidated record still lacks.

A required field is missing while it has no live, non-blank value; a repeat group while it
holds fewer present items than it needs (its ``min_items``, or one when it is required).
The device shows it before a push, the server lists it per record and in CSVs, and an
approval with anything missing needs an explicit reason (DESIGN.md law 10).
"""

from __future__ import annotations

from forms.schema import FormDef, RepeatGroup
from sync.record import Record
from sync.shown import ShownRecord

__all__ = ["missing_required", "required_fields"]


def _blank(value: object) -> bool:
    return value is None or value == "" or value == []


# Per form (by identity; definitions are immutable): (name, items needed or 0 for a field).
_PLANS: dict[int, tuple[FormDef, tuple[tuple[str, int], ...]]] = {}


def _plan(form: FormDef) -> tuple[tuple[str, int], ...]:
    cached = _PLANS.get(id(form))
    if cached is not None and cached[0] is form:
        return cached[1]
    plan: list[tuple[str, int]] = []
    for f in form.fields:
        if isinstance(f, RepeatGroup):
            need = max(f.min_items, 1 if f.required else 0)
            if need:
                plan.append((f.name, need))
        elif f.required:
            plan.append((f.name, 0))
    if len(_PLANS) > 512:
        _PLANS.clear()
    _PLANS[id(form)] = (form, tuple(plan))
    return _PLANS[id(form)][1]


def missing_required(form: FormDef, record: Record | ShownRecord) -> list[str]:
    """Names of the required fields and groups of ``form`` that ``record`` lacks, in form order
    (the shown part of a record, :mod:`sync.shown`, is enough)."""
    out: list[str] = []
    fields = record.fields
    for name, need in _plan(form):
        if need:
            present = sum(1 for item in record.items.get(name, {}).values() if item.present)
            if present < need:
                out.append(name)
            continue
        state = fields.get(name)
        # With live writes, the displayed value is the live winner's (`FieldState.value`);
        # this runs for every row of a CSV download, hence no property call.
        if state is None or not state.live or _blank(state.live[state.shown].value):
            out.append(name)
    return out


# Per form (by identity, as _PLANS): its required fields, and whether a group needs items.
_REQUIRED: dict[int, tuple[FormDef, frozenset[str], bool]] = {}


def required_fields(form: FormDef) -> tuple[frozenset[str], bool]:
    """The names of ``form``'s required fields (not groups), and whether any repeat group
    needs items: a record lacks nothing when each of those fields has a live, non-blank
    value and no group needs items (renderers that check every row test that first)."""
    cached = _REQUIRED.get(id(form))
    if cached is None or cached[0] is not form:
        plan = _plan(form)
        names = frozenset(name for name, need in plan if not need)
        if len(_REQUIRED) > 512:
            _REQUIRED.clear()
        cached = _REQUIRED[id(form)] = (form, names, any(need for _, need in plan))
    return cached[1], cached[2]
