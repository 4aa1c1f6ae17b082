"""Multi-value registers: the per-field merge rule, built incrementally.

Algorithm: the multi-value register (MV-Register) of Shapiro et al., "A comprehensive
study of Convergent and Commutative Replicated Data Types" (INRIA RR-7506, 2011, §3.2.2),
with causality from version-vector contexts as in Dynamo's sibling values (DeCandia et
al., SOSP 2007). Write A *supersedes* write B iff A's context covers B's dot; the live
writes are those no other write of the same register supersedes. :func:`add` keeps that
set up to date in O(size of the register's history), so applying an op never rescans
the record. A write stores only its dot, value and note: its op's context and stamp are
looked up in the record's log (:func:`sync.record.entry_of`), where each op keeps them once.

Writes of the same value by concurrent ops are all kept live (their provenance matters)
but do not count as a conflict. Values compare by their deterministic msgpack bytes, so
``1``, ``1.0`` and ``True`` are different values.

If dishonest contexts make two writes supersede each other (impossible for devices that
build contexts from what they saw), no write is live; the register then still shows the
display winner of its whole history and flags a conflict, so no value silently vanishes.
"""

from __future__ import annotations

import bisect

import msgspec

from sync.record import EMPTY, FieldState, Log, Write, entry_of

__all__ = ["add", "build", "concurrent", "display_key", "dot_key", "supersedes"]

_VALUE_ENCODER = msgspec.msgpack.Encoder(order="deterministic")


def dot_key(write: Write) -> tuple[str, int]:
    """Sort key ordering writes by dot (actor, then counter)."""
    return (write.actor, write.counter)


def display_key(log: Log, write: Write) -> tuple[int, str, int]:
    """Sort key of the display winner: highest HLC, then actor id, then counter."""
    return (entry_of(log, write).hlc, write.actor, write.counter)


def _covers(context: dict[str, int], a: Write, b: Write) -> bool:
    """Whether a write made with ``context`` (write ``a``) supersedes ``b``."""
    return context.get(b.actor, 0) >= b.counter and (a.actor, a.counter) != (b.actor, b.counter)


def supersedes(log: Log, a: Write, b: Write) -> bool:
    """Tell whether write ``a`` supersedes ``b`` (a's context covers b's dot)."""
    return _covers(entry_of(log, a).context, a, b)


def concurrent(log: Log, a: Write, b: Write) -> bool:
    """Tell whether neither write's context covers the other's dot."""
    return (
        entry_of(log, a).context.get(b.actor, 0) < b.counter
        and entry_of(log, b).context.get(a.actor, 0) < a.counter
    )


def _finish(live: tuple[Write, ...], superseded: tuple[Write, ...], log: Log) -> FieldState:
    if len(live) == 1:  # the common case: one live write, shown, no conflict
        return FieldState(live=live, superseded=superseded)
    shown = live or superseded
    winner = max(range(len(shown)), key=lambda i: display_key(log, shown[i]))
    if not live:
        return FieldState(shown=winner, conflict=True, superseded=superseded)
    first = _VALUE_ENCODER.encode(live[0].value)
    conflict = any(_VALUE_ENCODER.encode(w.value) != first for w in live[1:])
    return FieldState(shown=winner, conflict=conflict, live=live, superseded=superseded)


def add(state: FieldState, write: Write, log: Log) -> FieldState:
    """Return ``state`` with ``write`` added (the caller has deduplicated dots).

    ``log`` is the record's log, holding the op of every write, ``write``'s included.
    """
    context = entry_of(log, write).context
    superseded = state.superseded
    live = [w for w in state.live if not _covers(context, write, w)]
    if len(live) != len(state.live):
        lost = [w for w in state.live if _covers(context, write, w)]
        superseded = tuple(sorted((*superseded, *lost), key=dot_key))
    if any(supersedes(log, w, write) for w in (*state.live, *state.superseded)):
        superseded = tuple(sorted((*superseded, write), key=dot_key))
    else:
        bisect.insort(live, write, key=dot_key)
    return _finish(tuple(live), superseded, log)


def build(writes: list[Write], log: Log) -> FieldState:
    """Build a register from scratch by the definition (used to cross-check :func:`add`)."""
    if not writes:
        return EMPTY
    history = tuple(sorted(writes, key=dot_key))
    live = tuple(w for w in history if not any(supersedes(log, o, w) for o in history))
    return _finish(live, tuple(w for w in history if w not in live), log)
