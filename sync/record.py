"""Consolidated records: the immutable Structs that :mod:`sync.merge` computes.

A record is a pure function of its ops (DESIGN.md, "Merge semantics"). Each field is a
multi-value register (:class:`FieldState`, built by :mod:`sync.register`); repeat-group
items (:class:`ItemState`) are an add-wins set keyed by item UUID whose fields are
registers too; the retraction flag and the review state are registers over retract /
resolve and review ops. Every value written is a :class:`Write` naming its op by dot.
All containers are sorted by key or by dot, so equal op sets give byte-identical
encodings (:mod:`sync.canonical`).

The stored state is kept small because ingest and first sync write it for every record:
each op's provenance (kind, stamps, causal context, GPS fix) is stored once, in the
record's ``log``, and a write holds only its dot, value and note (:meth:`Record.entry`
finds the rest); a register stores each write once, live or superseded, and the index of
its display winner rather than a copy of the value (``history`` and ``value`` are
properties). The register Structs (``Write``, ``FieldState``, ``LogEntry``) encode as
positional arrays (``array_like``). A one-op record of 8 fields went from 2.8 kB (keyed
Structs) to 1.6 kB (positional) to about 0.75 kB (this layout). New fields on them may
only be appended, with defaults (msgspec's rule for array-like Structs). Nothing here is
ever mutated after construction.

The Structs are declared ``gc=False``: they are frozen values that only ever point at
strings, numbers, decoded field values and other such values, never back at themselves,
so they cannot form reference cycles, and leaving them out of the cycle collector keeps
an ingest of 10,000 records from spending most of its time in collections over the
records it just built (see ``gc=False`` in msgspec's Struct documentation).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from sync.ops import GpsFix

__all__ = [
    "EMPTY",
    "Conflict",
    "ConflictValue",
    "FieldState",
    "ItemState",
    "KeyConflict",
    "Log",
    "LogEntry",
    "Record",
    "Refusal",
    "Write",
    "entry_of",
]


class Write(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """One value written by one op: the op's dot, the value and its note.

    ``note`` holds a resolution's or retraction's reason or a review's comment. Presence
    and retraction registers hold booleans. The op's kind, stamps, causal context and GPS
    fix are stored once per op in the record's log: :meth:`Record.entry` finds them.
    """

    actor: str
    counter: int
    value: Any = None
    note: str = ""


class FieldState(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """A multi-value register: display winner, live values and full history.

    ``live`` holds the writes no other write supersedes and ``superseded`` the others,
    both sorted by dot; each write is stored once, and :attr:`history` is their union.
    ``shown`` indexes the display winner (the write with the highest (hlc, actor,
    counter)) in ``live``, or in ``superseded`` when nothing is live, so :attr:`value`
    is not stored twice. ``conflict`` is true when the live writes hold different values.
    """

    shown: int = 0
    conflict: bool = False
    live: tuple[Write, ...] = ()
    superseded: tuple[Write, ...] = ()

    @property
    def value(self) -> Any:
        """The displayed value: the display winner's (None for an empty register)."""
        writes = self.live or self.superseded
        return writes[self.shown].value if writes else None

    @property
    def history(self) -> tuple[Write, ...]:
        """Every write ever made to the register, sorted by dot."""
        if not self.superseded:
            return self.live
        if not self.live:
            return self.superseded
        return tuple(sorted((*self.live, *self.superseded), key=_dot))


def _dot(write: Write) -> tuple[str, int]:
    return (write.actor, write.counter)


EMPTY = FieldState()


class ItemState(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One item of a repeat group: its field registers and presence.

    ``presence`` holds adds (True), removals (False) and item resolutions; ``edits`` the
    item's edits; ``contest`` the edits concurrent with a live removal. The item is
    ``present`` unless a live removal stands alone; ``flagged`` when a removal is
    concurrent with an add or an edit (the item stays present until resolved).
    """

    created_hlc: int
    present: bool = True
    flagged: bool = False
    fields: dict[str, FieldState] = {}
    presence: FieldState = EMPTY
    edits: tuple[Write, ...] = ()
    contest: tuple[Write, ...] = ()


class LogEntry(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """What a record remembers of each op it has seen (keyed by actor, then decimal counter).

    ``digest`` (first 16 bytes of the SHA-256 of the op's deterministic msgpack) detects a
    dot reused for different content; ``suspect`` marks a stamp flagged at receipt;
    ``edit`` tells whether the op changed data (so it can contest a retraction).
    """

    kind: str
    hlc: int
    wall_time: int
    context: dict[str, int]
    digest: bytes
    suspect: bool = False
    edit: bool = True
    gps: GpsFix | None = None


Log = dict[str, dict[str, LogEntry]]
"""A record's log: actor, then decimal counter, to what the record remembers of the op."""


class Refusal(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An op the record's rules refuse (:mod:`sync.laws`): it has no effect, but nothing of
    it is lost: ``values`` keeps the fields a Create or Patch tried to set, ``codes`` says
    which laws it breaks (``immutable:seal_no``, ``append_only:custody`` ...)."""

    actor: str
    counter: int
    codes: tuple[str, ...]
    values: dict[str, Any] = {}


class KeyConflict(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Two or more present items of one group with the same declared key, every one kept.

    ``resolved`` when a supervisor's item resolution confirmed one of them having seen
    the additions of all of them (a later, unseen item with the key reopens it).
    """

    group: str
    key: tuple[Any, ...]
    items: tuple[str, ...]
    resolved: bool = False

    @property
    def path(self) -> str:
        """How the conflict is named: ``group{key}``, e.g. ``custody{2}``."""
        return f"{self.group}{{{', '.join(str(v) for v in self.key)}}}"


class Record(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The consolidated state of one record: a pure function of its set of ops."""

    id: str
    form: str
    fields: dict[str, FieldState] = {}
    items: dict[str, dict[str, ItemState]] = {}
    retracted: bool = False
    retraction_conflict: bool = False
    retraction: FieldState = EMPTY
    retraction_contest: tuple[Write, ...] = ()
    review: FieldState = EMPTY
    vv: dict[str, int] = {}
    created_hlc: int = 0
    updated_hlc: int = 0
    op_count: int = 0
    log: Log = {}
    refused: tuple[Refusal, ...] = ()
    key_conflicts: tuple[KeyConflict, ...] = ()

    def entry(self, write: Write) -> LogEntry:
        """The log entry of the op that made ``write``: its kind, stamps, context, GPS fix."""
        return entry_of(self.log, write)


def entry_of(log: Log, write: Write) -> LogEntry:
    """The entry of ``log`` for the op that made ``write`` (every write's op is logged)."""
    return log[write.actor][str(write.counter)]


class ConflictValue(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One live side of an open conflict, with its provenance."""

    actor: str
    counter: int
    kind: str
    hlc: int
    wall_time: int
    value: Any = None
    note: str = ""
    gps: GpsFix | None = None
    suspect_clock: bool = False


class Conflict(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An open conflict: a field, an item's presence, an item key or the retraction.

    ``path`` is ``field``, ``group[item_id].field``, ``group[item_id]``, ``group{key}``
    (two items with one key; each side's value is an item id) or ``retracted``.
    """

    kind: Literal["field", "item", "retraction", "key"]
    path: str
    values: tuple[ConflictValue, ...]
