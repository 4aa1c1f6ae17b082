"""Which files an op references: the attachment values it writes, under its form.

One function, run by the device (to know what to upload) and the server (to know which
records wait for which files, and which uploads a device may make). A value counts only
in a field the form declares as an attachment, at the top level or in a repeat group's
item; resolutions that choose an attachment value count too.
"""

from __future__ import annotations

from typing import Any

from forms.schema import AttachmentField, FormDef
from sync import ops


class AttachmentRef(tuple[str, str, str]):
    """(sha256, field path, filename) of one reference; a tuple so it sorts and compares."""

    __slots__ = ()

    def __new__(cls, sha256: str, path: str, filename: str) -> AttachmentRef:
        """Build one reference."""
        return super().__new__(cls, (sha256, path, filename))

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (64 lower-case hex digits)."""
        return self[0]

    @property
    def path(self) -> str:
        """Where it is referenced: `FIELD` or `GROUP[ITEM].FIELD`."""
        return self[1]


def _value_ref(value: Any, path: str) -> AttachmentRef | None:
    if isinstance(value, dict) and isinstance(value.get("sha256"), str):
        name = value.get("filename")
        return AttachmentRef(value["sha256"], path, name if isinstance(name, str) else "")
    return None


def _scan(fields: dict[str, Any], names: frozenset[str], prefix: str) -> list[AttachmentRef]:
    if not names:
        return []  # a form (or group) with no attachment field: nothing to look at
    out = []
    for name, value in fields.items():
        if name in names and (ref := _value_ref(value, prefix + name)) is not None:
            out.append(ref)
    return out


# Field tuples → the names of their attachment fields, by identity (forms are immutable and
# live as long as their library): worked out once per form, not once per op.
_NAMES: dict[int, tuple[tuple[Any, ...], frozenset[str]]] = {}
_NAMES_LIMIT = 1024


def _attachment_names(fields: tuple[Any, ...]) -> frozenset[str]:
    cached = _NAMES.get(id(fields))
    if cached is not None and cached[0] is fields:
        return cached[1]
    if len(_NAMES) >= _NAMES_LIMIT:
        _NAMES.clear()
    names = frozenset(f.name for f in fields if isinstance(f, AttachmentField))
    _NAMES[id(fields)] = (fields, names)
    return names


def op_attachments(form: FormDef, op: ops.Op) -> list[AttachmentRef]:
    """Every attachment value ``op`` writes (none for ops that write no values)."""
    match op:
        case ops.Create() | ops.Patch():
            return _scan(op.fields, _attachment_names(form.fields), "")
        case ops.ItemAdd() | ops.ItemEdit():
            group = form.group(op.group)
            if group is None:
                return []
            return _scan(op.fields, _attachment_names(group.fields), f"{op.group}[{op.item_id}].")
        case ops.Resolve(conflict="field", field=str() as name):
            fields = form.fields
            prefix = ""
            if op.group is not None:
                group = form.group(op.group)
                fields = group.fields if group is not None else ()
                prefix = f"{op.group}[{op.item_id}]."
            return _scan({name: op.value}, _attachment_names(fields), prefix)
    return []
