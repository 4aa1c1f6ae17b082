"""Batches, ops, quarantine and the materialized tables (records, identifiers, points).

Ops and raw batches are append-only (triggers refuse UPDATE and DELETE). Records,
identifiers and points are derived from the ops and can be rebuilt at any time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

import msgspec

# SQLite's default limit on host parameters is 32766; stay well below it.
_CHUNK = 900


class BatchRow(msgspec.Struct, frozen=True, kw_only=True):
    """An accepted batch as stored (raw sealed bytes and the receipt we sent)."""

    batch_id: str
    device_id: str
    project: str
    seq: int
    key_id: str
    sealed: bytes
    sealed_sha256: str
    received_at_ms: int
    op_count: int
    receipt: bytes


class OpRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One op to store; `op` is its msgpack encoding, kept byte for byte.

    `gc=False`: it holds only strings, numbers and bytes, and a tuple holding it (ingest
    pairs each op with its row) can then be left out of the cyclic GC too.
    """

    project: str
    record_id: str
    actor: str
    counter: int
    kind: str
    hlc: int
    batch_id: str | None
    received_at_ms: int
    clock_suspect: bool
    op: bytes


class RecordRow(msgspec.Struct, frozen=True, kw_only=True):
    """A consolidated record: searchable columns plus its encoded state."""

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
    state: bytes


class IdentifierRow(msgspec.Struct, frozen=True, kw_only=True):
    """One human identifier value claimed by one record.

    `form_id` is the namespace of uniqueness (a form id, or "*" across forms); `key` is the
    scope and value folded for comparison: records sharing (form_id, name, key) clash.
    """

    project: str
    form_id: str
    name: str
    scope: str
    value: str
    record_id: str
    key: str


class QuarantineRow(msgspec.Struct, frozen=True, kw_only=True):
    """Something refused, kept with the reason: nothing a device sent is ever dropped.

    `id` is the number its viewer sees: the project's own number in a project's listing,
    the server-wide row id in the server-level listing (`project=None`).
    """

    id: int
    project: str | None
    device_id: str | None
    batch_id: str | None
    kind: str
    code: str
    reason: str
    received_at_ms: int
    payload: bytes


_BATCH_COLS = tuple(BatchRow.__struct_fields__)
_RECORD_COLS = tuple(RecordRow.__struct_fields__)
_QUARANTINE_COLS = tuple(QuarantineRow.__struct_fields__)


def record_row(row: Sequence[Any]) -> RecordRow:
    """A RecordRow from a `SELECT` of its columns in order (SQLite's 0/1 made a bool).

    Unpacked by position, not through a dict of names: downloads build one per record.
    """
    (record_id, project, form_id, form_version, identifier, review_state, retracted) = row[:7]
    conflict_count, updated_cursor, updated_at_ms, state = row[7:]
    return RecordRow(
        record_id=record_id,
        project=project,
        form_id=form_id,
        form_version=form_version,
        identifier=identifier,
        review_state=review_state,
        retracted=bool(retracted),
        conflict_count=conflict_count,
        updated_cursor=updated_cursor,
        updated_at_ms=updated_at_ms,
        state=state,
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def get_batch(conn: sqlite3.Connection, batch_id: str) -> BatchRow | None:
    """An accepted batch by id, or None."""
    row = conn.execute(
        f"SELECT {', '.join(_BATCH_COLS)} FROM batches WHERE batch_id = ?", (batch_id,)
    ).fetchone()
    return None if row is None else BatchRow(**dict(zip(_BATCH_COLS, row, strict=True)))


def insert_batch(conn: sqlite3.Connection, batch: BatchRow) -> None:
    """Store an accepted batch."""
    conn.execute(
        f"INSERT INTO batches ({', '.join(_BATCH_COLS)})"
        f" VALUES ({', '.join('?' * len(_BATCH_COLS))})",
        msgspec.structs.astuple(batch),
    )


def iter_batches(conn: sqlite3.Connection, project: str | None = None) -> Iterator[BatchRow]:
    """Every accepted batch, in the order received."""
    sql = f"SELECT {', '.join(_BATCH_COLS)} FROM batches"
    params: tuple[str, ...] = ()
    if project is not None:
        sql += " WHERE project = ?"
        params = (project,)
    for row in conn.execute(sql + " ORDER BY received_at_ms, batch_id", params):
        yield BatchRow(**dict(zip(_BATCH_COLS, row, strict=True)))


def note_seq(conn: sqlite3.Connection, device_id: str, seq: int, limit: int) -> list[int]:
    """Note that a device's batch `seq` is accepted; return the seqs below its highest that
    no accepted batch holds, ascending, at most `limit`.

    Call it before `devices.last_seq` is raised to `seq`. The gaps are kept as ranges in
    `device_seq_gaps`, so the cost is the same after one batch or 100,000.
    """
    (high,) = conn.execute(
        "SELECT last_seq FROM devices WHERE device_id = ?", (device_id,)
    ).fetchone()
    if seq > high + 1:
        conn.execute(
            "INSERT INTO device_seq_gaps (device_id, lo, hi) VALUES (?, ?, ?)",
            (device_id, high + 1, seq - 1),
        )
    elif seq <= high:
        gap = conn.execute(
            "SELECT lo, hi FROM device_seq_gaps WHERE device_id = ? AND lo <= ?"
            " ORDER BY lo DESC LIMIT 1",
            (device_id, seq),
        ).fetchone()
        if gap is not None and gap[1] >= seq:
            lo, hi = gap
            conn.execute(
                "DELETE FROM device_seq_gaps WHERE device_id = ? AND lo = ?", (device_id, lo)
            )
            for part in ((lo, seq - 1), (seq + 1, hi)):
                if part[0] <= part[1]:
                    conn.execute(
                        "INSERT INTO device_seq_gaps (device_id, lo, hi) VALUES (?, ?, ?)",
                        (device_id, *part),
                    )
    missing: list[int] = []
    rows = conn.execute(
        "SELECT lo, hi FROM device_seq_gaps WHERE device_id = ? ORDER BY lo LIMIT ?",
        (device_id, limit),
    )
    for lo, hi in rows:
        missing.extend(range(lo, min(hi, lo + limit - len(missing) - 1) + 1))
        if len(missing) >= limit:
            break
    return missing


def existing_ops(
    conn: sqlite3.Connection, dots: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], bytes]:
    """The stored encodings of those dots that are already stored."""
    found: dict[tuple[str, int], bytes] = {}
    by_actor: dict[str, list[int]] = {}
    for actor, counter in dots:
        by_actor.setdefault(actor, []).append(counter)
    for actor, counters in by_actor.items():
        for i in range(0, len(counters), _CHUNK):
            part = counters[i : i + _CHUNK]
            sql = (
                "SELECT counter, op FROM ops WHERE actor = ? AND counter IN "
                f"({', '.join('?' * len(part))})"
            )
            for counter, op in conn.execute(sql, (actor, *part)):
                found[(actor, counter)] = op
    return found


def insert_ops(conn: sqlite3.Connection, ops: Sequence[OpRow]) -> tuple[int, int]:
    """Append ops of one project; return the (first, last) project cursor they were given.

    Cursors count each project's ops on their own (`pcursor`), so nothing a project's
    users see moves with another project's activity.
    """
    projects = {o.project for o in ops}
    if len(projects) != 1:
        raise ValueError("insert_ops stores the ops of exactly one project at a time")
    (before,) = conn.execute(
        "SELECT COALESCE(MAX(pcursor), 0) FROM ops WHERE project = ?", (ops[0].project,)
    ).fetchone()
    conn.executemany(
        "INSERT INTO ops (project, record_id, actor, counter, kind, hlc, batch_id,"
        " received_at_ms, clock_suspect, op, pcursor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*msgspec.structs.astuple(o), before + i) for i, o in enumerate(ops, start=1)],
    )
    return before + 1, before + len(ops)


def record_ops(
    conn: sqlite3.Connection, project: str, record_id: str
) -> list[tuple[int, bytes, int, bool]]:
    """(cursor, op bytes, received_at_ms, clock_suspect) of one record, in arrival order."""
    rows = conn.execute(
        "SELECT pcursor, op, received_at_ms, clock_suspect FROM ops"
        " WHERE project = ? AND record_id = ? ORDER BY cursor",
        (project, record_id),
    )
    return [(r[0], r[1], r[2], bool(r[3])) for r in rows]


def iter_ops(
    conn: sqlite3.Connection, project: str | None, after: int, limit: int | None = None
) -> Iterator[tuple[int, str, bytes, bool]]:
    """(cursor, record_id, op bytes, clock_suspect) after a cursor, in cursor order.

    With a project, cursors are that project's own (`pcursor`); without, the global order.
    """
    if project is None:
        sql = "SELECT cursor, record_id, op, clock_suspect FROM ops WHERE cursor > ?"
        params: list[object] = [after]
        sql += " ORDER BY cursor"
    else:
        sql = (
            "SELECT pcursor, record_id, op, clock_suspect FROM ops"
            " WHERE project = ? AND pcursor > ? ORDER BY pcursor"
        )
        params = [project, after]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for r in conn.execute(sql, params):
        yield r[0], r[1], r[2], bool(r[3])


def max_cursor(conn: sqlite3.Connection, project: str | None = None) -> int:
    """The newest op cursor of a project (or the newest of any), 0 when there are none."""
    if project is None:
        (value,) = conn.execute("SELECT COALESCE(MAX(pcursor), 0) FROM ops").fetchone()
    else:
        (value,) = conn.execute(
            "SELECT COALESCE(MAX(pcursor), 0) FROM ops WHERE project = ?", (project,)
        ).fetchone()
    return int(value)


def load_states(
    conn: sqlite3.Connection, project: str, record_ids: Sequence[str]
) -> dict[str, RecordRow]:
    """A project's stored records by id (missing ids are simply absent).

    Record ids are scoped to their project: the same id in another project is another
    record, and nothing here reads or reveals it.
    """
    found: dict[str, RecordRow] = {}
    for part in _chunks(record_ids):
        sql = (
            f"SELECT {', '.join(_RECORD_COLS)} FROM records WHERE project = ? AND record_id IN "
            f"({', '.join('?' * len(part))})"
        )
        for row in conn.execute(sql, (project, *part)):
            rec = record_row(row)
            found[rec.record_id] = rec
    return found


def get_record(conn: sqlite3.Connection, project: str, record_id: str) -> RecordRow | None:
    """One consolidated record of a project, or None."""
    return load_states(conn, project, [record_id]).get(record_id)


def projects_holding(conn: sqlite3.Connection, record_id: str) -> list[str]:
    """The projects that hold a record with this id (for admins, who see every project)."""
    rows = conn.execute(
        "SELECT project FROM records WHERE record_id = ? ORDER BY project", (record_id,)
    )
    return [r[0] for r in rows]


def upsert_records(conn: sqlite3.Connection, records: Sequence[RecordRow]) -> None:
    """Insert or replace consolidated records."""
    conn.executemany(
        f"INSERT OR REPLACE INTO records ({', '.join(_RECORD_COLS)})"
        f" VALUES ({', '.join('?' * len(_RECORD_COLS))})",
        [msgspec.structs.astuple(r) for r in records],
    )


def iter_records(conn: sqlite3.Connection, project: str | None = None) -> Iterator[RecordRow]:
    """Every consolidated record (of one project or all), by project and id."""
    sql = f"SELECT {', '.join(_RECORD_COLS)} FROM records"
    params: tuple[str, ...] = ()
    if project is not None:
        sql += " WHERE project = ?"
        params = (project,)
    for row in conn.execute(sql + " ORDER BY project, record_id", params):
        yield record_row(row)


def iter_form_records(conn: sqlite3.Connection, project: str, form_id: str) -> Iterator[RecordRow]:
    """Every consolidated record of one form (any version) in a project, by id."""
    sql = f"SELECT {', '.join(_RECORD_COLS)} FROM records WHERE project = ? AND form_id = ?"
    for row in conn.execute(sql + " ORDER BY record_id", (project, form_id)):
        yield record_row(row)


def replace_identifiers(
    conn: sqlite3.Connection,
    project: str,
    record_ids: Sequence[str],
    rows: Sequence[IdentifierRow],
) -> None:
    """Replace every identifier row of these records of a project with `rows`."""
    for part in _chunks(record_ids):
        conn.execute(
            "DELETE FROM identifiers WHERE project = ? AND record_id IN"
            f" ({', '.join('?' * len(part))})",
            (project, *part),
        )
    conn.executemany(
        "INSERT INTO identifiers (project, form_id, name, scope, value, record_id, key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [msgspec.structs.astuple(r) for r in rows],
    )


def duplicate_identifiers(
    conn: sqlite3.Connection, project: str
) -> list[tuple[str, str, str, str, list[str]]]:
    """(form_id, name, scope, value, record ids) for every identifier two or more records
    claim; scope and value are shown as the first in sort order of those that fold alike."""
    rows = conn.execute(
        "SELECT form_id, name, min(scope), min(value), group_concat(record_id, ' ')"
        " FROM identifiers WHERE project = ? GROUP BY form_id, name, key"
        " HAVING COUNT(*) > 1 ORDER BY form_id, name, min(scope), min(value)",
        (project,),
    )
    return [(r[0], r[1], r[2], r[3], sorted(r[4].split(" "))) for r in rows]


def set_points(
    conn: sqlite3.Connection,
    project: str,
    points: Sequence[tuple[str, float, float] | tuple[str, None, None]],
    new: Collection[str] = frozenset(),
) -> None:
    """Set (or clear, with None) the spatial point of each record of a project in the R*Tree.

    `new` names records known to have no point yet (records first stored in this
    transaction): nothing of theirs is looked up or deleted.
    """
    old = [rid for rid, _, _ in points if rid not in new]
    # Set-based, a few statements per batch whatever its size. Old boxes go first so that
    # every box is a plain INSERT: INSERT OR REPLACE into an R*Tree costs about twice as much.
    if old:
        conn.executemany(
            "DELETE FROM record_rtree WHERE point_id ="
            " (SELECT point_id FROM record_points WHERE project = ? AND record_id = ?)",
            [(project, rid) for rid in old],
        )
        cleared = [
            (project, rid)
            for rid, lat, lon in points
            if (lat is None or lon is None) and rid not in new
        ]
        if cleared:
            conn.executemany(
                "DELETE FROM record_points WHERE project = ? AND record_id = ?", cleared
            )
    located = [(rid, lat, lon) for rid, lat, lon in points if lat is not None and lon is not None]
    if not located:
        return
    ids = _point_ids(conn, project, [rid for rid, _, _ in located if rid not in new])
    # A record without a point gets the id SQLite itself would give it (one above the
    # largest in use), so the rows are the same as with an INSERT that leaves it out.
    (top,) = conn.execute("SELECT COALESCE(MAX(point_id), 0) FROM record_points").fetchone()
    added: list[tuple[int, str, str]] = []
    boxes: list[tuple[int, float, float, float, float]] = []
    for rid, lat, lon in located:
        point_id = ids.get(rid)
        if point_id is None:
            top += 1
            point_id = ids[rid] = top
            added.append((point_id, project, rid))
        boxes.append((point_id, lat, lat, lon, lon))
    if added:
        conn.executemany(
            "INSERT INTO record_points (point_id, project, record_id) VALUES (?, ?, ?)", added
        )
    conn.executemany(
        "INSERT INTO record_rtree (point_id, min_lat, max_lat, min_lon, max_lon)"
        " VALUES (?, ?, ?, ?, ?)",
        boxes,
    )


def _point_ids(conn: sqlite3.Connection, project: str, record_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _chunks(record_ids):
        sql = (
            "SELECT record_id, point_id FROM record_points WHERE project = ? AND record_id IN "
            f"({', '.join('?' * len(part))})"
        )
        found.update(conn.execute(sql, (project, *part)))
    return found


def insert_quarantine(
    conn: sqlite3.Connection,
    *,
    project: str | None,
    device_id: str | None,
    batch_id: str | None,
    kind: str,
    code: str,
    reason: str,
    received_at_ms: int,
    payload: bytes,
    client: str | None = None,
) -> int:
    """Keep something refused, with the reason; return its number (per project, or the
    server-wide row id for the server-level quarantine, `project=None`)."""
    number = None
    if project is not None:
        (top,) = conn.execute(
            "SELECT COALESCE(MAX(number), 0) FROM quarantine WHERE project = ?", (project,)
        ).fetchone()
        number = int(top) + 1
    cur = conn.execute(
        "INSERT INTO quarantine (project, device_id, batch_id, kind, code, reason,"
        " received_at_ms, payload, number, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (project, device_id, batch_id, kind, code, reason, received_at_ms, payload, number, client),
    )
    return number if number is not None else int(cur.lastrowid or 0)


def strays_from(conn: sqlite3.Connection, client: str, since_ms: int) -> int:
    """Entries of the server-level quarantine from `client` since a time (its index)."""
    (recent,) = conn.execute(
        "SELECT COUNT(*) FROM quarantine WHERE project IS NULL AND client = ?"
        " AND received_at_ms >= ?",
        (client, since_ms),
    ).fetchone()
    return int(recent)


def strays_held(conn: sqlite3.Connection) -> int:
    """Payload bytes held in the server-level quarantine (every entry: read only when one
    is added, never on a push's way in)."""
    (held,) = conn.execute(
        "SELECT COALESCE(SUM(length(payload)), 0) FROM quarantine WHERE project IS NULL"
    ).fetchone()
    return int(held)


def list_quarantine(
    conn: sqlite3.Connection, project: str | None, after: int = 0, limit: int = 100
) -> list[QuarantineRow]:
    """Quarantined items after an id, oldest first (`project=None`: every item, by row id)."""
    key = "id" if project is None else "number"
    cols = ", ".join(key if c == "id" else c for c in _QUARANTINE_COLS)
    sql = f"SELECT {cols} FROM quarantine WHERE {key} > ?"
    params: list[object] = [after]
    if project is not None:
        sql += " AND project = ?"
        params.append(project)
    sql += f" ORDER BY {key} LIMIT ?"
    params.append(limit)
    return [
        QuarantineRow(**dict(zip(_QUARANTINE_COLS, r, strict=True)))
        for r in conn.execute(sql, params)
    ]


def clear_materialized(conn: sqlite3.Connection) -> None:
    """Empty every derived table (for a rebuild from the ops), the downloads' renders
    included (with their cursors: every record is rendered again)."""
    for table in ("records", "identifiers", "record_points", "record_rtree", "record_renders"):
        conn.execute(f"DELETE FROM {table}")
    forget_render_cursors(conn)


# meta's key prefix of each project's render cursor (server.store.renders).
RENDERS_CURSOR = "renders_cursor:"


def forget_render_cursors(conn: sqlite3.Connection) -> None:
    """Forget how far the downloads' renders were made: every record is rendered again."""
    conn.execute(
        "DELETE FROM meta WHERE substr(key, 1, ?) = ?", (len(RENDERS_CURSOR), RENDERS_CURSOR)
    )


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value from the small key-value table of facts about the database itself."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Set a fact about the database itself."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def ops_by_record(conn: sqlite3.Connection) -> Iterator[tuple[int, str, str, bytes, bool]]:
    """Every stored op as (cursor, project, record id, op bytes, clock suspect), record by
    record (each record's ops in cursor order)."""
    rows = conn.execute(
        "SELECT pcursor, project, record_id, op, clock_suspect FROM ops"
        " ORDER BY project, record_id, cursor"
    )
    for r in rows:
        yield r[0], r[1], r[2], r[3], bool(r[4])


def count_ops(conn: sqlite3.Connection) -> int:
    """How many ops are stored."""
    return int(conn.execute("SELECT COUNT(*) FROM ops").fetchone()[0])


def keep_updated_times(conn: sqlite3.Connection) -> None:
    """Note each record's last-updated time (in a temporary table) before a rebuild."""
    conn.execute("DROP TABLE IF EXISTS temp.kept_times")
    conn.execute(
        "CREATE TEMP TABLE kept_times AS SELECT project, record_id, updated_at_ms FROM main.records"
    )


def restore_updated_times(conn: sqlite3.Connection) -> None:
    """Put back the times `keep_updated_times` noted, for the records that had one."""
    conn.execute(
        "UPDATE main.records SET updated_at_ms = k.updated_at_ms"
        " FROM temp.kept_times AS k"
        " WHERE k.project = records.project AND k.record_id = records.record_id"
    )
    conn.execute("DROP TABLE temp.kept_times")


VIEWS_CURSOR = "views_cursor"  # meta key: the global op cursor the views reflect


def views_cursor(conn: sqlite3.Connection) -> int:
    """The global op cursor (`ops.cursor`) up to which the views (records, identifiers,
    points) are built: they reflect every op at or below it and none above."""
    value = get_meta(conn, VIEWS_CURSOR)
    return int(value) if value is not None else 0


def set_views_cursor(conn: sqlite3.Connection, cursor: int) -> None:
    """Record that the views reflect every op up to `cursor` (in the views' transaction)."""
    set_meta(conn, VIEWS_CURSOR, str(cursor))


def last_op_cursor(conn: sqlite3.Connection) -> int:
    """The newest global op cursor (0 when no op is stored)."""
    (value,) = conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM ops").fetchone()
    return int(value)


def ops_after(
    conn: sqlite3.Connection, cursor: int, limit: int
) -> list[tuple[int, str, int, bytes, bool, int]]:
    """Up to `limit` ops after a global cursor, in cursor order, as (cursor, project,
    project cursor, op bytes, clock suspect, received at)."""
    rows = conn.execute(
        "SELECT cursor, project, pcursor, op, clock_suspect, received_at_ms FROM ops"
        " WHERE cursor > ? ORDER BY cursor LIMIT ?",
        (cursor, limit),
    )
    return [(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]


def records_with_ops_after(
    conn: sqlite3.Connection, project: str, record_ids: Sequence[str], cursor: int
) -> set[str]:
    """Which of a project's records have an op after a global cursor."""
    found: set[str] = set()
    for part in _chunks(record_ids):
        sql = (
            "SELECT DISTINCT record_id FROM ops WHERE project = ? AND cursor > ?"
            f" AND record_id IN ({', '.join('?' * len(part))})"
        )
        found.update(r[0] for r in conn.execute(sql, (project, cursor, *part)))
    return found
