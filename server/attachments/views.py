"""What a record shows of its files: each referenced file, whether it arrived, its EXIF
facts and the flags a reviewer should see (the same list for the API and the console)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import msgspec

from forms.schema import FormDef, GeopointField
from server.attachments import exif
from server.store import attachments as rows
from server.store import sync_tables as st
from sync import ops as op_types
from sync.record import Record

_OP = msgspec.msgpack.Decoder(op_types.Op)  # type: ignore[arg-type]


class AttachmentResponse(msgspec.Struct, frozen=True, kw_only=True):
    """One file a record's ops reference."""

    sha256: str
    paths: list[str]
    filenames: list[str]
    referenced_by: list[str]
    received: bool
    size: int | None = None
    media_type: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None
    exif: dict[str, Any] = msgspec.field(default_factory=dict)
    flags: list[dict[str, Any]] = msgspec.field(default_factory=list)


def _record_place(form: FormDef, record: Record) -> dict[str, float] | None:
    for field in form.fields:
        if isinstance(field, GeopointField) and field.name in record.fields:
            value = record.fields[field.name].value
            if isinstance(value, dict) and isinstance(value.get("lat"), int | float):
                return {
                    "lat": float(value["lat"]),
                    "lon": float(value["lon"]),
                    "h_acc_m": float(value.get("h_acc_m") or 0.0),
                }
    return None


def _first_op(conn: sqlite3.Connection, record_id: str, sha: str, project: str) -> Any:
    row = conn.execute(
        "SELECT actor, counter FROM attachment_refs WHERE project = ? AND record_id = ? "
        "AND sha256 = ? ORDER BY counter LIMIT 1",
        (project, record_id, sha),
    ).fetchone()
    if row is None:
        return None
    blob = st.existing_ops(conn, [(row[0], row[1])]).get((row[0], row[1]))
    return None if blob is None else _OP.decode(blob)


def record_attachments(
    conn: sqlite3.Connection, project: str, form: FormDef, record: Record
) -> list[AttachmentResponse]:
    """Every file the record's ops reference, held or missing, with EXIF and its flags."""
    out = []
    place = _record_place(form, record)
    for found in rows.record_attachments(conn, project, [record.id])[record.id]:
        facts = json.loads(found.exif) if found.received else {}
        flags: list[dict[str, Any]] = []
        if facts:
            op = _first_op(conn, record.id, found.sha256, project)
            where = place
            if where is None and op is not None and op.gps is not None:
                where = {"lat": op.gps.lat, "lon": op.gps.lon, "h_acc_m": op.gps.h_acc_m}
            flags = exif.flags(
                facts, gps=where, wall_time_ms=op.wall_time if op is not None else None
            )
        image = bool(found.media_type and found.media_type.startswith("image/"))
        out.append(
            AttachmentResponse(
                sha256=found.sha256,
                paths=found.paths,
                filenames=found.filenames,
                referenced_by=found.referenced_by,
                received=found.received,
                size=found.size,
                media_type=found.media_type,
                url=f"/v1/attachments/{found.sha256}" if found.received else None,
                thumbnail_url=(
                    f"/v1/attachments/{found.sha256}/thumbnail"
                    if found.received and image
                    else None
                ),
                exif=facts,
                flags=flags,
            )
        )
    return out
