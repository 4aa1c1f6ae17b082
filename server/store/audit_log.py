"""Appending to and reading the hash-chained audit log (see server.audit for the chain)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from server.audit import GENESIS, AuditEntry, canonical_json, entry_hash


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the last entry, or (0, GENESIS) for an empty log."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append(
    conn: sqlite3.Connection,
    *,
    at_ms: int,
    kind: str,
    actor: str,
    subject: str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's write transaction; return it."""
    seq, prev = head(conn)
    payload = json.loads(canonical_json(data or {}))
    digest = entry_hash(prev, seq + 1, at_ms, kind, actor, subject, payload)
    conn.execute(
        "INSERT INTO audit (seq, at_ms, kind, actor, subject, data, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq + 1, at_ms, kind, actor, subject, canonical_json(payload).decode(), prev, digest),
    )
    return AuditEntry(
        seq=seq + 1,
        at_ms=at_ms,
        kind=kind,
        actor=actor,
        subject=subject,
        data=payload,
        prev_hash=prev,
        hash=digest,
    )


def entries(
    conn: sqlite3.Connection, after: int = 0, limit: int | None = None
) -> Iterator[AuditEntry]:
    """Entries with seq > after, in order."""
    sql = (
        "SELECT seq, at_ms, kind, actor, subject, data, prev_hash, hash"
        " FROM audit WHERE seq > ? ORDER BY seq"
    )
    params: tuple[Any, ...] = (after,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (after, limit)
    for row in conn.execute(sql, params):
        yield _entry(row)


def of_kinds(conn: sqlite3.Connection, kinds: tuple[str, ...]) -> Iterator[AuditEntry]:
    """Entries of the given kinds, in order (e.g. every key change)."""
    marks = ", ".join("?" * len(kinds))
    rows = conn.execute(
        "SELECT seq, at_ms, kind, actor, subject, data, prev_hash, hash"
        f" FROM audit WHERE kind IN ({marks}) ORDER BY seq",
        kinds,
    )
    for row in rows:
        yield _entry(row)


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    return AuditEntry(
        seq=row[0],
        at_ms=row[1],
        kind=row[2],
        actor=row[3],
        subject=row[4],
        data=json.loads(row[5]),
        prev_hash=row[6],
        hash=row[7],
    )
