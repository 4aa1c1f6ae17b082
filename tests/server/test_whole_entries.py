"""Entries decoded whole (the archive's record pass) render exactly as the shown part does.

`formats.entries(..., whole=True)` decodes each full record once and the CSV and GeoJSON
renderers read it in place of the shown part (`sync.shown`); for every record of the
merge corpus (conflicts, items, removals, key clashes, retractions), under every built-in
form, every table row and feature must be the same as from the shown part.
"""

from __future__ import annotations

from functools import cache

import msgspec
import pytest

from forms.library import builtin_library
from server.export import formats
from server.materialize import encode_record
from server.store.sync_tables import RecordRow
from sync.merge import materialize
from sync.ops import decode_ops
from tests.conformance import gen_merge_corpus
from tests.sync.test_shown import _rules

LIBRARY = builtin_library()


@cache
def _states() -> list[tuple[str, bool, bytes]]:
    data = msgspec.msgpack.decode(gen_merge_corpus.generate(300, seed=31))
    out = []
    for case in data["cases"]:
        if "record" in case:
            record = materialize(decode_ops(case["ops"]), rules=_rules(case["rules"]))
            out.append((record.id, record.retracted, encode_record(record)))
    return out


def _rows(form_id: str) -> list[RecordRow]:
    version = LIBRARY.versions(form_id)[-1]
    return [
        RecordRow(
            record_id=rid,
            project="P",
            form_id=form_id,
            form_version=version,
            identifier=f"=F{n}" if n % 3 else None,
            review_state="received",
            retracted=retracted,
            conflict_count=0,
            updated_cursor=n,
            updated_at_ms=0,
            state=state,
        )
        for n, (rid, retracted, state) in enumerate(_states())
    ]


@pytest.mark.parametrize("form_id", sorted(LIBRARY.ids()))
def test_whole_records_render_as_their_shown_part(form_id: str) -> None:
    rows = _rows(form_id)
    assert len(rows) > 200
    specs = formats.form_tables(LIBRARY, form_id)
    pairs = zip(
        formats.entries(rows, LIBRARY), formats.entries(rows, LIBRARY, whole=True), strict=True
    )
    for shown, whole in pairs:
        assert whole.shown is whole.record
        for spec in specs:
            assert list(formats.table_row(spec, whole)) == list(formats.table_row(spec, shown))
        assert list(formats.geojson_features(whole)) == list(formats.geojson_features(shown))
        assert formats.record_cells(specs[0], whole, csv_ready=True) == formats.record_cells(
            specs[0], shown, csv_ready=True
        )
