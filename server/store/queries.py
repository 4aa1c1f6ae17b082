"""Read queries for supervisors: filtered record pages, history, actors, counters.

Pages use keyset pagination (never OFFSET): a page is the rows after a key, so a page
costs the same however deep it is. Record lists are keyed by (updated_cursor, record_id):
a record changed while a client pages moves behind the client's position and shows up
again later, so no change is ever missed. Exports are keyed by record_id, so each record
appears exactly once. The bounding box goes through the R*Tree; its boxes are float32
rounded outwards, so the box test here is an overlap test and callers refine it exactly.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from server.store.attachments import missing_clause
from server.store.sync_tables import RecordRow, record_row

_RECORD_COLS = tuple(RecordRow.__struct_fields__)
_SELECT_COLS = f"SELECT {', '.join('r.' + c for c in _RECORD_COLS)}"
_SELECT = f"{_SELECT_COLS} FROM records r"
_DUPLICATED = (
    "SELECT i.record_id FROM identifiers i JOIN identifiers j"
    " ON j.project = i.project AND j.form_id = i.form_id AND j.name = i.name"
    " AND j.key = i.key AND j.record_id <> i.record_id"
    " WHERE i.project = ?"
)


class RecordFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which records of one project to list; None means "any"."""

    project: str
    form_id: str | None = None
    review_state: str | None = None
    has_conflicts: bool | None = None
    has_duplicates: bool | None = None
    retracted: bool | None = None
    has_missing_attachments: bool | None = None
    since: int | None = None
    text: str | None = None
    # (min_lon, min_lat, max_lon, max_lat); min_lon > max_lon crosses the antimeridian.
    bbox: tuple[float, float, float, float] | None = None


class OpHistoryRow(msgspec.Struct, frozen=True, kw_only=True):
    """One stored op of a record, with where and when it arrived."""

    cursor: int
    batch_id: str | None
    received_at_ms: int
    clock_suspect: bool
    op: bytes


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(flt: RecordFilter) -> tuple[str, list[object]]:
    clauses = ["r.project = ?"]
    params: list[object] = [flt.project]
    if flt.form_id is not None:
        clauses.append("r.form_id = ?")
        params.append(flt.form_id)
    if flt.review_state is not None:
        clauses.append("r.review_state = ?")
        params.append(flt.review_state)
    if flt.has_conflicts is not None:
        clauses.append("r.conflict_count > 0" if flt.has_conflicts else "r.conflict_count = 0")
    if flt.retracted is not None:
        clauses.append("r.retracted = ?")
        params.append(int(flt.retracted))
    if flt.has_duplicates is not None:
        clauses.append(f"r.record_id {'' if flt.has_duplicates else 'NOT '}IN ({_DUPLICATED})")
        params.append(flt.project)
    if flt.has_missing_attachments is not None:
        missing = missing_clause().replace("records.", "r.")
        clauses.append(missing if flt.has_missing_attachments else f"NOT {missing}")
    if flt.since is not None:
        clauses.append("r.updated_cursor > ?")
        params.append(flt.since)
    if flt.text:
        pattern = _like(flt.text)
        clauses.append(
            "(r.identifier LIKE ? ESCAPE '\\' OR r.record_id LIKE ? ESCAPE '\\' OR r.record_id IN"
            " (SELECT record_id FROM identifiers WHERE project = ? AND value LIKE ? ESCAPE '\\'))"
        )
        params.extend([pattern, pattern, flt.project, pattern])
    if flt.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        lon = "t.max_lon >= ? AND t.min_lon <= ?"
        if min_lon > max_lon:
            lon = "(t.max_lon >= ? OR t.min_lon <= ?)"
        clauses.append(
            "r.record_id IN (SELECT p.record_id FROM record_rtree t JOIN record_points p"
            " USING (point_id) WHERE p.project = ? AND t.max_lat >= ? AND t.min_lat <= ?"
            f" AND {lon})"
        )
        params.extend([flt.project, min_lat, max_lat, min_lon, max_lon])
    return " AND ".join(clauses), params


def _rows(conn: sqlite3.Connection, sql: str, params: list[object]) -> list[RecordRow]:
    return [record_row(row) for row in conn.execute(sql, params)]


def records_by_update(
    conn: sqlite3.Connection,
    flt: RecordFilter,
    after: tuple[int, str] | None,
    limit: int,
    newest: bool = False,
) -> list[RecordRow]:
    """Up to `limit` matching records after the (updated_cursor, record_id) key, oldest
    change first (or newest first, continuing below the key)."""
    where, params = _where(flt)
    if after is not None:
        where += f" AND (r.updated_cursor, r.record_id) {'<' if newest else '>'} (?, ?)"
        params.extend(after)
    order = "DESC" if newest else "ASC"
    sql = f"{_SELECT} WHERE {where} ORDER BY r.updated_cursor {order}, r.record_id {order} LIMIT ?"
    return _rows(conn, sql, [*params, limit])


def state_counts(conn: sqlite3.Connection, project: str) -> list[tuple[str, str, int]]:
    """(form id, review state, records) of a project's records, retracted ones left out."""
    rows = conn.execute(
        "SELECT form_id, review_state, COUNT(*) FROM records WHERE project = ? AND retracted = 0"
        " GROUP BY form_id, review_state ORDER BY form_id, review_state",
        (project,),
    )
    return [(r[0], r[1], r[2]) for r in rows]


def project_counts(conn: sqlite3.Connection, project: str) -> dict[str, int]:
    """Records with open conflicts, quarantined batches and ops, clock-suspect ops."""
    conflicts = conn.execute(
        "SELECT COUNT(*) FROM records WHERE project = ? AND conflict_count > 0", (project,)
    ).fetchone()[0]
    quarantine = conn.execute(
        "SELECT COUNT(*) FROM quarantine WHERE project = ?", (project,)
    ).fetchone()[0]
    return {"conflicts": conflicts, "quarantine": quarantine}


def device_quarantine_counts(conn: sqlite3.Connection, project: str) -> dict[str, int]:
    """How many batches and ops of each device of a project are in the quarantine."""
    rows = conn.execute(
        "SELECT device_id, COUNT(*) FROM quarantine WHERE project = ? AND device_id IS NOT NULL"
        " GROUP BY device_id",
        (project,),
    )
    return {r[0]: r[1] for r in rows}


def records_by_id(
    conn: sqlite3.Connection, flt: RecordFilter, after: str | None, limit: int
) -> list[RecordRow]:
    """Up to `limit` matching records with ids after `after`, by id (for exports)."""
    where, params = _where(flt)
    if after is not None:
        where += " AND r.record_id > ?"
        params.append(after)
    sql = f"{_SELECT} WHERE {where} ORDER BY r.record_id LIMIT ?"
    return _rows(conn, sql, [*params, limit])


# Where a record's columns end in a row of `records_by_id_rendered`, and its state.
RENDERED_AT = len(_RECORD_COLS)
STATE_AT = _RECORD_COLS.index("state")


def records_by_id_rendered(
    conn: sqlite3.Connection, flt: RecordFilter, after: str | None, limit: int, column: str
) -> list[tuple[Any, ...]]:
    """`records_by_id` as SQLite gives the rows (`record_row` makes a RecordRow of the
    first `RENDERED_AT` columns), each followed by its render's key, csv_spec and
    `column` ("csv" or "geojson"), all None when it has none (`record_renders`)."""
    if column not in ("csv", "geojson"):
        raise ValueError(f"no render column {column!r}")
    where, params = _where(flt)
    if after is not None:
        where += " AND r.record_id > ?"
        params.append(after)
    sql = (
        f"{_SELECT_COLS}, x.key, x.csv_spec, x.{column} FROM records r"
        " LEFT JOIN record_renders x ON x.project = r.project AND x.record_id = r.record_id"
        f" WHERE {where} ORDER BY r.record_id LIMIT ?"
    )
    return conn.execute(sql, [*params, limit]).fetchall()


def op_history(conn: sqlite3.Connection, project: str, record_id: str) -> list[OpHistoryRow]:
    """Every stored op of one record of a project, in arrival (cursor) order."""
    rows = conn.execute(
        "SELECT pcursor, batch_id, received_at_ms, clock_suspect, op FROM ops"
        " WHERE project = ? AND record_id = ? ORDER BY cursor",
        (project, record_id),
    )
    return [
        OpHistoryRow(
            cursor=r[0], batch_id=r[1], received_at_ms=r[2], clock_suspect=bool(r[3]), op=r[4]
        )
        for r in rows
    ]


def max_counter(conn: sqlite3.Connection, actor: str) -> int:
    """The highest counter stored for an actor (0 when it has no ops yet)."""
    (value,) = conn.execute(
        "SELECT COALESCE(MAX(counter), 0) FROM ops WHERE actor = ?", (actor,)
    ).fetchone()
    return int(value)


def actor_labels(conn: sqlite3.Connection, device_ids: list[str]) -> dict[str, str]:
    """Labels of the given devices (ids not found are absent)."""
    found: dict[str, str] = {}
    for i in range(0, len(device_ids), 900):
        part = device_ids[i : i + 900]
        marks = ", ".join("?" * len(part))
        sql = f"SELECT device_id, label FROM devices WHERE device_id IN ({marks})"
        found.update({r[0]: r[1] for r in conn.execute(sql, part)})
    return found


def token_labels(conn: sqlite3.Connection, token_ids: list[str]) -> dict[str, tuple[str, str]]:
    """(role, label) of the given tokens (ids not found are absent)."""
    found: dict[str, tuple[str, str]] = {}
    for i in range(0, len(token_ids), 900):
        part = token_ids[i : i + 900]
        sql = (
            "SELECT token_id, role, label FROM tokens"
            f" WHERE token_id IN ({', '.join('?' * len(part))})"
        )
        found.update({r[0]: (r[1], r[2]) for r in conn.execute(sql, part)})
    return found


def record_duplicates(
    conn: sqlite3.Connection, project: str, record_id: str
) -> list[tuple[str, str, str]]:
    """(identifier name, value, other record id) for each identifier the record shares."""
    rows = conn.execute(
        "SELECT i.name, i.value, j.record_id FROM identifiers i JOIN identifiers j"
        " ON j.project = i.project AND j.form_id = i.form_id AND j.name = i.name"
        " AND j.key = i.key AND j.record_id <> i.record_id"
        " WHERE i.project = ? AND i.record_id = ? ORDER BY i.name, i.value, j.record_id",
        (project, record_id),
    )
    return [(r[0], r[1], r[2]) for r in rows]


def device_sync_counts(conn: sqlite3.Connection, project: str) -> dict[str, tuple[int, int]]:
    """Per device of a project: (batches missing below its highest seq, clock-flagged ops)."""
    out: dict[str, tuple[int, int]] = {}
    rows = conn.execute(
        "SELECT device_id, COUNT(*), MAX(seq) FROM batches WHERE project = ? GROUP BY device_id",
        (project,),
    )
    for device_id, count, top in rows:
        out[device_id] = (int(top) - int(count), 0)
    flagged = conn.execute(
        "SELECT actor, COUNT(*) FROM ops WHERE project = ? AND clock_suspect = 1 GROUP BY actor",
        (project,),
    )
    for actor, n in flagged:
        missing = out.get(actor, (0, 0))[0]
        out[actor] = (missing, int(n))
    return out
