"""Operations: the only way a record changes, and their wire encodings.

Model: an operation-based replicated data type (Shapiro, Preguiça, Baquero and Zawirski,
"Conflict-free Replicated Data Types", SSS 2011). Each op is immutable and named by its
dot ``(actor, counter)``; it carries the causal context (version vector of the record as
the actor saw it just before the edit), a hybrid logical clock stamp (:mod:`sync.clock`)
for display order, the actor's wall-clock time and, when known, a GPS fix. One op per
edit, carrying every field that edit changed.

The kinds form a msgspec tagged union on ``"kind"``. Wire rules follow msgspec's schema
evolution guide: fields are never reordered or retyped, new fields get defaults, so an
old device's payload still decodes. Field values are plain JSON-like data (str, int,
float, bool, None, lists, dicts; a geopoint is a dict with ``"lat"``, ``"lon"``, ...).

Ops are declared ``gc=False``, like the record Structs (:mod:`sync.record`): they are
frozen values holding such data, never themselves, so they cannot form reference cycles,
and the cyclic GC need not scan the 10,000 ops of a batch on every collection.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "Create",
    "Dot",
    "GpsFix",
    "ItemAdd",
    "ItemEdit",
    "ItemRemove",
    "Op",
    "Patch",
    "Resolve",
    "Retract",
    "Review",
    "decode_ops",
    "decode_ops_json",
    "encode_ops",
    "encode_ops_json",
]

Counter = Annotated[int, msgspec.Meta(ge=1)]
# Stamps stay below 2**63 (signed int64 on the wire and in SQLite) until the year 6429.
Stamp = Annotated[int, msgspec.Meta(ge=0, le=(1 << 63) - 1)]
Reason = Annotated[str, msgspec.Meta(min_length=1, pattern=r"\S")]
ReviewState = Literal["received", "has_issues", "approved", "rejected"]


class Dot(msgspec.Struct, frozen=True, kw_only=True):
    """The globally unique name of an op: an actor and its never-reset counter."""

    actor: Annotated[str, msgspec.Meta(min_length=1)]
    counter: Counter


class GpsFix(msgspec.Struct, frozen=True, kw_only=True):
    """Where the device was when the edit was made (WGS 84 degrees, metres, ms epoch)."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    h_acc_m: Annotated[float, msgspec.Meta(ge=0)]
    fix_time: int
    alt_m: float | None = None


class _OpBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", gc=False):
    """Fields every op carries."""

    dot: Dot
    record_id: Annotated[str, msgspec.Meta(min_length=1)]
    form: Annotated[str, msgspec.Meta(min_length=1)]
    hlc: Stamp
    context: dict[str, int]
    wall_time: int
    gps: GpsFix | None = None

    def __post_init__(self) -> None:
        """Refuse a context that claims to have seen this op or a later one of its actor."""
        if self.context.get(self.dot.actor, 0) >= self.dot.counter:
            raise ValueError(
                f"op {self.dot.actor}:{self.dot.counter} has a context that already covers "
                "its own dot; the context must be the record's version vector before the edit"
            )


class Create(_OpBase, frozen=True, kw_only=True, tag="create"):
    """A new record with its first field values."""

    fields: dict[str, Any] = {}


class Patch(_OpBase, frozen=True, kw_only=True, tag="patch"):
    """An edit setting one or more fields of a record."""

    fields: dict[str, Any]


class ItemAdd(_OpBase, frozen=True, kw_only=True, tag="item_add"):
    """A new item (its own UUID) in a repeat group, with its first field values."""

    group: str
    item_id: str
    fields: dict[str, Any] = {}


class ItemEdit(_OpBase, frozen=True, kw_only=True, tag="item_edit"):
    """An edit setting fields of one item of a repeat group."""

    group: str
    item_id: str
    fields: dict[str, Any]


class ItemRemove(_OpBase, frozen=True, kw_only=True, tag="item_remove"):
    """Removal of one item of a repeat group (kept in history, never erased)."""

    group: str
    item_id: str


class Retract(_OpBase, frozen=True, kw_only=True, tag="retract"):
    """A soft delete of the whole record; a reason is required."""

    reason: Reason


class Resolve(_OpBase, frozen=True, kw_only=True, tag="resolve"):
    """A supervisor's resolution of a conflict, with the chosen or new value and a reason.

    - ``conflict="field"``: ``field`` (and ``group`` + ``item_id`` for an item's field)
      gets ``value``;
    - ``conflict="item"``: ``value`` is True to keep item ``group``/``item_id``, False to
      remove it;
    - ``conflict="retraction"``: ``value`` is True to keep the record retracted, False to
      restore it.
    """

    conflict: Literal["field", "item", "retraction"]
    value: Any
    reason: Reason
    field: str | None = None
    group: str | None = None
    item_id: str | None = None

    def __post_init__(self) -> None:
        """Check that the target named by ``conflict`` is complete."""
        super().__post_init__()
        if (self.group is None) != (self.item_id is None):
            raise ValueError("a resolution names both group and item_id, or neither")
        if self.conflict == "field" and self.field is None:
            raise ValueError("a field resolution must name the field it resolves")
        if self.conflict == "item" and self.group is None:
            raise ValueError("an item resolution must name group and item_id")
        if self.conflict != "field" and not isinstance(self.value, bool):
            raise ValueError(
                f"the value resolving a {self.conflict} conflict must be true or false"
            )


class Review(_OpBase, frozen=True, kw_only=True, tag="review"):
    """A supervisor's review state for the record, with an optional comment."""

    state: ReviewState
    comment: str = ""


Op = Create | Patch | ItemAdd | ItemEdit | ItemRemove | Retract | Resolve | Review

_MSGPACK_ENCODER = msgspec.msgpack.Encoder()
_MSGPACK_DECODER = msgspec.msgpack.Decoder(list[Op])
_JSON_ENCODER = msgspec.json.Encoder()
_JSON_DECODER = msgspec.json.Decoder(list[Op])


def encode_ops(ops: list[Op]) -> bytes:
    """Encode a list of ops as msgpack."""
    return _MSGPACK_ENCODER.encode(ops)


def decode_ops(data: bytes) -> list[Op]:
    """Decode and validate a msgpack list of ops (raises msgspec.ValidationError)."""
    return _MSGPACK_DECODER.decode(data)


def encode_ops_json(ops: list[Op]) -> bytes:
    """Encode a list of ops as JSON."""
    return _JSON_ENCODER.encode(ops)


def decode_ops_json(data: bytes | str) -> list[Op]:
    """Decode and validate a JSON list of ops (raises msgspec.ValidationError)."""
    return _JSON_DECODER.decode(data)
