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


def _scan(
    fields: dict[str, Any], is_attachment: dict[str, bool], prefix: str
) -> list[AttachmentRef]:
    out = []
    for name, value in fields.items():
        if is_attachment.get(name) and (ref := _value_ref(value, prefix + name)) is not None:
            out.append(ref)
    return out


def _attachment_names(fields: tuple[Any, ...]) -> dict[str, bool]:
    return {f.name: isinstance(f, AttachmentField) for f in fields}


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
