"""Streamed downloads for supervisors: GeoJSON and CSV of the records a filter selects.

The formats themselves are `server.export.formats` (shared with the encrypted archive);
this module feeds them pages of records (keyset by record id, PAGE rows at a time, each
page read when the client is ready for it), so memory stays flat in the size of the
project. Each record appears once, as it stands when its page is read.

A record's CSV line (in its form's records table) and GeoJSON features are copied from its
render made ahead (`server.export.renders`) when the render's key matches the row just
read, and made here otherwise: the bytes are the same either way.

GeoJSON polygons are re-oriented here to the right-hand rule (RFC 7946 §3.1.6: exterior
rings counterclockwise, holes clockwise), whatever order the device walked the outline.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from forms.errors import FormError
from server.context import ServerContext
from server.errors import BadRequest
from server.export import formats, renders
from server.review import in_box
from server.store import queries
from server.store import sync_tables as st

PAGE = 200
GEOJSON_TYPE = "application/geo+json"
# Litestar adds "; charset=utf-8" to every text/ type it sends (README: UTF-8 CSV).
CSV_TYPE = "text/csv"
CSV_CONTENT_TYPE = CSV_TYPE + "; charset=utf-8"


def _rows(ctx: ServerContext, flt: queries.RecordFilter) -> Iterator[st.RecordRow]:
    after: str | None = None
    while True:
        page = queries.records_by_id(ctx.store.reader(), flt, after, PAGE)
        for row in page:
            if flt.bbox is None or in_box(ctx, row, flt.bbox):
                yield row
        if len(page) < PAGE:
            return
        after = page[-1].record_id


def _rendered(ctx: ServerContext, flt: queries.RecordFilter, column: str) -> Iterator[Any]:
    """`_rows` as SQLite gives them, each with its render made ahead, if any
    (`queries.records_by_id_rendered`)."""
    after: str | None = None
    at = queries.RENDERED_AT
    while True:
        page = queries.records_by_id_rendered(ctx.store.reader(), flt, after, PAGE, column)
        for item in page:
            if flt.bbox is None or in_box(ctx, st.record_row(item[:at]), flt.bbox):
                yield item
        if len(page) < PAGE:
            return
        after = page[-1][0]


def _row(item: Any) -> st.RecordRow:
    return st.record_row(item[: queries.RENDERED_AT])


# What a download sends at a time. Each piece is made in a worker thread, one thread hop
# per piece, and every hop costs a wait for the interpreter lock on both sides: 64 KiB
# pieces (about 320 hops for 20 MB) left a tenth of a 100,000-record download waiting.
CHUNK = 1024 * 1024


def buffered(chunks: Iterator[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Join small chunks into pieces of about `size` bytes (fewer thread hops, sends)."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) >= size:
            yield bytes(buf)
            buf.clear()
    if buf:
        yield bytes(buf)


def geojson(ctx: ServerContext, flt: queries.RecordFilter) -> Iterator[bytes]:
    """records.geojson: one RFC 7946 FeatureCollection, a feature per located field."""
    out = bytearray(formats.GEOJSON_HEAD)
    first = True
    keys = renders.keys_for(ctx.forms)
    entries = renders.Entries(ctx.forms)
    state_at = queries.STATE_AT
    for item in _rendered(ctx, flt, "geojson"):
        part = item[-1]
        if isinstance(part, bytes) and item[-3] == keys.of_columns(item[:7], item[state_at]):
            if part:
                if not first:
                    out += b",\n"
                out += part
                first = False
        else:
            for feature in formats.geojson_features(entries.of(_row(item))):
                formats.geojson_feature_into(feature, first, out)
                first = False
        if len(out) >= CHUNK:
            yield bytes(out)
            out.clear()
    out += formats.GEOJSON_TAIL
    yield bytes(out)


def csv_table(ctx: ServerContext, form_id: str, group: str | None) -> formats.TableSpec:
    """The CSV table of a form (or of one of its repeat groups); 400 if there is none."""
    try:
        tables = formats.form_tables(ctx.forms, form_id)
    except FormError as exc:
        raise BadRequest(f"form={form_id!r}: {exc}", code="bad_filter") from exc
    for spec in tables:
        if spec.group == group:
            return spec
    groups = ", ".join(s.group for s in tables if s.group) or "none"
    raise BadRequest(
        f"group={group!r} is not a repeat group of {form_id}; its groups: {groups}",
        code="bad_filter",
    )


def csv_rows(
    ctx: ServerContext, flt: queries.RecordFilter, spec: formats.TableSpec
) -> Iterator[bytes]:
    """records.csv: the header, then one line per record (or per item of the group)."""
    lines = formats.CsvLines()
    lines.write(spec.header)
    if spec.group is not None:
        for n, entry in enumerate(formats.entries(_rows(ctx, flt), ctx.forms), 1):
            for cells in formats.table_row(spec, entry):
                lines.write(cells)
            if n % PAGE == 0:
                yield lines.take()
        yield lines.take()
        return
    keys = renders.keys_for(ctx.forms)
    entries = renders.Entries(ctx.forms)
    want = renders.spec_key(spec)
    state_at = queries.STATE_AT
    for n, item in enumerate(_rendered(ctx, flt, "csv"), 1):
        line = item[-1]
        if (
            isinstance(line, str)
            and item[-2] == want
            and item[-3] == keys.of_columns(item[:7], item[state_at])
        ):
            lines.write_line(line)
        else:
            cells = formats.record_cells(spec, entries.of(_row(item)), csv_ready=True)
            lines.write_fields(cells)
        if n % PAGE == 0:
            yield lines.take()
    yield lines.take()
