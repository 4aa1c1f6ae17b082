"""The merge's fast paths give exactly the record the general path gives, byte for byte.

:func:`sync.merge.fresh_state` (a lone Create or Patch written straight to its stored
bytes, a device's first sync) is compared with the general path here too: the same bytes,
the same decoded record, and a record that folds later ops the same way.

`cairn verify` rebuilds every record with `materialize` and compares it byte for byte with
what ingest stored through `apply`, so a shortcut that differs in any field, order or
default would show up as corruption. These properties compare the two paths directly.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import canonical, laws, merge
from sync.ops import (
    Create,
    Dot,
    GpsFix,
    ItemAdd,
    ItemEdit,
    ItemRemove,
    Op,
    Patch,
    Resolve,
    Retract,
    Review,
)
from sync.record import Record

STORED = msgspec.msgpack.Encoder(order="deterministic")
SETTINGS = settings(max_examples=200, deadline=None)

actors = st.sampled_from(["tab-a", "tab-b", "0190f1c2-0000-7000-8000-00000000000c"])
names = st.text(alphabet="abcdefghij_0123456789", min_size=1, max_size=8)
values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=6,
)
fixes = st.none() | st.builds(
    GpsFix,
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    h_acc_m=st.floats(0, 100),
    fix_time=st.integers(0, 2**45),
    alt_m=st.none() | st.floats(-500, 9000),
)


@st.composite
def first_ops(draw: st.DrawFn) -> Create | Patch:
    """A Create or Patch as the first op a server sees of a record (any context)."""
    actor = draw(actors)
    counter = draw(st.integers(1, 2**31))
    context = draw(st.dictionaries(actors.filter(lambda a: a != actor), st.integers(1, 50)))
    if draw(st.booleans()):
        context[actor] = draw(st.integers(0, counter - 1))
    op = draw(st.sampled_from([Create, Patch]))(
        dot=Dot(actor=actor, counter=counter),
        record_id="0190f1c2-0000-7000-8000-0000000000a1",
        form=draw(st.sampled_from(["site_grave@1", "site_grave@12", "body"])),
        hlc=draw(st.integers(0, (1 << 63) - 1)),
        context=context,
        wall_time=draw(st.integers(-(2**40), 2**45)),
        gps=draw(fixes),
        fields=draw(st.dictionaries(names, values, max_size=6)),
    )
    assert isinstance(op, Create | Patch)
    return op


def _same(fast: Record, general: Record) -> None:
    assert fast == general
    assert STORED.encode(fast) == STORED.encode(general)
    assert canonical.record_bytes(fast) == canonical.record_bytes(general)


@SETTINGS
@given(op=first_ops(), suspect=st.booleans())
def test_a_records_first_create_or_patch_builds_the_record_the_general_path_builds(
    op: Create | Patch, suspect: bool
) -> None:
    _same(merge.apply(None, op, suspect=suspect), merge._apply(None, op, suspect))


@SETTINGS
@given(op=first_ops(), suspect=st.booleans())
def test_a_fast_built_record_folds_later_ops_like_a_general_one(
    op: Create | Patch, suspect: bool
) -> None:
    later = Patch(
        dot=Dot(actor=op.dot.actor, counter=op.dot.counter + 1),
        record_id=op.record_id,
        form=op.form,
        hlc=op.hlc,
        context={**op.context, op.dot.actor: op.dot.counter},
        wall_time=op.wall_time,
        fields={name: "changed" for name in op.fields} | {"added": 1},
    )
    fast = merge.apply(merge.apply(None, op, suspect=suspect), later)
    general = merge._apply(merge._apply(None, op, suspect), later, False)
    _same(fast, general)
    # The same op again is still recognised as already seen (its digest is stored).
    assert merge.apply(fast, op, suspect=suspect) is fast


# -- fresh_state: a lone op's stored bytes, written straight from the op -------------------

STATE = msgspec.msgpack.Encoder(order="deterministic")  # as device and server store states
OPS = msgspec.msgpack.Decoder(Op)  # type: ignore[arg-type]


@st.composite
def rules_for_ops(draw: st.DrawFn) -> laws.Rules:
    """Rules naming some of the field names ops are drawn with (any law, any mix)."""
    some = st.frozensets(names, max_size=4)
    return laws.Rules(
        immutable=draw(some),
        append_only_choices=draw(some),
        groups=draw(some),
        append_only_groups=draw(some),
    )


@st.composite
def other_ops(draw: st.DrawFn) -> Op:
    """An op that does not set top-level fields: items, retraction, resolution, review."""
    base: dict[str, Any] = {
        "dot": Dot(actor=draw(actors), counter=draw(st.integers(1, 2**31))),
        "record_id": "0190f1c2-0000-7000-8000-0000000000a1",
        "form": "site_grave@1",
        "hlc": draw(st.integers(0, (1 << 63) - 1)),
        "context": {},
        "wall_time": draw(st.integers(0, 2**45)),
    }
    item = {"group": draw(names), "item_id": "0190f1c2-0000-7000-8000-0000000000b1"}
    made: Op = draw(
        st.sampled_from(
            [
                ItemAdd(**base, **item, fields={"a": 1}),
                ItemEdit(**base, **item, fields={"a": 2}),
                ItemRemove(**base, **item),
                Retract(**base, reason="duplicate entry"),
                Review(**base, state="approved"),
                Resolve(**base, conflict="field", field="a", value=3, reason="checked"),
                Resolve(**base, conflict="retraction", value=False, reason="restored"),
            ]
        )
    )
    return made


@SETTINGS
@given(op=first_ops(), suspect=st.booleans(), rules=st.none() | rules_for_ops())
def test_a_lone_create_or_patch_has_the_stored_bytes_of_the_general_merge(
    op: Create | Patch, suspect: bool, rules: laws.Rules | None
) -> None:
    rules = rules or laws.NO_RULES
    # The op as built and as a device decodes it off the wire (values as msgpack gives them).
    for each in (op, OPS.decode(msgspec.msgpack.encode(op))):
        general = merge._apply(None, each, suspect, rules)
        fresh = merge.fresh_state(each, suspect=suspect, rules=rules)
        if rules.groups & set(each.fields):
            # An op-local law refuses it: off the fast path, and the general path says why.
            assert fresh is None
            assert general.refused
            continue
        assert fresh is not None  # the fast path is taken: this test compares something
        assert fresh == STATE.encode(general)
        assert fresh == STATE.encode(merge.apply(None, each, suspect=suspect, rules=rules))
        _same(merge_decode(fresh), general)


def merge_decode(state: bytes) -> Record:
    return msgspec.msgpack.decode(state, type=Record)


@SETTINGS
@given(op=first_ops(), suspect=st.booleans())
def test_a_record_stored_from_fresh_bytes_folds_later_ops_like_a_general_one(
    op: Create | Patch, suspect: bool
) -> None:
    stored = merge.fresh_state(op, suspect=suspect)
    assert stored is not None
    later = Patch(
        dot=Dot(actor="tab-z", counter=1),
        record_id=op.record_id,
        form="site_grave@13",
        hlc=op.hlc // 2,
        context={},  # concurrent: every field it shares with ``op`` conflicts
        wall_time=op.wall_time,
        fields={name: "other" for name in op.fields} | {"added": 1},
    )
    fast = merge.apply(merge_decode(stored), later)
    general = merge._apply(merge._apply(None, op, suspect), later, False)
    _same(fast, general)
    assert merge.apply(merge_decode(stored), op, suspect=suspect) == merge_decode(stored)


@SETTINGS
@given(op=other_ops())
def test_ops_that_do_not_set_fields_are_left_to_the_general_merge(op: Op) -> None:
    assert merge.fresh_state(op) is None
    assert merge.fresh_state(op, suspect=True) is None
