"""The hash-chained audit log: each entry commits to the one before it.

hash(n) = SHA-256(prev_hash(n) || canonical JSON of [seq, at_ms, kind, actor, subject, data])
with prev_hash(1) = 32 zero bytes. Changing, removing or reordering any entry changes every
later hash, so the head (the last hash), echoed in every receipt, pins the whole history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import msgspec

GENESIS = "0" * 64


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One audit log entry as stored."""

    seq: int
    at_ms: int
    kind: str
    actor: str
    subject: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    prev_hash: str, seq: int, at_ms: int, kind: str, actor: str, subject: str, data: dict[str, Any]
) -> str:
    """The hash of one entry given the hash of the entry before it."""
    body = canonical_json([seq, at_ms, kind, actor, subject, data])
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


class ChainProblem(msgspec.Struct, frozen=True):
    """Where and why an audit chain does not verify."""

    seq: int
    message: str


def verify_chain(entries: Iterable[AuditEntry]) -> list[ChainProblem]:
    """Check sequence numbers, links and hashes of a whole chain, in order."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(ChainProblem(e.seq, f"expected entry {expected_seq}, found {e.seq}"))
        if e.prev_hash != prev:
            problems.append(ChainProblem(e.seq, "does not link to the entry before it"))
        actual = entry_hash(e.prev_hash, e.seq, e.at_ms, e.kind, e.actor, e.subject, e.data)
        if actual != e.hash:
            problems.append(ChainProblem(e.seq, "content does not match its hash (edited?)"))
        prev = e.hash
        expected_seq = e.seq + 1
    return problems
