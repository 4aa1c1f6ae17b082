"""Canonical encoding of consolidated records and conflict sets, and their SHA-256.

Algorithm: deterministic MessagePack in the spirit of RFC 8949 §4.2 ("Core Deterministic
Encoding Requirements" of CBOR), applied to msgpack (msgpack.org spec): every map,
including every keyed Struct, is written with its keys sorted (msgspec ``order="sorted"``),
and the high-volume register Structs (``Write``, ``FieldState``, ``LogEntry``) are
positional arrays in their declared field order (``array_like``), which is just as fixed;
integers use their shortest form and floats are always float64, so ``1`` and ``1.0``
never encode alike; tuples, lists and the record's registers are already sorted by the
merge (:mod:`sync.merge`). Two servers holding the same ops therefore produce the same
bytes, and comparing two deployments is a byte (or hash) comparison.

Caveats, by design: ``-0.0`` and ``0.0`` differ, as do NaNs with different payloads
(JSON cannot carry NaN, and a device sending ``-0.0`` sent a different value).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import msgspec

from sync.record import Conflict, Record

__all__ = ["conflicts_bytes", "conflicts_sha256", "record_bytes", "record_sha256"]

_ENCODER = msgspec.msgpack.Encoder(order="sorted")


def record_bytes(record: Record) -> bytes:
    """Return the canonical msgpack encoding of a consolidated record."""
    return _ENCODER.encode(record)


def record_sha256(record: Record) -> str:
    """Return the hex SHA-256 of the record's canonical encoding."""
    return hashlib.sha256(record_bytes(record)).hexdigest()


def conflicts_bytes(conflicts: Iterable[Conflict]) -> bytes:
    """Return the canonical encoding of a conflict set (sorted by path)."""
    return _ENCODER.encode(sorted(conflicts, key=lambda c: (c.path, c.kind)))


def conflicts_sha256(conflicts: Iterable[Conflict]) -> str:
    """Return the hex SHA-256 of a conflict set's canonical encoding."""
    return hashlib.sha256(conflicts_bytes(conflicts)).hexdigest()
