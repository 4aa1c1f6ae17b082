"""Validate record values and repeat items against a form definition.

`validate(form, values)` checks a full record; `partial=True` checks an edit that carries
only some fields (nothing is reported missing, but a required field cannot be cleared).
`validate_item(form, group, item)` checks one repeat item, as the sync core stores items
through item ops. Every problem is returned, never only the first; warnings (severity
"warning") leave a value valid, errors do not. Checkers are compiled once per form.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from forms.checkers import compile_field
from forms.primitives import Checker, add, wrong_type
from forms.schema import AnyField, FormDef, Problem, RepeatGroup

ITEM_ID = "item_id"


def _blank(v: object) -> bool:
    return v is None or ((type(v) is str or type(v) is list) and not v)  # type: ignore[arg-type]


class _ObjectSpec:
    """The compiled checkers of one level: a record's fields, or a repeat group's."""

    __slots__ = ("checkers", "counted", "names", "owner", "required", "required_set")

    def __init__(self, fields: tuple[AnyField, ...], owner: str, is_item: bool) -> None:
        self.owner = owner
        self.checkers: dict[str, Checker] = {}
        for f in fields:
            self.checkers[f.name] = _group(f) if isinstance(f, RepeatGroup) else compile_field(f)
        if is_item:
            self.checkers[ITEM_ID] = _item_id
        self.required = tuple(f.name for f in fields if f.required)
        self.required_set = frozenset(self.required)
        # Groups whose own checker reports an empty list (too few items).
        self.counted = frozenset(
            f.name for f in fields if isinstance(f, RepeatGroup) and f.min_items > 0
        )
        self.names = tuple(self.checkers)

    def check(self, values: object, prefix: str, partial: bool, out: list[Problem]) -> None:
        """Append every problem of `values` (a mapping) at paths under `prefix`."""
        if type(values) is not dict and not isinstance(values, Mapping):
            return wrong_type(out, prefix or "(record)", "an object of field values", values)
        dot = f"{prefix}." if prefix else ""
        checkers = self.checkers
        for name, v in values.items():
            path = name if not dot and type(name) is str else f"{dot}{name}"
            checker = checkers.get(name)
            if checker is None:
                self._unknown(str(name), path, out)
            elif v is None:
                if partial and name in self.required_set:
                    add(out, path, "missing_required", "is required and cannot be cleared")
            else:
                checker(v, path, out)
        if not partial:
            for name in self.required:
                v = values.get(name)
                if _blank(v) and not (v == [] and name in self.counted):
                    add(out, f"{dot}{name}", "missing_required", "is required but has no value")

    def _unknown(self, name: str, path: str, out: list[Problem]) -> None:
        close = difflib.get_close_matches(name, self.names, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        add(out, path, "unknown_field", f"is not a field of {self.owner}{hint}")


def _item_id(v: object, path: str, out: list[Problem]) -> None:
    if type(v) is not str or not v:
        wrong_type(out, path, "an item id (text)", v)


def _group(group: RepeatGroup) -> Checker:
    spec = _ObjectSpec(group.fields, f"the {group.name} group", is_item=True)
    # A required group that is absent or empty is reported by the level above.
    lo, hi = group.min_items, group.max_items

    def check(v: object, path: str, out: list[Problem]) -> None:
        if not isinstance(v, list | tuple):
            return wrong_type(out, path, "a list of items", v)
        if len(v) < lo:
            text = f"needs at least {lo} item{'s' if lo != 1 else ''}, got {len(v)}"
            add(out, path, "too_few_items", text)
        if hi is not None and len(v) > hi:
            add(out, path, "too_many_items", f"allows at most {hi} items, got {len(v)}")
        for i, item in enumerate(v):
            spec.check(item, f"{path}[{i}]", False, out)

    return check


class CompiledForm:
    """A form's checkers, built once: the record level and one spec per repeat group."""

    __slots__ = ("form", "groups", "record")

    def __init__(self, form: FormDef) -> None:
        self.form = form
        self.record = _ObjectSpec(form.fields, form.ref, is_item=False)
        self.groups = {
            f.name: _ObjectSpec(f.fields, f"the {f.name} group", is_item=True)
            for f in form.fields
            if isinstance(f, RepeatGroup)
        }


_CACHE: dict[int, CompiledForm] = {}
_CACHE_LIMIT = 512


def compile_form(form: FormDef) -> CompiledForm:
    """The compiled checkers of a form (cached by identity: forms are immutable)."""
    compiled = _CACHE.get(id(form))
    if compiled is not None and compiled.form is form:
        return compiled
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    compiled = _CACHE[id(form)] = CompiledForm(form)
    return compiled


def validate(form: FormDef, values: object, partial: bool = False) -> list[Problem]:
    """Every problem of a record's values (or of an edit's, with `partial=True`)."""
    out: list[Problem] = []
    compile_form(form).record.check(values, "", partial, out)
    return out


def validate_item(
    form: FormDef,
    group: str,
    values: object,
    partial: bool = False,
    index: int | None = None,
) -> list[Problem]:
    """Every problem of one repeat item; paths are `group.field`, or `group[index].field`."""
    out: list[Problem] = []
    spec = compile_form(form).groups.get(group)
    if spec is None:
        add(out, group, "unknown_group", f"is not a repeat group of {form.ref}")
        return out
    spec.check(values, group if index is None else f"{group}[{index}]", partial, out)
    return out
