"""The downloads' partial decode (`materialize.decode_displayed`) keeps every part of a
stored record that the CSV and GeoJSON renderers read, and drops the rest."""

from __future__ import annotations

from typing import cast

import pytest

from server.export import formats
from server.materialize import decode_displayed, encode_record
from server.store.sync_tables import RecordRow
from sync.record import FieldState, ItemState, KeyConflict, LogEntry, Record, Write


def _record() -> Record:
    log = {"dev": {"1": LogEntry(kind="create", hlc=5, wall_time=6, context={}, digest=b"x")}}
    conflicted = FieldState(
        shown=1,
        conflict=True,
        live=(Write(actor="a", counter=1, value="x"), Write(actor="b", counter=1, value="y")),
    )
    item = ItemState(
        created_hlc=3,
        flagged=True,
        fields={"n": FieldState(live=(Write(actor="a", counter=2, value=4),))},
    )
    return Record(
        id="r1",
        form="site_grave@1",
        fields={
            "depth": conflicted,
            "old": FieldState(superseded=(Write(actor="a", counter=3, value=1.5),)),
        },
        items={"finds": {"i1": item}},
        retracted=True,
        retraction_conflict=True,
        review=FieldState(live=(Write(actor="s", counter=1, value="approved"),)),
        vv={"a": 3},
        op_count=4,
        log=log,
        key_conflicts=(KeyConflict(group="finds", key=(1,), items=("i1",)),),
    )


def test_what_the_renderers_read_is_kept_and_the_log_is_not_decoded() -> None:
    full = _record()
    shown = decode_displayed(encode_record(full))
    kept = ("id", "form", "fields", "items", "retracted", "retraction_conflict", "key_conflicts")
    for name in kept:
        assert getattr(shown, name) == getattr(full, name), name
    assert shown.log == {} and shown.vv == {} and shown.review == FieldState()
    assert shown.op_count == 0


def test_a_displayed_entry_refuses_a_view() -> None:
    row = cast(RecordRow, None)  # a view does not read the row
    entry = formats.RecordEntry(row=row, record=_record(), form=None, full=False)
    with pytest.raises(ValueError, match="no log"):
        print(entry.view)
