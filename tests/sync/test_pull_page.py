"""A device merging pulled pages stores exactly what folding `merge.apply` over the ops gives.

`Device._merge_pulled` takes shortcuts a page allows (a form's rules looked up once per
page, the merge's fast path for a record new to the device, the collector paused while the
page is merged); none may change a stored byte, and none may outlive the page.
"""

from __future__ import annotations

import gc
import itertools
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from forms.laws import rules_for
from sync import merge, wire
from sync.client import Device
from sync.ops import Create, Dot, Op, Patch
from sync.record import Record

STORED = msgspec.msgpack.Encoder(order="deterministic")
WIRE = msgspec.msgpack.Encoder()
RECORDS = [f"0190f1c2-0000-7000-8000-0000000000{n:02x}" for n in range(4)]
# Forms with write rules (immutable fields), one without, one the device does not know.
FORMS = ["dna_sample@1", "site_grave@1", "photo_log@1", "daily_log@1", "not_a_form@3"]
NAMES = ["seal_no", "collected_at", "datum_point", "location", "notes"]
values: st.SearchStrategy[Any] = st.none() | st.integers(-5, 5) | st.text(max_size=4)


@st.composite
def pages(draw: st.DrawFn) -> list[list[Op]]:
    """Pages of Creates and Patches for a few records (each record keeps one form id)."""
    forms = {rid: draw(st.sampled_from(FORMS)) for rid in RECORDS}
    count = draw(st.integers(1, 24))
    ops: list[Op] = []
    other = {"tab-a": "tab-b", "tab-b": "tab-a"}
    for counter in range(1, count + 1):
        record_id = draw(st.sampled_from(RECORDS))
        actor = draw(st.sampled_from(["tab-a", "tab-b"]))
        kind = draw(st.sampled_from([Create, Patch]))
        ops.append(
            kind(
                dot=Dot(actor=actor, counter=counter),
                record_id=record_id,
                form=forms[record_id],
                hlc=draw(st.integers(1, 2**40)),
                # What the author had seen of the other tablet (never its own dot).
                context=draw(st.dictionaries(st.just(other[actor]), st.integers(1, 30))),
                wall_time=draw(st.integers(0, 2**41)),
                fields=draw(st.dictionaries(st.sampled_from(NAMES), values, max_size=3)),
            )
        )
    cuts = sorted(draw(st.sets(st.integers(1, count), max_size=3)) - {count})
    bounds = [0, *cuts, count]
    return [ops[a:b] for a, b in itertools.pairwise(bounds) if a < b]


def _page(ops: list[Op], cursor: int, suspect: list[tuple[str, int]]) -> wire.PullPage:
    return wire.PullPage(
        ops=[msgspec.Raw(WIRE.encode(op)) for op in ops],
        cursor=cursor,
        more=False,
        server_time_ms=0,
        suspect=suspect,
    )


def _seal_rewritten() -> list[list[Op]]:
    """A seal number written, then rewritten by an op that had seen it: refused by the rule."""
    first = Create(
        dot=Dot(actor="tab-a", counter=1),
        record_id=RECORDS[0],
        form="dna_sample@1",
        hlc=1,
        context={},
        wall_time=1,
        fields={"seal_no": "S1"},
    )
    rewrite = Patch(
        dot=Dot(actor="tab-b", counter=2),
        record_id=RECORDS[0],
        form="dna_sample@1",
        hlc=2,
        context={"tab-a": 1},
        wall_time=2,
        fields={"seal_no": "S2"},
    )
    return [[first, rewrite]]


@settings(max_examples=120, deadline=None)
@given(page_ops=pages(), flag=st.integers(0, 3))
@example(page_ops=_seal_rewritten(), flag=0)  # fails if the page merged without the rules
def test_pulled_pages_store_the_records_folding_apply_gives(
    page_ops: list[list[Op]], flag: int
) -> None:
    every = [op for page in page_ops for op in page]
    suspect = [(op.dot.actor, op.dot.counter) for op in every[::4]] if flag else []
    expected: dict[str, Record | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        device = Device(Path(tmp) / "device")
        try:
            for op in every:
                rules = rules_for(device.forms, op.form)
                flagged = (op.dot.actor, op.dot.counter) in set(suspect)
                expected[op.record_id] = merge.apply(
                    expected.get(op.record_id), op, suspect=flagged, rules=rules
                )
            for n, ops in enumerate(page_ops, 1):
                device._merge_pulled(_page(ops, n, suspect), {"cursor": n})
            stored = {rid: state for rid, _, state in device.store.iter_records()}
            assert stored == {rid: STORED.encode(r) for rid, r in expected.items()}
            assert gc.isenabled()
        finally:
            device.close()


def test_a_page_that_cannot_be_merged_stores_nothing_and_leaves_the_collector_running(
    tmp_path: Path,
) -> None:
    op = Create(
        dot=Dot(actor="tab-a", counter=1),
        record_id=RECORDS[0],
        form="site_grave@1",
        hlc=5,
        context={},
        wall_time=5,
        fields={"notes": "first"},
    )
    reused = msgspec.structs.replace(op, fields={"notes": "other"})  # same dot, other op
    device = Device(tmp_path / "device")
    try:
        with pytest.raises(merge.DotReuseError):
            device._merge_pulled(_page([op, reused], 1, []), {"cursor": 1})
        assert gc.isenabled()
        assert list(device.store.iter_records()) == []
        assert device.store.get_int("cursor") == 0
    finally:
        device.close()
