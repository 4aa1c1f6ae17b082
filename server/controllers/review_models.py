"""Request and response bodies of the supervisors' review routes, and their builders."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from typing import Annotated, Any

import msgspec

from forms.views import view_under
from server.attachments.views import AttachmentResponse, record_attachments
from server.context import ServerContext
from server.materialize import decode_record
from server.resolution import Applied
from server.review import HistoryEntry, actors, form_of
from server.store import sync_tables as st
from sync.ops import Op
from sync.record import Conflict, Record
from sync.stratigraphy import Relationship
from sync.view import RecordView


class RecordSummaryResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A record in a list: what it is, where it stands, when it last changed."""

    record_id: str
    project: str
    form_id: str
    form_version: int
    identifier: str | None
    review_state: str
    retracted: bool
    conflict_count: int
    updated_cursor: int
    updated_at_ms: int


class RecordPageResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A page of records; pass `next_cursor` back as `cursor` for the next (null: the end)."""

    items: list[RecordSummaryResponse]
    next_cursor: str | None


class ActorResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Who an actor id is: a device (its label) or a supervisor/admin token (its label)."""

    actor: str
    kind: str
    label: str


class RecordResponse(msgspec.Struct, frozen=True, kw_only=True):
    """One consolidated record: values, per-field provenance, every open conflict."""

    summary: RecordSummaryResponse
    actors: list[ActorResponse]
    record: RecordView
    # Every file the record's ops reference (server.attachments.views); `received` false
    # while the device that attached it has not uploaded it.
    attachments: list[AttachmentResponse] = msgspec.field(default_factory=list)
    missing_attachments: int = 0


class HistoryEntryResponse(msgspec.Struct, frozen=True, kw_only=True):
    """One op as stored: arrival cursor and time, batch, clock flag, and the op itself."""

    cursor: int
    received_at_ms: int
    clock_suspect: bool
    batch_id: str | None
    op: Op


class HistoryResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Every op of a record in arrival order."""

    record_id: str
    ops: list[HistoryEntryResponse]


class RecordConflictsResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A record's open conflicts, each with all its live values."""

    record_id: str
    form_id: str
    identifier: str | None
    conflicts: list[Conflict]


class ConflictPageResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A page of records with open conflicts."""

    items: list[RecordConflictsResponse]
    next_cursor: str | None


class ChosenValue(msgspec.Struct, frozen=True, kw_only=True):
    """A live value named by the dot of the op that wrote it."""

    actor: str
    counter: int


class ResolutionRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Resolve the conflict at `path`: `choose` a live value or give a new `value`."""

    conflict: Annotated[
        str,
        msgspec.Meta(
            description="the conflict's kind, as GET /v1/records/{id} lists it: "
            "field, item, key or retraction",
            examples=["field"],
        ),
    ]
    path: Annotated[
        str,
        msgspec.Meta(
            description="the conflict's path, as listed with it: FIELD, GROUP[ITEM].FIELD "
            "(field), GROUP[ITEM] (item), GROUP{KEY} (key) or retracted (retraction)",
            examples=["max_depth_m"],
        ),
    ]
    reason: Annotated[
        str, msgspec.Meta(description="why this resolution is right (required, audited)")
    ]
    choose: Annotated[
        ChosenValue | None,
        msgspec.Meta(description="the live value that stands, named by its op's dot"),
    ] = None
    value: Annotated[
        Any,
        msgspec.Meta(description="a new value instead of a live one (not with choose)"),
    ] = msgspec.UNSET


class ReviewRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Move a record to a review state (has_issues and rejected need a comment).

    Approving a record with open conflicts, duplicate identifiers or missing required
    fields needs `override_reason` (audited); without it the answer is 409 naming them.
    """

    state: str
    comment: str = ""
    override_reason: str = ""


class AppliedResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The supervisor op just stored (its dot and cursor) and the record after it."""

    actor: str
    counter: int
    cursor: int
    previous_state: str
    record: RecordResponse


class DuplicateResponse(msgspec.Struct, frozen=True, kw_only=True):
    """One human identifier value held by two or more records."""

    form_id: str
    name: str
    scope: str
    value: str
    records: list[RecordSummaryResponse]


class StratigraphyProblemResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A contradiction in a site's Harris matrix: a cycle, or a context related to itself.

    `relationships` are the rows that make it, each with the record and item holding it,
    so a supervisor can see which team recorded what and fix the wrong one.
    """

    site_code: str
    kind: str
    contexts: list[int]
    relationships: list[Relationship]


class QuarantineItemResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Something refused, with the reason; raw batches are described, never shown."""

    id: int
    kind: str
    code: str
    reason: str
    device_id: str | None
    batch_id: str | None
    received_at_ms: int
    size: int
    sha256: str
    # A refused op's msgpack, base64 (null for batches: their bytes stay sealed here).
    payload_b64: str | None


class QuarantinePageResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A page of quarantine; pass `next_after` back as `after` (null: the end)."""

    items: list[QuarantineItemResponse]
    next_after: int | None


def summary(row: st.RecordRow) -> RecordSummaryResponse:
    """The list view of a stored record."""
    return RecordSummaryResponse(
        record_id=row.record_id,
        project=row.project,
        form_id=row.form_id,
        form_version=row.form_version,
        identifier=row.identifier,
        review_state=row.review_state,
        retracted=bool(row.retracted),
        conflict_count=row.conflict_count,
        updated_cursor=row.updated_cursor,
        updated_at_ms=row.updated_at_ms,
    )


def view(ctx: ServerContext, record: Record) -> RecordView:
    """The review view, with repeat items in their form's explicit order."""
    form = form_of(ctx, record.form)
    return view_under(form, record)


def detail(
    ctx: ServerContext, conn: sqlite3.Connection, row: st.RecordRow, record: Record | None = None
) -> RecordResponse:
    """The full record response."""
    record = record or decode_record(row.state)
    who = actors(conn, record)
    files = record_attachments(conn, row.project, ctx.forms.resolve(record.form), record)
    return RecordResponse(
        summary=summary(row),
        actors=[ActorResponse(actor=a, kind=k, label=lbl) for a, (k, lbl) in who.items()],
        record=view(ctx, record),
        attachments=files,
        missing_attachments=sum(1 for f in files if not f.received),
    )


def history_entry(entry: HistoryEntry) -> HistoryEntryResponse:
    """One history line."""
    row = entry.row
    return HistoryEntryResponse(
        cursor=row.cursor,
        received_at_ms=row.received_at_ms,
        clock_suspect=row.clock_suspect,
        batch_id=row.batch_id,
        op=entry.op,
    )


def applied(ctx: ServerContext, conn: sqlite3.Connection, done: Applied) -> AppliedResponse:
    """The answer to a resolution or review."""
    return AppliedResponse(
        actor=done.op.dot.actor,
        counter=done.op.dot.counter,
        cursor=done.cursor,
        previous_state=done.previous_state,
        record=detail(ctx, conn, done.row, done.record),
    )


def quarantine_item(row: st.QuarantineRow) -> QuarantineItemResponse:
    """A quarantine row as shown to a supervisor."""
    return QuarantineItemResponse(
        id=row.id,
        kind=row.kind,
        code=row.code,
        reason=row.reason,
        device_id=row.device_id,
        batch_id=row.batch_id,
        received_at_ms=row.received_at_ms,
        size=len(row.payload),
        sha256=hashlib.sha256(row.payload).hexdigest(),
        payload_b64=base64.b64encode(row.payload).decode() if row.kind == "op" else None,
    )
