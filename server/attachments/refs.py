"""Attachment references derived from ops: written with each op, rebuilt on opening."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import msgspec

from forms.attachments import op_attachments
from forms.errors import FormError
from forms.library import FormLibrary
from forms.schema import FormDef
from server.store import attachments as rows
from server.store import sync_tables as st
from sync import ops as op_types

_OP = msgspec.msgpack.Decoder(op_types.Op)  # type: ignore[arg-type]


def ref_rows(forms: FormLibrary, project: str, ops: Iterable[op_types.Op]) -> list[rows.RefRow]:
    """The reference rows of ops of one project."""
    out = []
    resolved: dict[str, FormDef | None] = {}  # each form ref resolved once per call
    for op in ops:
        if op.form in resolved:
            form = resolved[op.form]
        else:
            try:
                form = resolved[op.form] = forms.resolve(op.form)
            except FormError:
                form = resolved[op.form] = None
        if form is None:
            continue
        for ref in op_attachments(form, op):
            out.append(
                rows.RefRow(
                    project=project,
                    record_id=op.record_id,
                    sha256=ref.sha256,
                    actor=op.dot.actor,
                    counter=op.dot.counter,
                    path=ref.path,
                    filename=ref[2],
                )
            )
    return out


def record_refs(
    conn: sqlite3.Connection, forms: FormLibrary, project: str, ops: Sequence[op_types.Op]
) -> None:
    """Store the references of newly stored ops (same transaction as the ops)."""
    found = ref_rows(forms, project, ops)
    if found:
        rows.insert_refs(conn, found)


def rebuild_refs(conn: sqlite3.Connection, forms: FormLibrary) -> int:
    """Derive every reference from the stored ops again; return how many there are."""
    rows.clear_refs(conn)
    total = 0
    batch: list[rows.RefRow] = []
    for _cursor, project, _rid, blob, _suspect in st.ops_by_record(conn):
        batch.extend(ref_rows(forms, project, [_OP.decode(blob)]))
        if len(batch) >= 5000:
            rows.insert_refs(conn, batch)
            total, batch = total + len(batch), []
    rows.insert_refs(conn, batch)
    st.set_meta(conn, rows.REFS_FORMAT_KEY, rows.REFS_FORMAT)
    return total + len(batch)


def refs_current(conn: sqlite3.Connection) -> bool:
    """Whether references were derived for every stored op (false after an upgrade)."""
    return st.get_meta(conn, rows.REFS_FORMAT_KEY) == rows.REFS_FORMAT
