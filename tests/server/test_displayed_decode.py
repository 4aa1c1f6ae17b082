"""The downloads' partial decode (`sync.shown`, through `formats.entries`) keeps every part
of a stored record that the CSV and GeoJSON renderers read; the rest (log, review, version
vector) is decoded only when an entry's full record or view is asked for."""

from __future__ import annotations

import msgspec

from forms.library import builtin_library
from server.export import formats
from server.materialize import encode_record
from server.store.sync_tables import RecordRow
from sync.record import FieldState, ItemState, KeyConflict, LogEntry, Record, Write
from sync.shown import ShownField, ShownRecord


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


def _entry(record: Record) -> formats.RecordEntry:
    row = RecordRow(
        record_id=record.id,
        project="P",
        form_id="site_grave",
        form_version=1,
        identifier=None,
        review_state="approved",
        retracted=record.retracted,
        conflict_count=2,
        updated_cursor=1,
        updated_at_ms=0,
        state=encode_record(record),
    )
    return next(formats.entries([row], builtin_library()))


def _same(field: FieldState, shown: ShownField) -> None:
    assert (shown.value, shown.conflict, shown.written) == (
        field.value,
        field.conflict,
        bool(field.history),
    )
    assert [(w.actor, w.counter, w.value) for w in shown.live] == [
        (w.actor, w.counter, w.value) for w in field.live
    ]


def test_what_the_renderers_read_is_kept() -> None:
    full = _record()
    shown = _entry(full).shown
    kept = ("id", "form", "retracted", "retraction_conflict", "key_conflicts")
    for name in kept:
        assert getattr(shown, name) == getattr(full, name), name
    assert list(shown.fields) == list(full.fields)
    for name, field in full.fields.items():
        _same(field, shown.fields[name])
    item, got = full.items["finds"]["i1"], shown.items["finds"]["i1"]
    assert (got.created_hlc, got.present, got.flagged) == (3, True, True)
    _same(item.fields["n"], got.fields["n"])


def test_the_log_is_not_decoded_for_a_download() -> None:
    """The shown part declares none of the provenance: msgspec skips it undecoded."""
    assert isinstance(_entry(_record()).shown, ShownRecord)
    declared = {f.name for f in msgspec.structs.fields(ShownRecord)}
    assert not declared & {"log", "review", "vv", "refused", "op_count", "retraction"}


def test_an_entry_decodes_its_full_record_when_asked() -> None:
    full = _record()
    entry = _entry(full)
    assert entry.record == msgspec.msgpack.decode(encode_record(full), type=Record)
    assert entry.record.log == full.log and entry.record.vv == {"a": 3}
    assert entry.record is entry.record  # decoded once, then kept
