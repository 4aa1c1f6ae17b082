"""The shown part of a consolidated record: what a table or a map of records displays.

A download (CSV, GeoJSON) shows each field's display winner, which fields and items are
in conflict, and which items are present; it never shows provenance. These Structs
decode a stored record state (`sync.record.Record`, as encoded by the server) straight
into that part: msgspec skips every map entry a Struct does not declare without building
it, so the record's log (each op's stamps, causal context, digest and GPS fix), version
vector, refusals, and the retraction and review registers are never materialized, and a
write's note, a trailing element of its positional array, is skipped too. Decoding the
shown part costs about half a full decode of a typical record.

The layout mirrors `sync.record` field for field (same names, same positions in the
array-like registers); a change there must be made here too, and
tests/sync/test_shown.py decodes every record of the merge corpus both ways and checks
that they agree.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.record import KeyConflict

__all__ = ["ShownField", "ShownItem", "ShownRecord", "ShownWrite", "decode_shown"]


class ShownWrite(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A `sync.record.Write` without its note: the op's dot and the value written."""

    actor: str
    counter: int
    value: Any = None


class ShownField(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A `sync.record.FieldState`: its writes, display winner and conflict flag."""

    shown: int = 0
    conflict: bool = False
    live: tuple[ShownWrite, ...] = ()
    superseded: tuple[ShownWrite, ...] = ()

    @property
    def value(self) -> Any:
        """The displayed value: the display winner's (None for an empty register)."""
        writes = self.live or self.superseded
        return writes[self.shown].value if writes else None

    @property
    def written(self) -> bool:
        """Whether anything was ever written to the register (a view lists it)."""
        return bool(self.live or self.superseded)


class ShownItem(msgspec.Struct, frozen=True, gc=False):
    """A `sync.record.ItemState` without its presence and edit registers."""

    created_hlc: int
    present: bool = True
    flagged: bool = False
    fields: dict[str, ShownField] = {}


class ShownRecord(msgspec.Struct, frozen=True, gc=False):
    """A `sync.record.Record` as a table or map shows it: no log, no provenance."""

    id: str
    form: str
    fields: dict[str, ShownField] = {}
    items: dict[str, dict[str, ShownItem]] = {}
    retracted: bool = False
    retraction_conflict: bool = False
    key_conflicts: tuple[KeyConflict, ...] = ()


_DECODER = msgspec.msgpack.Decoder(ShownRecord)


def decode_shown(state: bytes) -> ShownRecord:
    """The shown part of a stored record state (msgpack of a `sync.record.Record`)."""
    return _DECODER.decode(state)
