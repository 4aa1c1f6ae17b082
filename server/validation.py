"""Whether the server accepts one op: who wrote it, for which form, with which values.

An op that fails is refused on its own (listed in the receipt, kept in quarantine); the
rest of its batch is applied. Devices validate with the same `forms` code before they
store an op, so refusals here mean an old or misbehaving client, never a normal edit.
"""

from __future__ import annotations

import msgspec

from forms.errors import FormError
from forms.library import FormLibrary
from forms.schema import FormDef, only_errors
from forms.validate import validate, validate_item
from server.store import admin as admin_rows
from server.store import sync_tables as st
from sync import ops as op_types
from sync.record import Record

_RECORD = msgspec.msgpack.Decoder(Record)

SUPERVISOR_KINDS = (op_types.Resolve, op_types.Review)


def _form(forms: FormLibrary, ref: str) -> FormDef | str:
    if "@" not in ref:
        return f"form {ref!r} must name its version, as in {ref}@1"
    try:
        form: FormDef = forms.resolve(ref)
        return form
    except (FormError, ValueError) as exc:
        return f"unknown form {ref!r}: {exc}"


def _values_problem(form: FormDef, op: op_types.Op) -> str | None:
    if isinstance(op, op_types.Create | op_types.Patch):  # the common case, first
        problems = validate(form, op.fields, partial=True)
    else:
        match op:
            case op_types.ItemAdd(group=group, fields=fields):
                problems = validate_item(form, group, fields, partial=True)
            case op_types.ItemEdit(group=group) | op_types.ItemRemove(group=group):
                spec = form.group(group)
                if spec is not None and spec.append_only:
                    return (
                        f"{group}: rows of this group are append-only; add a correcting row instead"
                    )
                if isinstance(op, op_types.ItemEdit):
                    problems = validate_item(form, group, op.fields, partial=True)
                else:
                    problems = [] if spec is not None else validate_item(form, group, {})
            case _:
                problems = []
    if not problems:
        return None
    errors = only_errors(problems)
    if not errors:
        return None
    return "; ".join(p.message for p in errors)


def _immutable_problem(form: FormDef, op: op_types.Op, existing: st.RecordRow) -> str | None:
    if not isinstance(op, op_types.Patch):
        return None
    locked = [
        name for name in op.fields if (field := form.field(name)) is not None and field.immutable
    ]
    if not locked:
        return None
    record = _RECORD.decode(existing.state)
    for name in locked:
        state = record.fields.get(name)
        if state is not None and state.live and state.value != op.fields[name]:
            return (
                f"{name}: is fixed once written (it was {state.value!r}); record a "
                "correction as a new record or ask a supervisor to resolve"
            )
    return None


def op_problem(
    forms: FormLibrary,
    op: op_types.Op,
    device: admin_rows.DeviceRow,
    existing: st.RecordRow | None,
) -> tuple[str, str] | None:
    """(code, reason) when the op must be refused, else None."""
    return OpChecker(forms, device).problem(op, existing)


class OpChecker:
    """`op_problem` for the ops of one device's batch, each form ref resolved only once."""

    __slots__ = ("_forms", "device", "forms")

    def __init__(self, forms: FormLibrary, device: admin_rows.DeviceRow) -> None:
        self.forms = forms
        self.device = device
        self._forms: dict[str, FormDef | str] = {}

    def problem(self, op: op_types.Op, existing: st.RecordRow | None) -> tuple[str, str] | None:
        """(code, reason) when the op must be refused, else None."""
        device = self.device
        if op.dot.actor != device.device_id:
            return (
                "foreign_actor",
                f"op {op.dot.actor}:{op.dot.counter} names another actor; a device may only "
                "send its own ops",
            )
        if isinstance(op, SUPERVISOR_KINDS):
            return ("supervisor_only", "only supervisors resolve conflicts and review records")
        form = self._forms.get(op.form)
        if form is None:
            form = self._forms[op.form] = _form(self.forms, op.form)
        if isinstance(form, str):
            return ("unknown_form", form)
        if existing is not None:
            if existing.project != device.project:
                return ("other_project", f"record {op.record_id} belongs to another project")
            if existing.form_id != form.id:
                return (
                    "form_mismatch",
                    f"record {op.record_id} is a {existing.form_id} record, not {form.id}",
                )
        problem = _values_problem(form, op)
        if problem is None and existing is not None:
            problem = _immutable_problem(form, op, existing)
        return None if problem is None else ("invalid_values", problem)
