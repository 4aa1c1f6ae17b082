"""Audit chains, format 2: one hash chain per project and one for the server.

An entry is a JSON object {v, chain, seq, at_ms, kind, actor, subject, data, prev} and
its hash is SHA-256 over the entry's RFC 8785 (JSON Canonicalization Scheme) encoding:

    hash(n) = hex(SHA-256(JCS(entry n without "hash")))      prev(1) = 64 zeros

with `prev` the hash of the entry before it in the same chain. JCS fixes key order,
number and string formatting, so any language can re-hash an entry from the written
spec (docs/audit.md). Entry 1 of every chain is a "chain.open" entry.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from typing import Any

import msgspec
import rfc8785

FORMAT = 2
GENESIS = "0" * 64
SERVER = "server"
OPEN = "chain.open"
# JCS numbers are IEEE 754 doubles: integers beyond this lose digits (RFC 8785 §3.2.2.3).
MAX_SAFE_INT = 2**53 - 1


def project_chain(project: str) -> str:
    """The name of a project's chain."""
    return f"project:{project}"


class ChainEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a format-2 chain, as stored and as written in archives."""

    v: int
    chain: str
    seq: int
    at_ms: int
    kind: str
    actor: str
    subject: str
    data: dict[str, Any]
    prev: str
    hash: str


class ChainProblem(msgspec.Struct, frozen=True):
    """Where and why a chain does not verify."""

    seq: int
    message: str


def jcs_safe(value: Any) -> Any:
    """`value` as plain JSON inside JCS's domain: numbers beyond ±(2^53 - 1) and non-finite
    floats become their text (a float that large is integral, and would read back in
    Python as an int no double can hold exactly)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) <= MAX_SAFE_INT else repr(value)
    if isinstance(value, dict):
        return {str(k): jcs_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jcs_safe(v) for v in value]
    return jcs_safe(msgspec.to_builtins(value))


# Sorted, compact, no ASCII escaping: for the values `_plain` admits, byte for byte JCS.
_STDLIB_JSON = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _plain(value: Any) -> bool:
    """True when the standard library's sorted, compact JSON of `value` is exactly its JCS:
    only ASCII text (code-point and UTF-16 key order agree; JCS escapes the same control
    characters, the same way), integers a double holds exactly, no floats."""
    kind = type(value)
    if kind is str:
        return bool(value.isascii())
    if value is None or kind is bool:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INT <= value <= MAX_SAFE_INT)
    if isinstance(value, dict):
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of `value`; the usual entry (ASCII names, ids and integers) by
    the standard library's C encoder, about 4x faster than the pure-Python `rfc8785`,
    anything else by `rfc8785` itself (a property test holds the two equal)."""
    if _plain(value):
        return _STDLIB_JSON.encode(value).encode()
    return rfc8785.dumps(value)


def _body(entry: ChainEntry | dict[str, Any]) -> dict[str, Any]:
    plain = msgspec.to_builtins(entry) if isinstance(entry, ChainEntry) else dict(entry)
    plain.pop("hash", None)
    return plain


def hash_input(entry: ChainEntry | dict[str, Any]) -> bytes:
    """The exact bytes an entry's hash covers: JCS of the entry without its "hash"."""
    return canonical(_body(entry))


def entry_hash(entry: ChainEntry | dict[str, Any]) -> str:
    """The hex SHA-256 of an entry's hash input."""
    return hashlib.sha256(hash_input(entry)).hexdigest()


def make_entry(**fields: Any) -> ChainEntry:
    """A new entry with its hash (the fields of `sealed_entry`)."""
    return sealed_entry(**fields)[0]


def sealed_entry(
    *,
    chain: str,
    seq: int,
    prev: str,
    at_ms: int,
    kind: str,
    actor: str,
    subject: str,
    data: dict[str, Any],
) -> tuple[ChainEntry, bytes]:
    """A new entry and the exact bytes its hash covers; `data` is made JCS-safe first."""
    body = {
        "v": FORMAT,
        "chain": chain,
        "seq": seq,
        "at_ms": at_ms,
        "kind": kind,
        "actor": actor,
        "subject": subject,
        "data": jcs_safe(data),
        "prev": prev,
    }
    encoded = canonical(body)
    return ChainEntry(**body, hash=hashlib.sha256(encoded).hexdigest()), encoded


def line(entry: ChainEntry) -> bytes:
    """One archive line: the JCS of the whole entry, hash included."""
    return canonical(msgspec.to_builtins(entry))


def verify_chain(entries: Iterable[ChainEntry], chain: str) -> list[ChainProblem]:
    """Check format, chain name, sequence, links and hashes of a chain from entry 1."""
    problems: list[ChainProblem] = []
    prev, expected = GENESIS, 1
    for e in entries:
        if e.v != FORMAT:
            problems.append(ChainProblem(e.seq, f"format {e.v}, expected {FORMAT}"))
        if e.chain != chain:
            problems.append(ChainProblem(e.seq, f"belongs to chain {e.chain!r}, not {chain!r}"))
        if e.seq != expected:
            problems.append(ChainProblem(e.seq, f"expected entry {expected}, found {e.seq}"))
        if e.seq == 1 and e.kind != OPEN:
            problems.append(ChainProblem(e.seq, f"the first entry must be {OPEN!r}"))
        if e.prev != prev:
            problems.append(ChainProblem(e.seq, "does not link to the entry before it"))
        try:
            actual = entry_hash(e)
        except rfc8785.CanonicalizationError as exc:
            problems.append(ChainProblem(e.seq, f"not canonicalizable JSON ({exc})"))
        else:
            if actual != e.hash:
                problems.append(ChainProblem(e.seq, "content does not match its hash (edited?)"))
        prev, expected = e.hash, e.seq + 1
    return problems
