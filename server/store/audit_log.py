"""Appending to and reading the audit chains (format 2, server.audit.chain) and the frozen
format-1 log (server.audit.legacy)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import msgspec

from server.audit.chain import (
    GENESIS,
    OPEN,
    SERVER,
    ChainEntry,
    project_chain,
    sealed_entry,
)
from server.audit.legacy import AuditEntry

_PLAIN = msgspec.json.Decoder(dict[str, Any])
# Server-chain entries whose data["keys"] lists the server's keys after them.
KEY_KINDS = (OPEN, "server.init", "keys.rotate")


def head(conn: sqlite3.Connection, chain: str) -> tuple[int, str]:
    """(seq, hash) of a chain's last entry, or (0, GENESIS) for an empty chain."""
    row = conn.execute(
        "SELECT seq, hash FROM audit_chain WHERE chain = ? ORDER BY seq DESC LIMIT 1", (chain,)
    ).fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append(
    conn: sqlite3.Connection,
    *,
    chain: str,
    at_ms: int,
    kind: str,
    actor: str,
    subject: str,
    data: dict[str, Any] | None = None,
) -> ChainEntry:
    """Append one entry to `chain` inside the caller's write transaction; return it.

    A chain not opened yet is opened first (its chain.open anchors the frozen format-1
    head, which is the same whenever that happens).
    """
    seq, prev = head(conn, chain)
    if seq == 0 and kind != OPEN:
        opened = open_chain(conn, chain, at_ms=at_ms, actor="server", keys=keys_in_force(conn))
        assert opened is not None
        seq, prev = opened.seq, opened.hash
    entry, canonical = sealed_entry(
        chain=chain,
        seq=seq + 1,
        prev=prev,
        at_ms=at_ms,
        kind=kind,
        actor=actor,
        subject=subject,
        data=data or {},
    )
    conn.execute(
        "INSERT INTO audit_chain (chain, seq, kind, entry, hash) VALUES (?, ?, ?, ?, ?)",
        (chain, entry.seq, kind, canonical.decode(), entry.hash),
    )
    return entry


def append_to_project(
    conn: sqlite3.Connection,
    project: str | None,
    *,
    at_ms: int,
    kind: str,
    actor: str,
    subject: str,
    data: dict[str, Any] | None = None,
) -> ChainEntry:
    """Append to the chain of `project`, or to the server chain when there is none."""
    chain = project_chain(project) if project else SERVER
    return append(
        conn, chain=chain, at_ms=at_ms, kind=kind, actor=actor, subject=subject, data=data
    )


def append_everywhere(
    conn: sqlite3.Connection,
    *,
    at_ms: int,
    kind: str,
    actor: str,
    subject: str,
    data: dict[str, Any],
) -> ChainEntry:
    """Append the same server-wide event to the server chain and every project's chain."""
    for project in project_codes(conn):
        append(
            conn,
            chain=project_chain(project),
            at_ms=at_ms,
            kind=kind,
            actor=actor,
            subject=subject,
            data=data,
        )
    return append(
        conn, chain=SERVER, at_ms=at_ms, kind=kind, actor=actor, subject=subject, data=data
    )


def project_codes(conn: sqlite3.Connection) -> list[str]:
    """Every project's code, in order."""
    return [str(r[0]) for r in conn.execute("SELECT code FROM projects ORDER BY code")]


def heads(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """Every chain's (seq, hash) head."""
    return {name: head(conn, name) for name in chains(conn)}


def chains(conn: sqlite3.Connection) -> list[str]:
    """Every chain that has entries, the server chain first."""
    names = [str(r[0]) for r in conn.execute("SELECT DISTINCT chain FROM audit_chain")]
    return sorted(names, key=lambda name: (name != SERVER, name))


def entries(conn: sqlite3.Connection, chain: str, after: int = 0) -> Iterator[ChainEntry]:
    """A chain's entries with seq > after, in order."""
    rows = conn.execute(
        "SELECT entry, hash FROM audit_chain WHERE chain = ? AND seq > ? ORDER BY seq",
        (chain, after),
    )
    for text, digest in rows:
        yield _entry(text, digest)


def _entry(text: str, digest: str) -> ChainEntry:
    """A stored entry: its hash input (JCS without "hash") and its hash."""
    return msgspec.convert({**_PLAIN.decode(text), "hash": digest}, ChainEntry)


def of_kinds(conn: sqlite3.Connection, chain: str, kinds: tuple[str, ...]) -> Iterator[ChainEntry]:
    """A chain's entries of the given kinds, in order (e.g. every key change)."""
    marks = ", ".join("?" * len(kinds))
    rows = conn.execute(
        f"SELECT entry, hash FROM audit_chain WHERE chain = ? AND kind IN ({marks}) ORDER BY seq",
        (chain, *kinds),
    )
    for text, digest in rows:
        yield _entry(text, digest)


def legacy_of_kinds(conn: sqlite3.Connection, kinds: tuple[str, ...]) -> Iterator[AuditEntry]:
    """The frozen format-1 log's entries of the given kinds, in order."""
    return (e for e in legacy_entries(conn) if e.kind in kinds)


def count(conn: sqlite3.Connection) -> int:
    """How many format-2 entries there are, over all chains."""
    return int(conn.execute("SELECT count(*) FROM audit_chain").fetchone()[0])


def keys_in_force(conn: sqlite3.Connection) -> Any:
    """The server key ids the server chain last recorded (None before any)."""
    marks = ", ".join("?" * len(KEY_KINDS))
    row = conn.execute(
        f"SELECT entry FROM audit_chain WHERE chain = ? AND kind IN ({marks})"
        " ORDER BY seq DESC LIMIT 1",
        (SERVER, *KEY_KINDS),
    ).fetchone()
    return None if row is None else _PLAIN.decode(row[0])["data"].get("keys")


def open_chain(
    conn: sqlite3.Connection, chain: str, *, at_ms: int, actor: str, keys: Any
) -> ChainEntry | None:
    """Open `chain` with its chain.open entry (anchoring the format-1 head); None if open."""
    if head(conn, chain)[0]:
        return None
    legacy_seq, legacy_head = legacy_head_of(conn)
    legacy = {"seq": legacy_seq, "head": legacy_head} if legacy_seq else None
    subject = chain.removeprefix("project:")
    return append(
        conn,
        chain=chain,
        at_ms=at_ms,
        kind=OPEN,
        actor=actor,
        subject=subject,
        data={"legacy": legacy, "keys": keys},
    )


def missing_chains(conn: sqlite3.Connection) -> list[str]:
    """The server chain and the project chains not opened yet."""
    wanted = [SERVER, *(project_chain(p) for p in project_codes(conn))]
    return [c for c in wanted if head(conn, c)[0] == 0]


def open_missing_chains(conn: sqlite3.Connection, *, at_ms: int, keys: Any) -> int:
    """Open the server chain and each project's, where not yet open; return how many."""
    opened = [
        c
        for c in missing_chains(conn)
        if open_chain(conn, c, at_ms=at_ms, actor="server", keys=keys)
    ]
    return len(opened)


def legacy_head_of(conn: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the frozen format-1 log's last entry, or (0, GENESIS) if empty."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def legacy_entries(conn: sqlite3.Connection) -> Iterator[AuditEntry]:
    """The format-1 log's entries, in order."""
    sql = "SELECT seq, at_ms, kind, actor, subject, data, prev_hash, hash FROM audit ORDER BY seq"
    for row in conn.execute(sql):
        yield AuditEntry(
            seq=row[0],
            at_ms=row[1],
            kind=row[2],
            actor=row[3],
            subject=row[4],
            data=json.loads(row[5]),
            prev_hash=row[6],
            hash=row[7],
        )
