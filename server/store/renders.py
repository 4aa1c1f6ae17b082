"""The `record_renders` table: each record's CSV line and GeoJSON features, made ahead.

What a render holds and when a download may use it is `server.export.renders`; this module
only reads and writes the rows (schema migration 11). Per project, meta's
`renders_cursor:<project>` is the records' `updated_cursor` up to which renders were made:
the background pass picks up the records changed after it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from server.store.sync_tables import (
    RENDERS_CURSOR,
    RecordRow,
    forget_render_cursors,
    get_meta,
    record_row,
    set_meta,
)

_RECORD_COLS = tuple(RecordRow.__struct_fields__)
_CURSOR = RENDERS_CURSOR
_VERSION = "renders_version"

# (project, record_id, key, csv_spec, csv, geojson)
RenderRow = tuple[str, str, bytes, bytes | None, str | None, bytes]


def cursor(conn: sqlite3.Connection, project: str) -> int:
    """The updated_cursor of the project's records up to which renders were made."""
    value = get_meta(conn, _CURSOR + project)
    return int(value) if value is not None else 0


def advance(conn: sqlite3.Connection, project: str, to: int) -> None:
    """Move the project's render cursor forward to `to` (never back: two builders may both
    render a stretch, the later one finishing first)."""
    if to > cursor(conn, project):
        set_meta(conn, _CURSOR + project, str(to))


def restart(conn: sqlite3.Connection, version: str) -> None:
    """Forget how far renders were made (every record is rendered again) and remember the
    renderers' `version`. The renders themselves stay until replaced: a download checks
    each one's key anyway."""
    forget_render_cursors(conn)
    set_meta(conn, _VERSION, version)


def version(conn: sqlite3.Connection) -> str | None:
    """The renderers' version the cursors were counted for (None: never rendered)."""
    return get_meta(conn, _VERSION)


def projects(conn: sqlite3.Connection) -> list[str]:
    """Every project's code."""
    return [row[0] for row in conn.execute("SELECT code FROM projects ORDER BY code")]


def changed(conn: sqlite3.Connection, project: str, after: int, limit: int) -> list[RecordRow]:
    """Up to `limit` records of a project changed after `after` (updated_cursor order)."""
    rows = conn.execute(
        f"SELECT {', '.join(_RECORD_COLS)} FROM records WHERE project = ? AND updated_cursor > ?"
        " ORDER BY updated_cursor LIMIT ?",
        (project, after, limit),
    )
    return [record_row(row) for row in rows]


def changed_at(conn: sqlite3.Connection, project: str, at: int) -> list[RecordRow]:
    """Every record of a project whose updated_cursor is `at`."""
    rows = conn.execute(
        f"SELECT {', '.join(_RECORD_COLS)} FROM records WHERE project = ? AND updated_cursor = ?",
        (project, at),
    )
    return [record_row(row) for row in rows]


def behind(conn: sqlite3.Connection) -> int:
    """How many records have changed since their project's render cursor."""
    total = 0
    for project in projects(conn):
        (n,) = conn.execute(
            "SELECT COUNT(*) FROM records WHERE project = ? AND updated_cursor > ?",
            (project, cursor(conn, project)),
        ).fetchone()
        total += int(n)
    return total


def put(conn: sqlite3.Connection, rows: Sequence[RenderRow]) -> None:
    """Insert or replace renders."""
    conn.executemany(
        "INSERT OR REPLACE INTO record_renders (project, record_id, key, csv_spec, csv, geojson)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def clear(conn: sqlite3.Connection) -> None:
    """Drop every render (the records were rebuilt: `restart` follows)."""
    conn.execute("DELETE FROM record_renders")


def every(
    conn: sqlite3.Connection,
) -> Iterator[tuple[RecordRow, bytes, bytes | None, str | None, bytes]]:
    """Each record that has a render, with it: (row, key, csv_spec, csv, geojson), by project
    and record id (for `cairn verify`)."""
    cols = ", ".join("r." + c for c in _RECORD_COLS)
    rows = conn.execute(
        f"SELECT {cols}, x.key, x.csv_spec, x.csv, x.geojson FROM records r"
        " JOIN record_renders x ON x.project = r.project AND x.record_id = r.record_id"
        " ORDER BY r.project, r.record_id"
    )
    n = len(_RECORD_COLS)
    for row in rows:
        yield record_row(row[:n]), row[n], row[n + 1], row[n + 2], row[n + 3]
