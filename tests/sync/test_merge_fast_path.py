"""The merge's fast paths give exactly the record the general path gives, byte for byte.

`cairn verify` rebuilds every record with `materialize` and compares it byte for byte with
what ingest stored through `apply`, so a shortcut that differs in any field, order or
default would show up as corruption. These properties compare the two paths directly.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import canonical, merge
from sync.ops import Create, Dot, GpsFix, Patch
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
