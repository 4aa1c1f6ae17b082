"""The format-1 audit log: the single server-wide chain kept by releases before issue 19.

hash(n) = SHA-256(prev_hash(n) || body(n)), prev_hash(1) = 32 zero bytes, where body(n)
is Python's `json.dumps([seq, at_ms, kind, actor, subject, data], sort_keys=True,
separators=(",", ":"), ensure_ascii=False)` in UTF-8. Upgrading freezes this chain: it is
never appended to again, `cairn verify` keeps checking it whole, and every chain of
format 2 (server.audit.chain) opens with an entry anchoring its head.

An archive carries it reduced to one project (`reduce`): that project's entries (and the
server's key entries) with the exact body bytes each hash covers, so no verifier needs to
re-encode them, and every run of other entries as one line holding only the hash at the
run's end. `verify_lines` checks such a reduction up to the anchored head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec

from server.audit.chain import ChainProblem

GENESIS = "0" * 64
FORMAT = 1
# Server-wide entries a project's archive keeps whole: the batch keys its batches use.
KEY_KINDS = frozenset({"server.init", "keys.rotate"})
# Entries naming their project in `subject`.
PROJECT_SUBJECT_KINDS = frozenset({"project.create", "enroll.code", "device.enroll", "export"})


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One format-1 audit log entry as stored."""

    seq: int
    at_ms: int
    kind: str
    actor: str
    subject: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class LegacyLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of an archive's audit-v1.jsonl: an entry whole, or a run withheld.

    Whole: first == last == its seq and `body` is the exact text its hash covers.
    Withheld: entries first..last of other projects; `hash` is entry last's hash.
    """

    v: int = FORMAT
    first: int
    last: int
    prev_hash: str
    hash: str
    body: str | None = None


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def body_bytes(seq: int, at_ms: int, kind: str, actor: str, subject: str, data: Any) -> bytes:
    """The bytes an entry's hash covers after its predecessor's hash."""
    return canonical_json([seq, at_ms, kind, actor, subject, data])


def entry_hash(
    prev_hash: str, seq: int, at_ms: int, kind: str, actor: str, subject: str, data: dict[str, Any]
) -> str:
    """The hash of one entry given the hash of the entry before it."""
    body = body_bytes(seq, at_ms, kind, actor, subject, data)
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


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


def entry_project(entry: AuditEntry, device_project: Callable[[str], str | None]) -> str | None:
    """The project an entry is about, or None for a server-wide one."""
    named = entry.data.get("project")
    if isinstance(named, str):
        return named
    if entry.kind in PROJECT_SUBJECT_KINDS:
        return entry.subject
    if entry.actor.startswith("device:"):
        return device_project(entry.actor.removeprefix("device:"))
    return None


def reduce(
    entries: Iterable[AuditEntry], project: str, device_project: Callable[[str], str | None]
) -> Iterator[LegacyLine]:
    """The chain as `project` may see it: its entries whole, other runs as one hash."""
    run: LegacyLine | None = None
    for e in entries:
        mine = e.kind in KEY_KINDS or entry_project(e, device_project) == project
        if not mine:
            if run is None:
                run = LegacyLine(first=e.seq, last=e.seq, prev_hash=e.prev_hash, hash=e.hash)
            else:
                run = msgspec.structs.replace(run, last=e.seq, hash=e.hash)
            continue
        if run is not None:
            yield run
            run = None
        body = body_bytes(e.seq, e.at_ms, e.kind, e.actor, e.subject, e.data).decode()
        yield LegacyLine(first=e.seq, last=e.seq, prev_hash=e.prev_hash, hash=e.hash, body=body)
    if run is not None:
        yield run


def verify_lines(
    lines: Iterable[LegacyLine], project: str, device_project: Callable[[str], str | None]
) -> tuple[list[ChainProblem], tuple[int, str]]:
    """Check a reduced chain from entry 1 and that it names no other project; return the
    problems and its end (seq, hash), which the project chain's chain.open must anchor.

    Whole entries are re-hashed from their body bytes; withheld runs are taken on trust
    (only their end hash is known), which docs/audit.md spells out.
    """
    problems: list[ChainProblem] = []
    prev, expected = GENESIS, 1
    for item in lines:
        if item.v != FORMAT:
            problems.append(ChainProblem(item.first, f"format {item.v}, expected {FORMAT}"))
        if item.first != expected or item.last < item.first:
            problems.append(ChainProblem(item.first, f"expected entry {expected} next"))
        if item.prev_hash != prev:
            problems.append(ChainProblem(item.first, "does not link to the entry before it"))
        if item.body is not None:
            problems.extend(_check_whole(item, project, device_project))
        prev, expected = item.hash, item.last + 1
    return problems, (expected - 1, prev)


def _check_whole(
    item: LegacyLine, project: str, device_project: Callable[[str], str | None]
) -> list[ChainProblem]:
    assert item.body is not None
    body = item.body.encode()
    try:
        prev = bytes.fromhex(item.prev_hash)
    except ValueError:
        return [ChainProblem(item.first, "prev_hash is not hex")]
    if hashlib.sha256(prev + body).hexdigest() != item.hash:
        return [ChainProblem(item.first, "content does not match its hash (edited?)")]
    try:
        seq, at_ms, kind, actor, subject, data = json.loads(body)
    except (ValueError, TypeError) as exc:
        return [ChainProblem(item.first, f"body is not a format-1 entry ({exc})")]
    if seq != item.first or item.last != item.first:
        return [ChainProblem(item.first, f"body holds entry {seq}")]
    entry = AuditEntry(
        seq=seq,
        at_ms=at_ms,
        kind=kind,
        actor=actor,
        subject=subject,
        data=data if isinstance(data, dict) else {},
        prev_hash=item.prev_hash,
        hash=item.hash,
    )
    named = entry_project(entry, device_project)
    if kind not in KEY_KINDS and named != project:
        return [ChainProblem(item.first, f"names project {named!r}, not {project!r}")]
    return []
