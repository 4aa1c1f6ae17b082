"""Export formats as streaming generators over store rows: JSON lines, CSV and GeoJSON.

Every function here takes iterators and yields one line (or one feature) at a time, so
an export of any size holds one record in memory. The supervisors' review API reuses
them for its HTTP downloads; the archive writer spools their output into tar members.

- JSON lines: one `sync.view.RecordView` per line, the consolidated record with every
  live value and its provenance; nothing is flattened away.
- CSV (RFC 4180): one table per form with a column per field (the union of every
  version's fields), and one per repeat group keyed to its parent record id. A CSV shows
  the displayed value only, so a `conflicts` column names every field still in conflict
  (an attachment field adds FIELD.filename and FIELD.sha256 columns: the archive holds
  the file as attachments/SHA256) and `other_fields` keeps, as JSON, any value the form
  definition has no column for.
- GeoJSON (RFC 7946): a FeatureCollection, positions longitude first. A geopoint is a
  Point (accuracy in `properties.accuracy_m`), a geoshape a Polygon, a geotrace a
  LineString; fields of repeat-group items are included with their item id. Every
  feature carries the record's displayed scalar values as properties; a record with no
  place of its own is one feature with a null geometry.
"""

from __future__ import annotations

import csv
import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from forms.completeness import missing_required, required_fields
from forms.laws import rules_of
from forms.library import FormLibrary
from forms.schema import (
    AttachmentField,
    FormDef,
    GeopointField,
    GeoshapeField,
    GeotraceField,
    RepeatGroup,
)
from forms.views import view_under
from server.materialize import decode_record
from server.store.sync_tables import RecordRow
from sync.conflicts import conflict_paths, ordered_items
from sync.record import FieldState, ItemState, Record
from sync.shown import ShownField, ShownItem, ShownRecord, decode_shown
from sync.view import RecordView

__all__ = [
    "CsvLines",
    "RecordEntry",
    "Shown",
    "TableSpec",
    "conflict_lines",
    "duplicate_lines",
    "entries",
    "form_tables",
    "geojson_collection",
    "geojson_feature_bytes",
    "geojson_feature_into",
    "geojson_features",
    "jsonl_records",
    "op_line",
    "op_lines",
    "record_cells",
    "record_conflict_lines",
    "table_row",
]

_JSON = msgspec.json.Encoder(order="sorted")
_OP_DECODER = msgspec.msgpack.Decoder()
RECORD_COLUMNS = ("record_id", "form_version", "identifier", "review_state", "retracted")
ITEM_COLUMNS = ("record_id", "item_id", "flagged")


# What the renderers read of a record: its shown part (`sync.shown`), or the whole
# record, which has every attribute the shown part has (same names and meanings).
Shown = ShownRecord | Record


class RecordEntry:
    """One stored record: its row, the shown part of its state (`sync.shown`) and its form.

    The CSV and GeoJSON renderers read only the shown part (displayed values, conflict
    flags, items), decoded eagerly; the full record and its review view (every value's
    provenance, for records.jsonl and conflicts.jsonl) are decoded when first asked for.
    An entry made with its full record (`record=`, a pass that needs it anyway) shows
    that record itself: its state is decoded once.
    """

    __slots__ = ("_record", "_view", "form", "row", "shown")

    def __init__(
        self, row: RecordRow, shown: Shown, form: FormDef | None, record: Record | None = None
    ) -> None:
        """An entry for `row`, whose state decodes to `shown` (and to `record`, when given),
        under `form` (None: unknown)."""
        self.row = row
        self.shown = shown
        self.form = form
        self._record: Record | None = record
        self._view: RecordView | None = None

    @property
    def record(self) -> Record:
        """The full consolidated record (decoded on first use)."""
        if self._record is None:
            self._record = decode_record(self.row.state)
        return self._record

    @property
    def view(self) -> RecordView:
        """The record's review view under its form (`forms.views.view_under`)."""
        if self._view is None:
            self._view = view_under(self.form, self.record)
        return self._view

    def items(
        self, group: str
    ) -> tuple[tuple[str, ShownItem], ...] | tuple[tuple[str, ItemState], ...]:
        """The present items of a group in the form's order, as the view lists them."""
        order = rules_of(self.form).order_by.get(group) if self.form is not None else None
        return ordered_items(self.shown, group, order)


def _form_or_none(forms: FormLibrary, form_id: str, version: int | None = None) -> FormDef | None:
    try:
        return forms.get(form_id, version)
    except (LookupError, ValueError):
        return None


_GEO = (GeopointField, GeoshapeField, GeotraceField)


# Per form (by identity; definitions are immutable, and hashing one costs more than a
# download's row): (group or None, field, field name) for every located field.
_GEO_FIELDS: dict[int, tuple[FormDef, tuple[tuple[str | None, object, str], ...]]] = {}


def _geo_fields(form: FormDef) -> tuple[tuple[str | None, object, str], ...]:
    """(group or None, field, name) for every located field of a form, in form order."""
    found = _GEO_FIELDS.get(id(form))
    if found is not None and found[0] is form:
        return found[1]
    out: list[tuple[str | None, object, str]] = []
    for field in form.fields:
        if isinstance(field, RepeatGroup):
            out += [(field.name, sub, sub.name) for sub in field.fields if isinstance(sub, _GEO)]
        elif isinstance(field, _GEO):
            out.append((None, field, field.name))
    if len(_GEO_FIELDS) > 256:
        _GEO_FIELDS.clear()
    _GEO_FIELDS[id(form)] = (form, tuple(out))
    return tuple(out)


def entries(
    rows: Iterable[RecordRow], forms: FormLibrary, *, whole: bool = False
) -> Iterator[RecordEntry]:
    """Decode stored records one at a time: the shown part, the rest when asked for; or,
    `whole`, each full record once (for a pass that reads every record's view)."""
    found: dict[tuple[str, int], FormDef] = {}
    for row in rows:
        key = (row.form_id, row.form_version)
        form = found.get(key)
        if form is None:
            form = _form_or_none(forms, row.form_id, row.form_version)
            if form is not None:
                found[key] = form
        if whole:
            record = decode_record(row.state)
            yield RecordEntry(row, record, form, record)
        else:
            yield RecordEntry(row, decode_shown(row.state), form)


def jsonl_records(items: Iterable[RecordEntry]) -> Iterator[bytes]:
    """records.jsonl: one RecordView per line."""
    for entry in items:
        yield _JSON.encode(entry.view) + b"\n"


def op_line(cursor: int, record_id: str, op: Any, suspect: bool) -> bytes:
    """One ops.jsonl line for an op already decoded from its msgpack."""
    line = {"cursor": cursor, "record_id": record_id, "clock_suspect": suspect, "op": op}
    return _JSON.encode(line) + b"\n"


def op_lines(rows: Iterable[tuple[int, str, bytes, bool]]) -> Iterator[bytes]:
    """ops.jsonl: every op with its cursor, decoded from its stored msgpack as it is."""
    for cursor, record_id, blob, suspect in rows:
        yield op_line(cursor, record_id, _OP_DECODER.decode(blob), suspect)


def record_conflict_lines(entry: RecordEntry) -> Iterator[bytes]:
    """conflicts.jsonl lines for one record's open field, item and retraction conflicts."""
    for conflict in entry.view.conflicts:
        line = {
            "type": "conflict",
            "record_id": entry.row.record_id,
            "form": entry.view.form,
            "identifier": entry.row.identifier,
            "conflict": conflict,
        }
        yield _JSON.encode(line) + b"\n"


def duplicate_lines(
    duplicates: Iterable[tuple[str, str, str, str, list[str]]],
) -> Iterator[bytes]:
    """conflicts.jsonl lines for identifier values held by two or more records."""
    for form_id, name, scope, value, record_ids in duplicates:
        line = {
            "type": "duplicate_identifier",
            "form_id": form_id,
            "name": name,
            "scope": scope,
            "value": value,
            "record_ids": record_ids,
        }
        yield _JSON.encode(line) + b"\n"


def conflict_lines(
    items: Iterable[RecordEntry], duplicates: Iterable[tuple[str, str, str, str, list[str]]]
) -> Iterator[bytes]:
    """conflicts.jsonl: open field/item/retraction conflicts, then duplicate identifiers."""
    for entry in items:
        yield from record_conflict_lines(entry)
    yield from duplicate_lines(duplicates)


# -- CSV -------------------------------------------------------------------------------


# What a field column's value adds after it: nothing, a point's lat/lon/accuracy, a file's
# name and hash.
_PLAIN, _POINT, _FILE = 0, 1, 2
_POINT_KEYS = ("lat", "lon", "h_acc_m")
_FILE_KEYS = ("filename", "sha256")


# A table's plan under one form: field name → (position in the whole record row, what
# follows its cell, whether the form requires it); how many fields the form requires;
# whether a repeat group of it needs items.
_RowPlan = tuple[dict[str, tuple[int, int, bool]], int, bool]


@dataclass(frozen=True)
class TableSpec:
    """One CSV table: a form's records (`group` None) or one repeat group's items."""

    form_id: str
    group: str | None
    fields: tuple[str, ...]
    geopoints: frozenset[str]
    attachments: frozenset[str] = frozenset()

    @functools.cached_property
    def known(self) -> frozenset[str]:
        """The fields with a column of their own."""
        return frozenset(self.fields)

    @functools.cached_property
    def slots(self) -> dict[str, tuple[int, int]]:
        """Field name → (position among the field cells, _PLAIN, _POINT or _FILE)."""
        out: dict[str, tuple[int, int]] = {}
        at = 0
        for name in self.fields:
            adds = (
                _POINT if name in self.geopoints else _FILE if name in self.attachments else _PLAIN
            )
            out[name] = (at, adds)
            at += 1 + (len(_POINT_KEYS) if adds == _POINT else len(_FILE_KEYS) if adds else 0)
        return out

    @functools.cached_property
    def blank(self) -> list[str]:
        """The field cells of a row with no values: every field column, then other_fields."""
        return [""] * (len(self.header) - len(self.header_start))

    @functools.cached_property
    def record_blank(self) -> list[str]:
        """A whole record row with no values (`retracted` "false", as a row starts)."""
        out = [""] * len(self.header)
        out[4] = "false"
        return out

    @functools.cached_property
    def record_plans(self) -> dict[int, tuple[FormDef | None, _RowPlan]]:
        """`_row_plan`'s cache: the plan of this table under each form seen (by identity)."""
        return {}

    @functools.cached_property
    def record_slots(self) -> dict[str, tuple[int, int]]:
        """`slots`, as positions in the whole record row."""
        start = len(self.header_start)
        return {name: (at + start, adds) for name, (at, adds) in self.slots.items()}

    @property
    def header_start(self) -> list[str]:
        """The columns before the field columns."""
        if self.group is None:
            return [*RECORD_COLUMNS, "conflicts", "missing_required"]
        return [*ITEM_COLUMNS, "conflicts"]

    @property
    def path(self) -> str:
        """The table's file name inside csv/."""
        return f"{self.form_id}.csv" if self.group is None else f"{self.form_id}.{self.group}.csv"

    @property
    def header(self) -> list[str]:
        """The column names."""
        cols = self.header_start
        for name in self.fields:
            cols.append(name)
            if name in self.geopoints:
                cols += [f"{name}.lat", f"{name}.lon", f"{name}.h_acc_m"]
            elif name in self.attachments:
                cols += [f"{name}.filename", f"{name}.sha256"]
        return [*cols, "other_fields"]


def _union(versions: Iterable[FormDef], group: str | None) -> tuple[list[str], set[str], set[str]]:
    names: list[str] = []
    points: set[str] = set()
    files: set[str] = set()
    # Newest version first fixes the column order; older fields follow.
    for form in versions:
        spec = form.group(group) if group else None
        fields = spec.fields if spec is not None else form.fields if group is None else ()
        for field in fields:
            if isinstance(field, RepeatGroup) or field.name in names:
                continue
            names.append(field.name)
            if isinstance(field, GeopointField):
                points.add(field.name)
            elif isinstance(field, AttachmentField):
                files.add(field.name)
    return names, points, files


def form_tables(forms: FormLibrary, form_id: str) -> list[TableSpec]:
    """The tables of a form: its records, then each repeat group (union of all versions)."""
    versions = [forms.get(form_id, v) for v in reversed(forms.versions(form_id))]
    groups: list[str] = []
    for form in versions:
        groups += [
            f.name for f in form.fields if isinstance(f, RepeatGroup) and f.name not in groups
        ]
    out = []
    for group in [None, *groups]:
        names, points, files = _union(versions, group)
        out.append(TableSpec(form_id, group, tuple(names), frozenset(points), frozenset(files)))
    return out


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Text as a CSV cell: a leading ' keeps a spreadsheet from running it as a formula.

    The exact value is in the JSON beside the CSV (and in the API); numbers are written
    by `_cell` and never prefixed.
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


def _json_cell(value: Any) -> str:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return _text(" ".join(value))  # select_multiple, as ODK writes it
    return _JSON.encode(value).decode()


# A cell by the value's exact type (a dict lookup: this runs for every cell of a download).
_CELL_OF_TYPE: dict[type, Any] = {
    str: _text,
    bool: lambda v: "true" if v else "false",
    int: repr,
    float: repr,
    type(None): lambda v: "",
}


def _cell(value: Any) -> str:
    text: str = _CELL_OF_TYPE.get(type(value), _json_cell)(value)
    return text


def _cells(
    spec: TableSpec, fields: Mapping[str, ShownField | FieldState], *, all_fields: bool
) -> list[str]:
    """The field cells of one row: each column's displayed value, then other_fields.

    A field never written shows as empty, like one the record does not have, and only
    item rows (`all_fields`) list such a field in other_fields, as they always have. This
    runs for every row of a download: the row starts blank and only the record's own
    fields are visited, each value read from its register and its cell made by the
    value's exact type.
    """
    out = spec.blank.copy()
    slots = spec.slots
    cell_of = _CELL_OF_TYPE.get
    extra: dict[str, Any] | None = None
    for name, state in fields.items():
        writes = state.live or state.superseded
        value = writes[state.shown].value if writes else None
        slot = slots.get(name)
        if slot is None:
            if all_fields or writes:
                if extra is None:
                    extra = {}
                extra[name] = value
            continue
        if value is None:
            continue
        at, adds = slot
        if type(value) is str:
            out[at] = "'" + value if value.startswith(_FORMULA_START) else value
        else:
            out[at] = cell_of(type(value), _json_cell)(value)
        if adds and isinstance(value, dict):
            # A point's lat, lon and accuracy; a file's name and hash (the archive holds
            # the file as attachments/SHA256).
            for pos, key in enumerate(_POINT_KEYS if adds == _POINT else _FILE_KEYS, at + 1):
                got = value.get(key)
                out[pos] = cell_of(type(got), _json_cell)(got)
    if extra:
        out[-1] = _JSON.encode(extra).decode()
    return out


def table_row(spec: TableSpec, entry: RecordEntry) -> Iterator[list[str]]:
    """The CSV rows one record contributes to `spec` (one row, or one per group item)."""
    if spec.group is None:
        yield record_cells(spec, entry)
        return
    shown = entry.shown
    for item_id, item in entry.items(spec.group):
        fields: Mapping[str, ShownField | FieldState] = item.fields
        yield [
            _text(shown.id),
            _text(item_id),
            _cell(item.flagged),
            _text(" ".join(n for n, s in sorted(fields.items()) if s.conflict)),
            *_cells(spec, fields, all_fields=True),
        ]


def _csv_field(cell: str) -> str:
    """A cell as `csv.writer` (QUOTE_MINIMAL, CRLF lines) writes it between commas: quoted
    when it holds the delimiter, the quote character, CR or LF."""
    if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _row_plan(spec: TableSpec, form: FormDef | None) -> _RowPlan:
    plans = spec.record_plans
    found = plans.get(id(form))
    if found is not None and found[0] is form:
        return found[1]
    required, groups_needed = required_fields(form) if form is not None else (frozenset(), False)
    slots = {name: (at, adds, name in required) for name, (at, adds) in spec.record_slots.items()}
    plan = (slots, len(required), groups_needed)
    if len(plans) > 64:
        plans.clear()
    plans[id(form)] = (form, plan)
    return plan


def record_cells(spec: TableSpec, entry: RecordEntry, *, csv_ready: bool = False) -> list[str]:
    """The one row a record has in its form's table (`spec.group` None).

    With `csv_ready`, each cell is given as `csv.writer` writes it (`_csv_field`: quoted
    where it has to be), so the cells joined by commas are the CSV line.

    Every text cell is escaped, ids too: a record id is chosen by a device, and anything a
    device chose may be shaped as a formula (ingest checks ids, but rows stored before it
    did are exported as they are). This runs for every row of a download, so it is one
    pass over the record's fields that fills the field cells and notes, on the way, the
    fields in conflict and the required fields that have a value; `conflict_paths` and
    `missing_required` themselves run only for a record that has items, a retraction
    conflict or a key clash, or lacks a required field (their answer is needed then).
    """
    row = entry.row
    shown = entry.shown
    form = entry.form
    out = spec.record_blank.copy()
    slots, required, groups_needed = _row_plan(spec, form)
    cell_of = _CELL_OF_TYPE.get
    have = 0
    conflicted: list[str] | None = None
    extra: dict[str, Any] | None = None
    # Cells made from a structured value (JSON text, nearly always quoted in a CSV line):
    # with `csv_ready`, only they are quoted one by one when no other cell needs it.
    structured: list[int] = []
    for name, state in shown.fields.items():
        if state.conflict:
            if conflicted is None:
                conflicted = []
            conflicted.append(name)
        writes = state.live
        if writes:
            value = writes[state.shown].value
            live = True
        else:
            writes = state.superseded
            if not writes:
                continue  # never written: an empty cell, and not in other_fields
            value = writes[state.shown].value
            live = False
        slot = slots.get(name)
        if slot is None:
            if extra is None:
                extra = {}
            extra[name] = value
            continue
        if value is None:
            continue
        at, adds, counted = slot
        kind = type(value)
        if kind is str:
            out[at] = "'" + value if value.startswith(_FORMULA_START) else value
            if counted and live and value:
                have += 1
            continue
        # A required field has a value unless it is None, "" or [] (`missing_required`).
        if counted and live and (kind is not list or value):
            have += 1
        if kind not in _NUMBERS:
            structured.append(at)
        out[at] = cell_of(kind, _json_cell)(value)
        if adds and kind is dict:
            # A point's lat, lon and accuracy; a file's name and hash (the archive holds
            # the file as attachments/SHA256).
            for pos, key in enumerate(_POINT_KEYS if adds == _POINT else _FILE_KEYS, at + 1):
                got = value.get(key)
                kind = type(got)
                if kind is float:
                    out[pos] = repr(got)
                    continue
                if kind not in _PLAIN_CELLS:
                    structured.append(pos)
                out[pos] = cell_of(kind, _json_cell)(got)
    if extra:
        out[-1] = _JSON.encode(extra).decode()
        structured.append(len(out) - 1)
    text = row.record_id
    out[0] = "'" + text if text.startswith(_FORMULA_START) else text
    out[1] = str(row.form_version)
    ident = row.identifier
    if ident:
        out[2] = "'" + ident if ident.startswith(_FORMULA_START) else ident
    text = row.review_state
    out[3] = "'" + text if text.startswith(_FORMULA_START) else text
    if row.retracted:
        out[4] = "true"
    if shown.items or shown.retraction_conflict or shown.key_conflicts:
        out[5] = _text(" ".join(conflict_paths(shown)))
    elif conflicted is not None:
        out[5] = _text(" ".join(sorted(conflicted)))
    if form is not None and (groups_needed or have < required):
        missing = missing_required(form, shown)
        if missing:
            out[6] = _text(" ".join(missing))
    if csv_ready:
        return _csv_ready(out, structured)
    return out


def _csv_ready(cells: list[str], structured: list[int]) -> list[str]:
    """`[_csv_field(c) for c in cells]`, the cells not in `structured` tested at once."""
    held = cells.copy()
    for at in structured:
        cells[at] = ""
    probe = ",".join(cells)
    if probe.count(",") != len(cells) - 1 or '"' in probe or "\r" in probe or "\n" in probe:
        return [_csv_field(cell) for cell in held]
    for at in structured:
        cells[at] = _csv_field(held[at])
    return cells


# Values whose cell (`repr`, "true"/"false") never needs quoting; and those whose cell is
# text the probe of `_csv_ready` can test (numbers, text, nothing).
_NUMBERS = frozenset({int, float, bool})
_PLAIN_CELLS = _NUMBERS | {str, type(None)}


class CsvLines:
    """RFC 4180 lines (CRLF, UTF-8) as one `csv.writer` writes them (QUOTE_MINIMAL): `take`
    returns what was written since the last call, encoded.

    A line none of whose cells holds a comma, a double quote, CR or LF is written by the
    writer as the cells joined by commas, so such a line is joined here (a C join and a
    few scans, against the writer's cell-by-cell loop); any other line, and a line of one
    empty cell (which the writer quotes), goes through the writer itself. Tested against
    `csv.writer` on any cells.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._writer = csv.writer(_Appender(self._parts), lineterminator="\r\n")

    def write(self, cells: list[str]) -> None:
        """Add one line."""
        line = ",".join(cells)
        if (
            line.count(",") == len(cells) - 1
            and '"' not in line
            and "\n" not in line
            and "\r" not in line
            and (line or len(cells) != 1)
        ):
            self._parts.append(line + "\r\n")
        else:
            self._writer.writerow(cells)

    def write_fields(self, fields: list[str]) -> None:
        """Add one line of cells already given as the writer writes them (`csv_ready`)."""
        if len(fields) == 1 and not fields[0]:
            self._parts.append('""\r\n')  # the writer quotes a line's only, empty cell
        else:
            self._parts.append(",".join(fields) + "\r\n")

    def write_line(self, line: str) -> None:
        """Add one line already made (its cells as the writer writes them, CRLF ended)."""
        self._parts.append(line)

    def take(self) -> bytes:
        """The lines added since the last `take`, encoded."""
        text = "".join(self._parts)
        self._parts.clear()
        return text.encode()


class _Appender:
    """A file for `csv.writer` that appends each line it writes to a list."""

    __slots__ = ("write",)

    def __init__(self, parts: list[str]) -> None:
        self.write = parts.append


# -- GeoJSON ---------------------------------------------------------------------------


def _position(point: Any) -> list[float] | None:
    if not isinstance(point, dict):
        return None
    lat, lon = point.get("lat"), point.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    alt = point.get("alt_m")
    return [float(lon), float(lat)] + ([float(alt)] if isinstance(alt, int | float) else [])


def _geometry(field: object, value: Any) -> tuple[dict[str, Any], float | None] | None:
    if type(value) is dict and type(field) is GeopointField:
        # The common point (float lat and lon, no altitude): what `_position` gives it.
        lat, lon = value.get("lat"), value.get("lon")
        if type(lat) is float and type(lon) is float and value.get("alt_m") is None:
            return {"type": "Point", "coordinates": [lon, lat]}, value.get("h_acc_m")
    if isinstance(field, GeopointField):
        pos = _position(value)
        acc = value.get("h_acc_m") if isinstance(value, dict) else None
        return ({"type": "Point", "coordinates": pos}, acc) if pos else None
    if not isinstance(field, GeoshapeField | GeotraceField) or not isinstance(value, list):
        return None
    line = [p for p in (_position(v) for v in value) if p is not None]
    accs = [v["h_acc_m"] for v in value if isinstance(v, dict) and "h_acc_m" in v]
    worst = max(accs) if accs else None
    if isinstance(field, GeotraceField):
        return ({"type": "LineString", "coordinates": line}, worst) if len(line) >= 2 else None
    if len(line) < 3:
        return None
    if line[0] != line[-1]:
        line.append(line[0])  # RFC 7946 §3.1.6: a linear ring is closed
    if _signed_area(line) < 0:
        line.reverse()  # RFC 7946 §3.1.6: an exterior ring is counterclockwise
    return {"type": "Polygon", "coordinates": [line]}, worst


def _signed_area(ring: list[list[float]]) -> float:
    """The shoelace area of a closed ring: negative when the ring runs clockwise."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2.0


def geojson_features(entry: RecordEntry) -> Iterator[dict[str, Any]]:
    """Features for every located field of a record and of its items."""
    form = entry.form
    if form is None:
        return
    row = entry.row
    shown = entry.shown
    fields = shown.fields
    base = {
        "record_id": row.record_id,
        "form": shown.form,
        "identifier": row.identifier,
        "review_state": row.review_state,
        "retracted": bool(row.retracted),
    }
    _filter_values(fields, base)
    located = False
    # A field never written has no value, hence no geometry: every located field is tried.
    for group, field, name in _geo_fields(form):
        if group is None:
            state = fields.get(name)
            if state is None:
                continue
            places: Iterable[tuple[str, str | None, Any]] = ((name, None, state),)
        else:
            places = [
                (f"{group}.{name}", iid, item.fields[name])
                for iid, item in entry.items(group)
                if name in item.fields
            ]
        for path, item_id, state in places:
            geometry = _geometry(field, state.value)
            if geometry is None:
                continue
            shape, accuracy = geometry
            props = {**base, "field": path, "item_id": item_id, "accuracy_m": accuracy}
            props["conflict"] = state.conflict
            located = True
            yield {"type": "Feature", "geometry": shape, "properties": props}
    if not located:
        # RFC 7946 §3.2: an unlocated feature has a null geometry. A record whose form has
        # no place of its own (an excavation context) is still there to filter and join.
        props = {**base, "field": None, "item_id": None, "accuracy_m": None, "conflict": False}
        yield {"type": "Feature", "geometry": None, "properties": props}


def _filter_values(fields: Mapping[str, ShownField | FieldState], out: dict[str, Any]) -> None:
    """Add to `out` the record's displayed scalar values, as flat properties a GIS user
    filters on, for the fields ever written (those the review view shows).

    Lists of choices become one comma-separated text; located and structured values
    (points, shapes, files) and repeat groups are left out (they have their own
    features or the JSON export). A name that clashes with a fixed property (those of
    `out` when called, or a feature's own) gets `value_`.
    Values are tested by exact type: a decoded value is always of a builtin type itself.
    """
    taken = _FEATURE_KEYS.union(out)
    for name, field in sorted(fields.items()):
        writes = field.live or field.superseded
        if not writes:
            continue
        value: Any = writes[field.shown].value
        kind = type(value)
        if kind is list:
            if not all(type(v) in _LISTED for v in value):
                continue
            value = ", ".join(str(v) for v in value)
        elif kind not in _SCALARS:
            continue
        out[f"value_{name}" if name in taken else name] = value


# What a property may hold (bool is an int: a list of booleans is listed too).
_SCALARS = frozenset({str, int, float, bool, type(None)})
_LISTED = frozenset({str, int, float, bool})
_FEATURE_KEYS = frozenset({"field", "item_id", "accuracy_m", "conflict"})


GEOJSON_HEAD = b'{"type":"FeatureCollection","features":[\n'
GEOJSON_TAIL = b"\n]}\n"


def geojson_feature_bytes(feature: dict[str, Any], first: bool) -> bytes:
    """One feature as it appears inside the streamed FeatureCollection."""
    return (b"" if first else b",\n") + _JSON.encode(feature)


def geojson_feature_into(feature: dict[str, Any], first: bool, out: bytearray) -> None:
    """Append one feature to `out` as `geojson_feature_bytes` gives it (no copy made)."""
    if not first:
        out += b",\n"
    _JSON.encode_into(feature, out, -1)


def geojson_collection(items: Iterable[RecordEntry]) -> Iterator[bytes]:
    """records.geojson: a FeatureCollection streamed one feature per line."""
    yield GEOJSON_HEAD
    first = True
    for entry in items:
        for feature in geojson_features(entry):
            yield geojson_feature_bytes(feature, first)
            first = False
    yield GEOJSON_TAIL
