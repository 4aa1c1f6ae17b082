"""Whether the server accepts one op: who wrote it, for which form, with which values.

An op that fails is refused on its own (listed in the receipt, kept in quarantine); the
rest of its batch is applied. Devices validate with the same `forms` code and the same
op-local laws (`sync.laws.local_refusals`) before they store an op, so refusals here mean
an old or misbehaving client, never a normal edit. The laws that depend on what the op's
author had seen (immutable fields) are decided by the merge itself, in any order
(`sync.merge`): such an op is stored as evidence and listed as refused.
"""

from __future__ import annotations

from forms.errors import FormError
from forms.laws import rules_of
from forms.library import FormLibrary
from forms.schema import FormDef, only_errors
from forms.validate import validate, validate_item
from server.store import admin as admin_rows
from server.store import sync_tables as st
from sync import laws
from sync import ops as op_types

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
    codes = laws.local_refusals(rules_of(form), op)
    if codes:
        return laws.refusal_message(codes)
    if isinstance(op, op_types.Create | op_types.Patch):  # the common case, first
        problems = validate(form, op.fields, partial=True)
    else:
        match op:
            case op_types.ItemAdd(group=group, fields=fields):
                problems = validate_item(form, group, fields, partial=True)
            case op_types.ItemEdit(group=group, fields=fields):
                problems = validate_item(form, group, fields, partial=True)
            case op_types.ItemRemove(group=group):
                problems = [] if form.group(group) is not None else validate_item(form, group, {})
            case _:
                problems = []
    if not problems:
        return None
    errors = only_errors(problems)
    if not errors:
        return None
    return "; ".join(p.message for p in errors)


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
        found = self.early(op)
        if isinstance(found, tuple):
            return found
        return self.late(op, found, existing, _values_problem(found, op))

    def early(self, op: op_types.Op) -> tuple[str, str] | FormDef:
        """What is decided without the record: (code, reason) of a refusal for the op's
        author, kind or form, or else its form (for `late`)."""
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
        return form

    def values(self, op: op_types.Op, form: FormDef) -> str | None:
        """The op's values against its form (no record needed): the reason, or None."""
        return _values_problem(form, op)

    @staticmethod
    def late(
        op: op_types.Op, form: FormDef, existing: st.RecordRow | None, values: str | None
    ) -> tuple[str, str] | None:
        """The rest of `problem`, given `early`'s form, the record as stored and `values`'s
        answer: the record's form first, then the values."""
        # `existing` is the device's own project's record of that id (ids are scoped to
        # their project: another project's record of the same id is never looked at).
        if existing is not None and existing.form_id != form.id:
            return (
                "form_mismatch",
                f"record {op.record_id} is a {existing.form_id} record, not {form.id}",
            )
        return None if values is None else ("invalid_values", values)
