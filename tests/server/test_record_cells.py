"""A record's CSV row (formats.record_cells) is what its documented parts make it.

`record_cells` fills a row in one pass over the record's fields and works out its
conflict paths and missing fields on the way; these tests compare it, for any record
under any built-in form (or none), with the row put together from its parts the simple
way: `conflict_paths`, `missing_required` and `_cells`. Its `csv_ready` cells joined by
commas must be the line `csv.writer` writes for the plain cells.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as hs

from forms.completeness import missing_required
from forms.library import builtin_library
from server.export import formats
from server.store.sync_tables import RecordRow
from sync.conflicts import conflict_paths
from sync.record import KeyConflict
from sync.shown import ShownField, ShownItem, ShownRecord, ShownWrite

LIBRARY = builtin_library()
FORMS = sorted(LIBRARY.ids())
# Text made mostly of what decides quoting and formula escapes, plus any character.
_CHARS = hs.sampled_from([",", '"', "\r", "\n", " ", "=", "-", "+", "@", "\t", "a", "é"])
TEXT = hs.one_of(hs.text(_CHARS, max_size=5), hs.text(max_size=3))
NUMBER = hs.one_of(hs.integers(-(2**40), 2**40), hs.floats(allow_nan=False), hs.booleans())
POINT = hs.fixed_dictionaries(
    {},
    optional={
        "lat": hs.one_of(hs.floats(-90, 90), TEXT),
        "lon": hs.floats(-180, 180),
        "h_acc_m": hs.one_of(hs.floats(0, 50), hs.none(), hs.integers(0, 9)),
        "filename": TEXT,
        "sha256": TEXT,
        "note": hs.lists(TEXT, max_size=2),
    },
)
VALUE = hs.one_of(
    hs.none(), TEXT, NUMBER, POINT, hs.lists(TEXT, max_size=3), hs.lists(NUMBER, max_size=2)
)


def _write(value: Any) -> ShownField:
    return ShownField(live=(ShownWrite(actor="a", counter=1, value=value),))


@hs.composite
def _field(draw: Any) -> ShownField:
    writes = draw(hs.lists(VALUE, max_size=3))
    live = tuple(ShownWrite(actor="a", counter=n, value=v) for n, v in enumerate(writes))
    old = draw(hs.lists(VALUE, max_size=2))
    superseded = tuple(ShownWrite(actor="b", counter=n, value=v) for n, v in enumerate(old))
    shown_in = live or superseded
    shown = draw(hs.integers(0, len(shown_in) - 1)) if shown_in else 0
    return ShownField(shown=shown, conflict=draw(hs.booleans()), live=live, superseded=superseded)


@hs.composite
def _entry(draw: Any) -> tuple[formats.TableSpec, formats.RecordEntry]:
    form_id = draw(hs.sampled_from(FORMS))
    spec = formats.form_tables(LIBRARY, form_id)[0]
    names = hs.one_of(hs.sampled_from(spec.fields), hs.sampled_from(["extra", "z9"]))
    fields = draw(hs.dictionaries(names, _field(), max_size=8))
    if draw(hs.booleans()):
        # Every required field of the newest version written, then up to two of them
        # rewritten as drawn (blank, superseded only, ...): a row that lacks at most those.
        latest = LIBRARY.get(form_id)
        given = {f.name: _write(f"v{n}") for n, f in enumerate(latest.fields) if f.required}
        rewritten = draw(
            hs.dictionaries(hs.sampled_from(sorted(given) or ["x"]), _field(), max_size=2)
        )
        fields = {**given, **rewritten}
    items: dict[str, dict[str, ShownItem]] = {}
    if draw(hs.booleans()):
        item = ShownItem(
            created_hlc=1,
            present=draw(hs.booleans()),
            flagged=draw(hs.booleans()),
            fields=draw(hs.dictionaries(hs.sampled_from(["n", "m"]), _field(), max_size=2)),
        )
        items["finds"] = {"i1": item}
    keys = draw(
        hs.lists(
            hs.builds(
                KeyConflict,
                group=hs.just("finds"),
                key=hs.just((1,)),
                items=hs.just(("i1",)),
                resolved=hs.booleans(),
            ),
            max_size=1,
        )
    )
    shown = ShownRecord(
        id="r",
        form=f"{form_id}@1",
        fields=fields,
        items=items,
        retraction_conflict=draw(hs.booleans()),
        key_conflicts=tuple(keys),
    )
    version = draw(hs.sampled_from(LIBRARY.versions(form_id)))
    row = RecordRow(
        record_id=draw(TEXT),
        project="P",
        form_id=form_id,
        form_version=version,
        identifier=draw(hs.one_of(hs.none(), TEXT)),
        review_state=draw(TEXT),
        retracted=draw(hs.booleans()),
        conflict_count=0,
        updated_cursor=0,
        updated_at_ms=0,
        state=b"",
    )
    # One entry in five has no form definition (an unknown form or version).
    form = None if draw(hs.integers(0, 4)) == 0 else LIBRARY.get(form_id, version)
    return spec, formats.RecordEntry(row, shown, form)


def _reference(spec: formats.TableSpec, entry: formats.RecordEntry) -> list[str]:
    """The row from its parts, one function each (the shape of the row before 2026-12-04)."""
    row, shown = entry.row, entry.shown
    missing = missing_required(entry.form, shown) if entry.form is not None else []
    t = formats._text
    return [
        t(row.record_id),
        str(row.form_version),
        t(row.identifier or ""),
        t(row.review_state),
        "true" if row.retracted else "false",
        t(" ".join(conflict_paths(shown))),
        t(" ".join(missing)) if missing else "",
        *formats._cells(spec, shown.fields, all_fields=False),
    ]


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


@settings(max_examples=400)
@given(_entry())
def test_record_cells_are_the_row_its_parts_make(case: Any) -> None:
    spec, entry = case
    cells = formats.record_cells(spec, entry)
    assert cells == _reference(spec, entry)
    assert len(cells) == len(spec.header)
    assert list(formats.table_row(spec, entry)) == [cells]
    ready = formats.record_cells(spec, entry, csv_ready=True)
    assert ",".join(ready) + "\r\n" == _csv_line(cells)
    lines = formats.CsvLines()
    lines.write_fields(ready)
    assert lines.take() == _csv_line(cells).encode()


def test_csv_ready_quotes_a_cell_only_where_the_writer_does() -> None:
    cells = ["a", '{"k":1}', "x,y", "", "=1"]
    for structured in ([], [1], [1, 2], [0, 1, 2, 3, 4]):
        assert formats._csv_ready(cells.copy(), structured) == [
            "a",
            '"{""k"":1}"',
            '"x,y"',
            "",
            "=1",
        ]
    assert formats._csv_ready(["plain", "text"], [0]) == ["plain", "text"]


def test_a_required_field_counts_only_with_a_live_value_that_is_not_blank() -> None:
    spec = formats.form_tables(LIBRARY, "site_grave")[0]
    form = LIBRARY.get("site_grave")
    given = {f.name: _write(f"v{n}") for n, f in enumerate(form.fields) if f.required}
    old = ShownWrite(actor="a", counter=1, value="old")
    lacking = {
        "superseded only": ShownField(superseded=(old,)),
        "empty text": _write(""),
        "empty list": _write([]),
        "nothing": _write(None),
        "never written": ShownField(),
    }
    for why, state in lacking.items():
        shown = ShownRecord(id="r", form="site_grave@1", fields={**given, "site_code": state})
        row = RecordRow(
            record_id="r",
            project="P",
            form_id="site_grave",
            form_version=form.version,
            identifier=None,
            review_state="received",
            retracted=False,
            conflict_count=0,
            updated_cursor=0,
            updated_at_ms=0,
            state=b"",
        )
        entry = formats.RecordEntry(row, shown, form)
        cells = formats.record_cells(spec, entry)
        assert cells[6] == "site_code", why
        assert cells == _reference(spec, entry), why
    shown = ShownRecord(id="r", form="site_grave@1", fields=given)
    entry = formats.RecordEntry(row, shown, form)
    assert formats.record_cells(spec, entry)[6] == ""
