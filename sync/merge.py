"""Merge: a record as a pure, order-independent function of its ops.

Algorithm: an op-based CRDT (Shapiro et al., "Conflict-free Replicated Data Types",
SSS 2011) made of multi-value registers (:mod:`sync.register`) for fields, an add-wins
set keyed by UUID (the OR-Set of the same paper, with version-vector contexts) for
repeat-group items, and registers for retraction and review. :func:`apply` folds one op
into a record in time proportional to the registers the op touches; :func:`materialize`
folds many. Because every step is commutative, associative and idempotent (dots are
deduplicated), any order, split or duplication of the ops gives the same record
(DESIGN.md, "Merge semantics").

Cost: a record's first Create or Patch is built directly (every register holds one live
write), and later ops copy the record once and re-sort a mapping only when they add a key;
both give exactly the record the register arithmetic gives (tests/sync/test_merge_fast_path.py).
:func:`fresh_state` goes one step further for a device's first sync, where most records
arrive as one Create: it writes that record's stored bytes straight from the op, without
building the record's Structs first, and gives exactly the bytes of the general path.

Choices the laws leave open, documented here:

- Removal and retraction are deliberate acts. An edit *concurrent* with a removal
  (retraction) keeps the item (record) present (live) and flagged; an edit that
  *causally follows* one is kept in the field's history and value but does not undo it:
  only a resolution (``Resolve`` with ``conflict="item"``/``"retraction"``) does.
- A concurrent retraction and un-retraction (or add and removal) also leave the record
  live (item present) and flagged: keeping data visible is the safe side.
- Review is a register too: the display state is the live review with the highest HLC;
  concurrent reviews all stay live (``record.review.live``) and ``review.conflict`` shows
  disagreement, but review disagreements are not listed by :func:`conflicts`.
- A reused dot with different content raises :class:`DotReuseError` (never a silent
  drop); the same op twice is a no-op. ``suspect=True`` (a stamp far ahead of the
  server's receive time, see :func:`sync.clock.is_suspect`) is remembered per op as a
  union over deliveries, so it never depends on arrival order.
- ``created_hlc``/``updated_hlc`` are the lowest/highest stamp of any op; ``form`` is the
  highest form version seen (``name@version``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TypeVar

import msgspec

from sync import laws, register
from sync.conflicts import conflicts, iter_writes, ordered_items
from sync.laws import NO_RULES, Rules
from sync.ops import Create, ItemAdd, ItemEdit, ItemRemove, Op, Patch, Resolve, Retract, Review
from sync.record import (
    EMPTY,
    FieldState,
    ItemState,
    KeyConflict,
    Log,
    LogEntry,
    Record,
    Refusal,
    Write,
)

__all__ = [
    "DotReuseError",
    "MergeError",
    "RecordMismatchError",
    "apply",
    "conflicts",
    "fresh_state",
    "iter_writes",
    "materialize",
    "op_digest",
    "ordered_items",
]

_DIGEST_ENCODER = msgspec.msgpack.Encoder(order="deterministic")
_STATE_ENCODER = msgspec.msgpack.Encoder(order="deterministic")  # as records are stored
replace = msgspec.structs.replace
_V = TypeVar("_V")


class MergeError(ValueError):
    """Ops that cannot be merged into one record (base; ``code`` is stable)."""

    code = "merge_error"


class DotReuseError(MergeError):
    """Two different ops carry the same dot; the device's counter was reset or forged."""

    code = "dot_reuse"


class RecordMismatchError(MergeError):
    """An op for another record was applied to this one."""

    code = "record_mismatch"


def op_digest(op: Op) -> bytes:
    """Return the 16-byte content digest that detects a reused dot."""
    return hashlib.sha256(_DIGEST_ENCODER.encode(op)).digest()[:16]


_KINDS: dict[type, str] = {
    kind: str(kind.__struct_config__.tag)
    for kind in (Create, Patch, ItemAdd, ItemEdit, ItemRemove, Retract, Resolve, Review)
}


def _kind(op: Op) -> str:
    return _KINDS[type(op)]


def _is_edit(op: Op) -> bool:
    """Whether the op changes data (and so can contest a concurrent retraction)."""
    match op:
        case Retract() | Review() | Resolve(conflict="retraction"):
            return False
    return True


def _form_key(form: str) -> tuple[int, str]:
    _, _, version = form.rpartition("@")
    return (int(version) if version.isdigit() else 0, form)


def _write(op: Op, value: object, note: str = "") -> Write:
    return Write(actor=op.dot.actor, counter=op.dot.counter, value=value, note=note)


def _set_fields(
    fields: dict[str, FieldState], values: dict[str, object], op: Op, log: Log, note: str = ""
) -> dict[str, FieldState]:
    out = dict(fields)
    for name, value in values.items():
        out[name] = register.add(out.get(name, EMPTY), _write(op, value, note), log)
    return out


def _marks(
    state: FieldState, edits: Iterable[Write], log: Log
) -> tuple[tuple[Write, ...], bool, bool]:
    """Edits concurrent with a live True mark, whether one stands, whether it is contested."""
    raised = [w for w in state.live if w.value is True]
    contest = tuple(e for e in edits if any(register.concurrent(log, e, r) for r in raised))
    lowered = any(w.value is not True for w in state.live)
    return contest, bool(raised), lowered or bool(contest)


def _with_edit(edits: tuple[Write, ...], edit: Write) -> tuple[Write, ...]:
    return tuple(sorted((*edits, edit), key=register.dot_key))


def _item_state(item: ItemState, log: Log) -> ItemState:
    removals = [w for w in item.presence.live if w.value is False]
    adds = any(w.value is True for w in item.presence.live)
    contest = tuple(e for e in item.edits if any(register.concurrent(log, e, r) for r in removals))
    removed = bool(removals) and not adds and not contest
    flagged = bool(removals) and (adds or bool(contest))
    return replace(item, present=not removed, flagged=flagged, contest=contest)


def _apply_item(
    record: Record, op: Op, group: str, item_id: str
) -> dict[str, dict[str, ItemState]]:
    items = dict(record.items)
    members = dict(items.get(group, {}))
    item = members.get(item_id) or ItemState(created_hlc=op.hlc)
    item = replace(item, created_hlc=min(item.created_hlc, op.hlc))
    log = record.log
    match op:
        case ItemAdd(fields=values):
            presence = register.add(item.presence, _write(op, True), log)
            fields = _set_fields(item.fields, values, op, log)
            item = replace(item, presence=presence, fields=fields)
        case ItemEdit(fields=values):
            fields = _set_fields(item.fields, values, op, log)
            item = replace(item, fields=fields, edits=_with_edit(item.edits, _write(op, True)))
        case ItemRemove():
            item = replace(item, presence=register.add(item.presence, _write(op, False), log))
        case Resolve(conflict="item", value=keep, reason=reason):
            presence = register.add(item.presence, _write(op, keep, reason), log)
            item = replace(item, presence=presence)
        case Resolve(field=str(name), value=value, reason=reason):
            fields = _set_fields(item.fields, {name: value}, op, log, reason)
            item = replace(
                item, fields=fields, edits=_with_edit(item.edits, _write(op, True, reason))
            )
    members[item_id] = _item_state(item, log)
    items[group] = dict(sorted(members.items()))
    return items


def _logged_edits(log: Log) -> Iterator[Write]:
    for actor, entries in log.items():
        for counter, e in entries.items():
            if e.edit:
                yield Write(actor=actor, counter=int(counter), value=False)


def _retraction(record: Record, op: Op, state: FieldState) -> Record:
    contest, raised, lowered = _marks(state, _logged_edits(record.log), record.log)
    contest = tuple(sorted(contest, key=register.dot_key))
    return replace(
        record,
        retraction=state,
        retraction_contest=contest,
        retracted=raised and not lowered,
        retraction_conflict=raised and lowered,
    )


def _contest_retraction(record: Record, op: Op) -> Record:
    """Flag the record if this data op is concurrent with a live retraction."""
    if not record.retraction.live:
        return record
    edit = _write(op, False)
    live = record.retraction.live
    if not any(w.value is True and register.concurrent(record.log, edit, w) for w in live):
        return record
    contest = tuple(sorted((*record.retraction_contest, edit), key=register.dot_key))
    return replace(record, retraction_contest=contest, retracted=False, retraction_conflict=True)


def _log_entry(op: Op, digest: bytes, suspect: bool, refused: bool = False) -> LogEntry:
    return LogEntry(
        kind=_kind(op),
        hlc=op.hlc,
        wall_time=op.wall_time,
        context=op.context,
        digest=digest,
        suspect=suspect,
        edit=_is_edit(op) and not refused,
        gps=op.gps,
    )


def _with_key(mapping: dict[str, _V], key: str, value: _V) -> dict[str, _V]:
    """A copy of the key-sorted ``mapping`` with ``key`` set, still sorted by key.

    Sorting is skipped when the key is already there or sorts last, as a device's next
    counter and an existing actor usually do.
    """
    out = dict(mapping)
    if key in out or not out or key > next(reversed(out)):
        out[key] = value
        return out
    out[key] = value
    return dict(sorted(out.items()))


def _with_log(record: Record, actor: str, counter: int, entry: LogEntry) -> Log:
    return _with_key(record.log, actor, _with_key(record.log.get(actor, {}), str(counter), entry))


def _fresh(op: Create | Patch, digest: bytes, suspect: bool) -> Record:
    """The record of one field-setting op alone: the general path's result, built directly.

    Every register holds the op's single write, live and unchallenged, so no register
    arithmetic is needed; ``tests/sync/test_merge_fast_path.py`` proves the equality.
    """
    actor, counter, hlc = op.dot.actor, op.dot.counter, op.hlc
    fields: dict[str, FieldState] = {}
    values = op.fields
    for name in sorted(values):
        fields[name] = FieldState(live=(Write(actor=actor, counter=counter, value=values[name]),))
    return Record(
        id=op.record_id,
        form=op.form,
        fields=fields,
        vv={actor: counter},
        created_hlc=hlc,
        updated_hlc=hlc,
        op_count=1,
        log={
            actor: {
                str(counter): LogEntry(
                    kind=_KINDS[type(op)],
                    hlc=hlc,
                    wall_time=op.wall_time,
                    context=op.context,
                    digest=digest,
                    suspect=suspect,
                    edit=True,  # a Create or Patch changes data, and nothing refused it
                    gps=op.gps,
                )
            }
        },
    )


# The stored layout of a record, for fresh_state: Record's keyed fields in declared order,
# its register Structs as the positional arrays they encode to. Checked here against the
# Structs themselves, so a change to sync.record cannot leave this layout behind silently
# (tests/sync/test_merge_fast_path.py compares the bytes).
_LAYOUTS: dict[type[msgspec.Struct], tuple[str, ...]] = {
    Record: (
        "id", "form", "fields", "items", "retracted", "retraction_conflict", "retraction",
        "retraction_contest", "review", "vv", "created_hlc", "updated_hlc", "op_count", "log",
        "refused", "key_conflicts",
    ),
    FieldState: ("shown", "conflict", "live", "superseded"),
    Write: ("actor", "counter", "value", "note"),
    LogEntry: ("kind", "hlc", "wall_time", "context", "digest", "suspect", "edit", "gps"),
}  # fmt: skip
for _struct, _names in _LAYOUTS.items():
    if _struct.__struct_fields__ != _names or _struct.__struct_config__.array_like != (
        _struct is not Record
    ):
        raise ImportError(f"sync.merge.fresh_state does not know this layout of {_struct}")
_StoredRecord = msgspec.defstruct(
    "_StoredRecord", list(_LAYOUTS[Record]), frozen=True, gc=False, module=__name__
)


def fresh_state(op: Op, *, suspect: bool = False, rules: Rules = NO_RULES) -> bytes | None:
    """The stored state of the record ``op`` alone makes, or None off the fast path.

    The bytes are exactly ``msgspec.msgpack.Encoder(order="deterministic").encode(apply(None,
    op, suspect=suspect, rules=rules))``, as device and server store a record, written
    straight from the op's values: for a lone Create or Patch (no rule can refuse it: there
    is no earlier write to cover), each register holds the op's one live write, so the
    layout is fixed. None for any other op, or one an op-local law refuses; the caller
    then takes :func:`apply`.
    """
    if not isinstance(op, Create | Patch) or (rules.groups and laws.local_refusals(rules, op)):
        return None
    actor, counter, hlc = op.dot.actor, op.dot.counter, op.hlc
    digest = hashlib.sha256(_DIGEST_ENCODER.encode(op)).digest()[:16]
    # Write and FieldState as their arrays: (shown, conflict, live, superseded) holding
    # (actor, counter, value, note); the encoder sorts the names as the record's dict is.
    fields = {
        name: (0, False, ((actor, counter, value, ""),), ()) for name, value in op.fields.items()
    }
    entry = (_KINDS[type(op)], hlc, op.wall_time, op.context, digest, suspect, True, op.gps)
    return _STATE_ENCODER.encode(
        _StoredRecord(
            op.record_id,
            op.form,
            fields,
            {},
            False,
            False,
            EMPTY,
            (),
            EMPTY,
            {actor: counter},
            hlc,
            hlc,
            1,
            {actor: {str(counter): entry}},
            (),
            (),
        )
    )


def apply(
    record: Record | None, op: Op, *, suspect: bool = False, rules: Rules = NO_RULES
) -> Record:
    """Fold one op into ``record`` (None starts a new one) and return the new record.

    ``rules`` are the record's form's write rules and item keys (:mod:`sync.laws`); an op
    that breaks one is kept in ``record.refused`` and has no other effect.
    Raises :class:`RecordMismatchError` for an op of another record and
    :class:`DotReuseError` for a known dot with different content.
    """
    if (
        record is None
        and isinstance(op, Create | Patch)
        and not (rules.groups and laws.local_refusals(rules, op))
    ):
        return _fresh(op, op_digest(op), suspect)
    return _apply(record, op, suspect, rules)


def _apply(record: Record | None, op: Op, suspect: bool, rules: Rules = NO_RULES) -> Record:
    """The general path of :func:`apply`, for any op and any prior state."""
    actor, counter = op.dot.actor, op.dot.counter
    digest = op_digest(op)
    if record is None:
        record = Record(id=op.record_id, form=op.form, created_hlc=op.hlc, updated_hlc=op.hlc)
    elif op.record_id != record.id:
        raise RecordMismatchError(
            f"op {actor}:{counter} belongs to record {op.record_id}, not {record.id}"
        )
    else:
        seen = record.log.get(actor, {}).get(str(counter))
        if seen is not None:
            if seen.digest != digest:
                raise DotReuseError(
                    f"dot {actor}:{counter} on record {record.id} was already used by a "
                    "different op; the device's counter was reset: quarantine this batch "
                    "and re-enroll the device"
                )
            if suspect and not seen.suspect:
                entry = replace(seen, suspect=True)
                return replace(record, log=_with_log(record, actor, counter, entry))
            return record
    codes = laws.local_refusals(rules, op) if rules is not NO_RULES else ()
    guarded: list[str] = []
    if isinstance(op, Create | Patch) and rules.guarded:
        guarded = sorted(name for name in op.fields if name in rules.guarded)
        if guarded:
            codes = tuple(sorted({*codes, *_covered(record, rules, op, guarded)}))
    seen_counter = record.vv.get(actor, 0)
    log = _with_log(record, actor, counter, _log_entry(op, digest, suspect, bool(codes)))
    meta: dict[str, object] = {
        "form": record.form if op.form == record.form else max(record.form, op.form, key=_form_key),
        "vv": record.vv if seen_counter >= counter else _with_key(record.vv, actor, counter),
        "created_hlc": min(record.created_hlc, op.hlc),
        "updated_hlc": max(record.updated_hlc, op.hlc),
        "op_count": record.op_count + 1,
        "log": log,
    }
    if codes:
        values = dict(op.fields) if isinstance(op, Create | Patch) else {}
        refusal = Refusal(actor=actor, counter=counter, codes=codes, values=values)
        record = replace(record, refused=_with_refusal(record.refused, refusal), **meta)
        # A refused write still counts as seen ("any write, refused or not"): ops already
        # here that covered it and break its field's rule are refused too, as they would
        # be had this op arrived first (an append-only choice list dropping its choice).
        if guarded and isinstance(op, Create | Patch):
            return _refuse_followers(record, rules, op, guarded)
        return record
    if isinstance(op, Create | Patch):  # the common case, in one copy of the record
        fields = _set_fields(record.fields, op.fields, op, log)
        if len(fields) != len(record.fields):
            fields = _sorted(fields)  # a new field name: keep the fields sorted
        record = _contest_retraction(replace(record, fields=fields, **meta), op)
        if guarded and isinstance(op, Create | Patch):
            return _refuse_followers(record, rules, op, guarded)
        return record
    record = replace(record, **meta)
    match op:
        case ItemAdd() | ItemEdit() | ItemRemove():
            record = replace(record, items=_apply_item(record, op, op.group, op.item_id))
            if op.group in rules.item_keys:
                record = _with_key_conflicts(record, rules, op.group)
        case Resolve(conflict="retraction", value=value, reason=reason):
            state = register.add(record.retraction, _write(op, value, reason), log)
            return _retraction(record, op, state)
        case Resolve(group=str(group), item_id=str(item_id)):
            record = replace(record, items=_apply_item(record, op, group, item_id))
            if group in rules.item_keys:
                record = _with_key_conflicts(record, rules, group)
        case Resolve(field=str(name), value=value, reason=reason):
            fields = _set_fields(record.fields, {name: value}, op, log, reason)
            record = replace(record, fields=_sorted(fields))
        case Retract(reason=reason):
            return _retraction(
                record, op, register.add(record.retraction, _write(op, True, reason), log)
            )
        case Review(state=state, comment=comment):
            review = register.add(record.review, _write(op, state, comment), log)
            return replace(record, review=review)
    return _contest_retraction(record, op)


def _sorted(fields: dict[str, FieldState]) -> dict[str, FieldState]:
    return dict(sorted(fields.items()))


# -- the forensic rules (sync.laws): refusals that do not depend on arrival order ---------


def _with_refusal(refused: tuple[Refusal, ...], refusal: Refusal) -> tuple[Refusal, ...]:
    others = tuple(r for r in refused if (r.actor, r.counter) != (refusal.actor, refusal.counter))
    return tuple(sorted((*others, refusal), key=lambda r: (r.actor, r.counter)))


def _writes_of(record: Record, name: str) -> Iterator[tuple[str, int, object]]:
    """(actor, counter, value) of every write to a top-level field, refused ones included."""
    state = record.fields.get(name)
    if state is not None:
        for w in state.history:
            yield w.actor, w.counter, w.value
    for r in record.refused:
        if name in r.values:
            yield r.actor, r.counter, r.values[name]


def _covered(record: Record, rules: Rules, op: Create | Patch, names: list[str]) -> set[str]:
    """Refusal codes for the guarded fields ``op`` writes over a write its author saw."""
    out: set[str] = set()
    me = (op.dot.actor, op.dot.counter)
    for name in names:
        code = laws.guard_code(rules, name)
        for actor, counter, seen in _writes_of(record, name):
            saw = (actor, counter) != me and laws.covers(op.context, actor, counter)
            if saw and laws.violates(rules, name, op.fields[name], seen):
                out.add(code)
                break
    return out


def _refuse_followers(record: Record, rules: Rules, op: Create | Patch, names: list[str]) -> Record:
    """Refuse the ops already here that wrote a guarded field having seen ``op``'s write.

    They arrived first (an old or hostile client sent a later op before an earlier one);
    refusing them now gives the record that any other arrival order gives.
    """
    dot = (op.dot.actor, op.dot.counter)
    late: dict[tuple[str, int], set[str]] = {}
    for name in names:
        for actor, counter, value in _writes_of(record, name):
            if (actor, counter) == dot:
                continue
            entry = record.log[actor][str(counter)]
            if entry.kind not in ("create", "patch"):
                continue  # a resolution covers the writes it resolves
            if laws.covers(entry.context, *dot) and laws.violates(
                rules, name, value, op.fields[name]
            ):
                late.setdefault((actor, counter), set()).add(laws.guard_code(rules, name))
    if not late:
        return record
    refused = record.refused
    fields = dict(record.fields)
    log = record.log
    for (actor, counter), codes in sorted(late.items()):
        known = next((r for r in refused if (r.actor, r.counter) == (actor, counter)), None)
        if known is not None:
            refusal = replace(known, codes=tuple(sorted({*known.codes, *codes})))
        else:
            values: dict[str, object] = {}
            for name, state in list(fields.items()):
                if any((w.actor, w.counter) == (actor, counter) for w in state.history):
                    kept = [w for w in state.history if (w.actor, w.counter) != (actor, counter)]
                    values[name] = next(
                        w.value for w in state.history if (w.actor, w.counter) == (actor, counter)
                    )
                    fields[name] = register.build(kept, log)
            entry = replace(log[actor][str(counter)], edit=False)
            log = _with_key(log, actor, _with_key(log[actor], str(counter), entry))
            refusal = Refusal(
                actor=actor, counter=counter, codes=tuple(sorted(codes)), values=values
            )
        refused = _with_refusal(refused, refusal)
    fields = {name: state for name, state in fields.items() if state.history}
    record = replace(record, fields=fields, log=log, refused=refused)
    if record.retraction.history:
        return _retraction(record, op, record.retraction)
    return record


def _add_dots(item: ItemState, log: Log) -> list[Write]:
    return [
        w for w in item.presence.history if w.value is True and _entry_kind(log, w) == "item_add"
    ]


def _entry_kind(log: Log, write: Write) -> str:
    """The kind of the op that made ``write``."""
    return log[write.actor][str(write.counter)].kind


def _with_key_conflicts(record: Record, rules: Rules, group: str) -> Record:
    """Recompute the key conflicts of one group: present items sharing a declared key."""
    by_key: dict[bytes, tuple[tuple[object, ...], list[str]]] = {}
    members = record.items.get(group, {})
    for item_id, item in members.items():
        if not item.present:
            continue
        values = {n: s.value for n, s in item.fields.items()}
        key = laws.item_key(rules, group, values)
        if key is None:
            continue
        slot = by_key.setdefault(_DIGEST_ENCODER.encode(key), (key, []))
        slot[1].append(item_id)
    found = []
    log = record.log
    for _code, (key, ids) in sorted(by_key.items()):
        if len(ids) < 2:
            continue
        adds = [w for i in ids for w in _add_dots(members[i], log)]
        resolved = any(
            w.value is True
            and _entry_kind(log, w) == "resolve"
            and all(
                laws.covers(log[w.actor][str(w.counter)].context, a.actor, a.counter) for a in adds
            )
            for i in ids
            for w in members[i].presence.live
        )
        found.append(KeyConflict(group=group, key=key, items=tuple(sorted(ids)), resolved=resolved))
    others = tuple(k for k in record.key_conflicts if k.group != group)
    merged = tuple(
        sorted((*others, *found), key=lambda k: (k.group, _DIGEST_ENCODER.encode(k.key)))
    )
    if merged == record.key_conflicts:
        return record
    return replace(record, key_conflicts=merged)


def materialize(
    ops: Iterable[Op], *, suspect: Iterable[tuple[str, int]] = (), rules: Rules = NO_RULES
) -> Record:
    """Build the record of ``ops`` (any order, duplicates allowed; at least one op).

    ``suspect`` lists the dots whose stamps were flagged at receipt; ``rules`` are the
    record's form's write rules (:mod:`sync.laws`).
    """
    flagged = frozenset(suspect)
    record: Record | None = None
    for op in ops:
        record = apply(record, op, suspect=(op.dot.actor, op.dot.counter) in flagged, rules=rules)
    if record is None:
        raise MergeError("materialize needs at least one op; a record exists only through ops")
    return record
