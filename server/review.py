"""Supervisor reads: record filters and pages, one record's view and history, duplicates,
and the Harris-matrix check of each site's excavation contexts.

Who may see what is decided here, once: admins see every project, a supervisor only their
own, and a record of another project answers exactly like a record that does not exist
(so existence does not leak). Filters arrive as query text and are checked here, so a bad
value gets a 400 naming the parameter. Writes (resolutions, reviews) are in
`server.resolution`.
"""

from __future__ import annotations

import base64
import binascii
import math
import sqlite3

import msgspec

from forms.errors import FormError
from forms.schema import FormDef
from server.auth import Principal, require_project
from server.context import ServerContext
from server.errors import BadRequest, NotFound
from server.materialize import decode_record, point
from server.store import admin as admin_rows
from server.store import queries
from server.store import sync_tables as st
from sync.ops import Op
from sync.record import Record
from sync.stratigraphy import Relationship, StratigraphyProblem, check_site, relationships

REVIEW_STATES = ("received", "has_issues", "approved", "rejected", "edited")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_CURSOR = msgspec.msgpack.Decoder(tuple[int, str])
_CURSOR_ENC = msgspec.msgpack.Encoder()
_OP = msgspec.msgpack.Decoder(Op)  # type: ignore[arg-type]


class RecordPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a record list and the opaque cursor of the next (None at the end)."""

    rows: list[st.RecordRow]
    next_cursor: str | None


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One stored op of a record, decoded, with its arrival facts."""

    row: queries.OpHistoryRow
    op: Op


def require_visible_project(conn: sqlite3.Connection, principal: Principal, project: str) -> None:
    """The project exists and this principal may see it; else 404 (the same either way)."""
    require_project(principal, project)
    if admin_rows.get_project(conn, project) is None:
        raise NotFound(f"no project {project!r}")


def visible_record(
    conn: sqlite3.Connection, principal: Principal, record_id: str, project: str | None = None
) -> st.RecordRow:
    """The stored record if this principal may see it; else 404 (the same either way).

    Record ids are scoped to their project. A supervisor's records are their project's; an
    admin names the project (`?project=`) when the id is held by more than one (400
    `project_required`, listing them: an admin sees every project anyway).
    """
    if principal.role != "admin":
        if project is not None and project != principal.project:
            raise NotFound(f"no record {record_id!r}", code="unknown_record")
        project = principal.project
    if project is None:
        holders = st.projects_holding(conn, record_id)
        if len(holders) > 1:
            raise BadRequest(
                f"record id {record_id!r} is held by projects {', '.join(holders)}; name one "
                "with ?project=CODE",
                code="project_required",
                projects=holders,
            )
        project = holders[0] if holders else None
    row = None if project is None else st.get_record(conn, project, record_id)
    if row is None:
        raise NotFound(f"no record {record_id!r}", code="unknown_record")
    return row


def form_of(ctx: ServerContext, ref: str) -> FormDef:
    """The form definition named by a record's `form` reference."""
    form: FormDef = ctx.forms.resolve(ref)
    return form


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """`min_lon,min_lat,max_lon,max_lat` (RFC 7946 order) as numbers, checked."""
    parts = text.split(",")
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        numbers = ()
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise BadRequest(
            f"bbox {text!r} must be four numbers min_lon,min_lat,max_lon,max_lat "
            "(longitude first, WGS 84 degrees), e.g. bbox=46.8,40.0,47.0,40.2",
            code="bad_bbox",
        )
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise BadRequest("bbox longitudes must lie in -180..180", code="bad_bbox")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise BadRequest(
            "bbox latitudes must lie in -90..90 with min_lat <= max_lat", code="bad_bbox"
        )
    return min_lon, min_lat, max_lon, max_lat


def record_filter(
    ctx: ServerContext,
    project: str,
    *,
    form: str | None = None,
    review_state: str | None = None,
    has_conflicts: bool | None = None,
    has_duplicates: bool | None = None,
    retracted: bool | None = None,
    since: int | None = None,
    q: str | None = None,
    bbox: str | None = None,
    has_missing_attachments: bool | None = None,
) -> queries.RecordFilter:
    """A checked filter from query parameters (400 naming the first bad one)."""
    if form is not None and form not in ctx.forms.ids():
        known = ", ".join(ctx.forms.ids())
        raise BadRequest(f"form={form!r} is not a known form; known: {known}", code="bad_filter")
    if review_state is not None and review_state not in REVIEW_STATES:
        raise BadRequest(
            f"review_state={review_state!r} must be one of {', '.join(REVIEW_STATES)}",
            code="bad_filter",
        )
    if since is not None and since < 0:
        raise BadRequest("since must be a cursor >= 0", code="bad_filter")
    return queries.RecordFilter(
        project=project,
        form_id=form,
        review_state=review_state,
        has_conflicts=has_conflicts,
        has_duplicates=has_duplicates,
        retracted=retracted,
        has_missing_attachments=has_missing_attachments,
        since=since,
        text=(q.strip() or None) if q is not None else None,
        bbox=parse_bbox(bbox) if bbox is not None else None,
    )


def encode_cursor(row: st.RecordRow) -> str:
    """The opaque cursor that continues a list after this row."""
    raw = _CURSOR_ENC.encode((row.updated_cursor, row.record_id))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[int, str]:
    """The (updated_cursor, record_id) key inside an opaque cursor; 400 if it is not one."""
    try:
        return _CURSOR.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise BadRequest(
            "cursor is not one this server gave out; pass next_cursor back unchanged, "
            "or drop it to start from the beginning",
            code="bad_cursor",
        ) from exc


def check_limit(limit: int) -> int:
    """The page size, checked against 1..MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}", code="bad_limit")
    return limit


def in_box(ctx: ServerContext, row: st.RecordRow, bbox: tuple[float, float, float, float]) -> bool:
    """Whether the record's point lies in the box, exactly (the R*Tree rounds to float32)."""
    try:
        where = point(form_of(ctx, f"{row.form_id}@{row.form_version}"), decode_record(row.state))
    except FormError:
        return False
    if where is None:
        return False
    lat, lon = where
    min_lon, min_lat, max_lon, max_lat = bbox
    lon_ok = min_lon <= lon <= max_lon if min_lon <= max_lon else lon >= min_lon or lon <= max_lon
    return min_lat <= lat <= max_lat and lon_ok


def page_records(
    ctx: ServerContext,
    flt: queries.RecordFilter,
    cursor: str | None,
    limit: int,
    newest: bool = False,
) -> RecordPage:
    """One page of matching records, oldest change first (or newest first)."""
    after = decode_cursor(cursor) if cursor else None
    rows = queries.records_by_update(ctx.store.reader(), flt, after, check_limit(limit) + 1, newest)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]) if more else None
    if flt.bbox is not None:
        bbox = flt.bbox
        rows = [r for r in rows if in_box(ctx, r, bbox)]
    return RecordPage(rows=rows, next_cursor=next_cursor)


def history(conn: sqlite3.Connection, row: st.RecordRow) -> list[HistoryEntry]:
    """Every op of a record, decoded, in arrival order."""
    ops = queries.op_history(conn, row.project, row.record_id)
    return [HistoryEntry(row=r, op=_OP.decode(r.op)) for r in ops]


def actors(conn: sqlite3.Connection, record: Record) -> dict[str, tuple[str, str]]:
    """(kind, label) of every actor that wrote to the record: device or supervisor token."""
    ids = sorted(record.vv)
    devices = queries.actor_labels(conn, ids)
    tokens = queries.token_labels(conn, [a.split("-", 1)[1] for a in ids if "-" in a])
    out: dict[str, tuple[str, str]] = {}
    for actor in ids:
        if actor in devices:
            out[actor] = ("device", devices[actor])
        elif "-" in actor and (token := tokens.get(actor.split("-", 1)[1])) is not None:
            out[actor] = token
        else:
            out[actor] = ("unknown", "")
    return out


def duplicates(
    conn: sqlite3.Connection, project: str
) -> list[tuple[str, str, str, str, list[st.RecordRow]]]:
    """(form_id, name, scope, value, records) for every identifier held by 2+ records."""
    out = []
    for form_id, name, scope, value, ids in st.duplicate_identifiers(conn, project):
        rows = st.load_states(conn, project, ids)
        out.append((form_id, name, scope, value, [rows[i] for i in ids if i in rows]))
    return out


# The Harris matrix lives in the excavation-context form's relationships group (docs/forms.md F2).
HARRIS_FORM = "excavation_context"
HARRIS_SITE_FIELD = "site_code"


def site_relationships(conn: sqlite3.Connection, project: str) -> dict[str, list[Relationship]]:
    """Every live relationship row of each site's Harris matrix, by site code."""
    by_site: dict[str, list[Relationship]] = {}
    for row in st.iter_form_records(conn, project, HARRIS_FORM):
        record = decode_record(row.state)
        site = record.fields.get(HARRIS_SITE_FIELD)
        if site is None or not site.live or not isinstance(site.value, str):
            continue
        by_site.setdefault(site.value, []).extend(relationships(record))
    return dict(sorted(by_site.items()))


def stratigraphy(conn: sqlite3.Connection, project: str) -> list[tuple[str, StratigraphyProblem]]:
    """(site code, problem) for every cycle and self-reference in each site's Harris matrix."""
    by_site = site_relationships(conn, project)
    return [(site, problem) for site in by_site for problem in check_site(by_site[site])]
