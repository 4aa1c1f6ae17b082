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
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from forms.completeness import missing_required
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
from server.materialize import decode_displayed, decode_record
from server.store.sync_tables import RecordRow
from sync.conflicts import conflict_paths, ordered_items
from sync.record import FieldState, ItemState, Record
from sync.view import RecordView

__all__ = [
    "CsvLines",
    "RecordEntry",
    "TableSpec",
    "conflict_lines",
    "csv_line",
    "duplicate_lines",
    "entries",
    "form_tables",
    "geojson_collection",
    "geojson_feature_bytes",
    "geojson_features",
    "jsonl_records",
    "op_line",
    "op_lines",
    "record_conflict_lines",
    "table_row",
]

_JSON = msgspec.json.Encoder(order="sorted")
_OP_DECODER = msgspec.msgpack.Decoder()
RECORD_COLUMNS = ("record_id", "form_version", "identifier", "review_state", "retracted")
ITEM_COLUMNS = ("record_id", "item_id", "flagged")


@dataclass(frozen=True)
class RecordEntry:
    """One stored record with its decoded state, its form and (made when first asked for)
    its review view. The CSV and GeoJSON renderers read the record itself: they need only
    displayed values and conflict paths, not the view's provenance of every value."""

    row: RecordRow
    record: Record
    form: FormDef | None
    # False when `record` holds only what is displayed (`entries(..., displayed=True)`).
    full: bool = True

    @functools.cached_property
    def view(self) -> RecordView:
        """The record's review view under its form (`forms.views.view_under`)."""
        if not self.full:
            raise ValueError("a displayed-only record has no log to view")
        return view_under(self.form, self.record)

    @functools.cached_property
    def fields(self) -> dict[str, FieldState]:
        """The fields the view shows (those ever written), by name."""
        # `live or superseded` is `history` without merging the two (a register is
        # ever written iff either holds a write).
        return {n: s for n, s in sorted(self.record.fields.items()) if s.live or s.superseded}

    def items(self, group: str) -> tuple[tuple[str, ItemState], ...]:
        """The present items of a group in the form's order, as the view lists them."""
        order = rules_of(self.form).order_by.get(group) if self.form is not None else None
        return ordered_items(self.record, group, order)


def _form_or_none(forms: FormLibrary, form_id: str, version: int | None = None) -> FormDef | None:
    try:
        return forms.get(form_id, version)
    except (LookupError, ValueError):
        return None


_GEO = (GeopointField, GeoshapeField, GeotraceField)


@functools.lru_cache(maxsize=256)
def _geo_fields(form: FormDef) -> tuple[tuple[str | None, object], ...]:
    """(group or None, field) for every located field of a form, computed once per form."""
    out: list[tuple[str | None, object]] = []
    for field in form.fields:
        if isinstance(field, RepeatGroup):
            out += [(field.name, sub) for sub in field.fields if isinstance(sub, _GEO)]
        elif isinstance(field, _GEO):
            out.append((None, field))
    return tuple(out)


def entries(
    rows: Iterable[RecordRow], forms: FormLibrary, *, displayed: bool = False
) -> Iterator[RecordEntry]:
    """Decode stored records one at a time into (row, record, view).

    `displayed`: decode only what the CSV and GeoJSON renderers read
    (`server.materialize.decode_displayed`, about half the time of a full decode); such
    an entry has no `view`.
    """
    decode = decode_displayed if displayed else decode_record
    # A stored form version never changes: look each up once per pass, not once per row.
    known: dict[tuple[str, int | None], FormDef | None] = {}
    for row in rows:
        key = (row.form_id, row.form_version)
        if key in known:
            form = known[key]
        else:
            form = known[key] = _form_or_none(forms, row.form_id, row.form_version)
        yield RecordEntry(row=row, record=decode(row.state), form=form, full=not displayed)


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


@dataclass(frozen=True)
class TableSpec:
    """One CSV table: a form's records (`group` None) or one repeat group's items."""

    form_id: str
    group: str | None
    fields: tuple[str, ...]
    geopoints: frozenset[str]
    attachments: frozenset[str] = frozenset()

    @functools.cached_property
    def columns(self) -> tuple[tuple[str, int], ...]:
        """(field, kind) per field column: 0 a plain cell, 1 a geopoint (then lat, lon,
        h_acc_m), 2 an attachment (then filename, sha256); worked out once per table."""
        return tuple(
            (n, 1 if n in self.geopoints else 2 if n in self.attachments else 0)
            for n in self.fields
        )

    @functools.cached_property
    def known(self) -> frozenset[str]:
        """The fields with a column of their own."""
        return frozenset(self.fields)

    @property
    def path(self) -> str:
        """The table's file name inside csv/."""
        return f"{self.form_id}.csv" if self.group is None else f"{self.form_id}.{self.group}.csv"

    @property
    def header(self) -> list[str]:
        """The column names."""
        if self.group is None:
            cols = [*RECORD_COLUMNS, "conflicts", "missing_required"]
        else:
            cols = [*ITEM_COLUMNS, "conflicts"]
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


# The empty extra cells of a geopoint (lat, lon, h_acc_m) and an attachment (filename, sha256).
_NO_PARTS = {1: ["", "", ""], 2: ["", ""]}


def _cells(spec: TableSpec, values: dict[str, Any]) -> list[str]:
    out: list[str] = []
    of_type, other = _CELL_OF_TYPE, _json_cell  # `_cell`, inlined: this runs per cell
    for name, kind in spec.columns:
        value = values.get(name)
        if value is None:  # a field this record has no value for: empty cells
            out.append("")
            if kind:
                out += _NO_PARTS[kind]
            continue
        out.append(of_type.get(type(value), other)(value))
        if kind == 0:
            continue
        if kind == 1:
            point = value if isinstance(value, dict) else {}
            out += [_cell(point.get("lat")), _cell(point.get("lon")), _cell(point.get("h_acc_m"))]
        else:
            # The file's name and hash (the archive holds it as attachments/SHA256).
            ref = value if isinstance(value, dict) else {}
            out += [_cell(ref.get("filename")), _cell(ref.get("sha256"))]
    extra = values.keys() - spec.known
    out.append(_JSON.encode({k: values[k] for k in extra}).decode() if extra else "")
    return out


def table_row(spec: TableSpec, entry: RecordEntry) -> Iterator[list[str]]:
    """The CSV rows one record contributes to `spec` (one row, or one per group item)."""
    record = entry.record
    if spec.group is None:
        row = entry.row
        missing = missing_required(entry.form, record) if entry.form is not None else []
        # Every text cell is escaped, ids too: a record id is chosen by a device, and
        # anything a device chose may be shaped as a formula (ingest checks ids, but rows
        # stored before it did are exported as they are).
        yield [
            _text(row.record_id),
            str(row.form_version),
            _text(row.identifier or ""),
            _text(row.review_state),
            _cell(bool(row.retracted)),
            _text(" ".join(conflict_paths(record))),
            _text(" ".join(missing)),
            # `FieldState.value` inlined: every field in `entry.fields` holds a write.
            *_cells(
                spec, {n: (s.live or s.superseded)[s.shown].value for n, s in entry.fields.items()}
            ),
        ]
        return
    for item_id, item in entry.items(spec.group):
        fields = sorted(item.fields.items())
        yield [
            _text(record.id),
            _text(item_id),
            _cell(item.flagged),
            _text(" ".join(n for n, s in fields if s.conflict)),
            *_cells(spec, {n: s.value for n, s in fields}),
        ]


class CsvLines:
    """RFC 4180 lines (CRLF, UTF-8) written by one `csv.writer` into one buffer: `take`
    returns what was written since the last call (a line per call costs a writer each)."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n")

    def write(self, cells: list[str]) -> None:
        """Add one line."""
        self._writer.writerow(cells)

    def take(self) -> bytes:
        """The lines added since the last `take`, encoded."""
        text = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        return text.encode()


def csv_line(cells: list[str]) -> bytes:
    """One RFC 4180 CSV line (CRLF), UTF-8."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue().encode()


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
    base = {
        "record_id": entry.row.record_id,
        "form": entry.record.form,
        "identifier": entry.row.identifier,
        "review_state": entry.row.review_state,
        "retracted": bool(entry.row.retracted),
    }
    places: list[tuple[object, str, str | None, Any, bool]] = []
    for group, field in _geo_fields(form):
        name = getattr(field, "name", "")
        if group is None:
            fs = entry.fields.get(name)
            if fs is not None:
                places.append((field, name, None, fs.value, fs.conflict))
            continue
        for iid, item in entry.items(group):
            member = item.fields.get(name)
            if member is not None:
                places.append((field, f"{group}.{name}", iid, member.value, member.conflict))
    base |= _filter_values(entry.fields, base)
    located = False
    for spec, path, item_id, value, conflict in places:
        geometry = _geometry(spec, value)
        if geometry is None:
            continue
        shape, accuracy = geometry
        props = {**base, "field": path, "item_id": item_id, "accuracy_m": accuracy}
        props["conflict"] = conflict
        located = True
        yield {"type": "Feature", "geometry": shape, "properties": props}
    if not located:
        # RFC 7946 §3.2: an unlocated feature has a null geometry. A record whose form has
        # no place of its own (an excavation context) is still there to filter and join.
        props = {**base, "field": None, "item_id": None, "accuracy_m": None, "conflict": False}
        yield {"type": "Feature", "geometry": None, "properties": props}


def _filter_values(fields: dict[str, FieldState], taken: dict[str, Any]) -> dict[str, Any]:
    """The record's displayed scalar values, as flat properties a GIS user filters on.

    Lists of choices become one comma-separated text; located and structured values
    (points, shapes, files) and repeat groups are left out (they have their own
    features or the JSON export). A name that clashes with a fixed property gets `value_`.
    """
    out: dict[str, Any] = {}
    clash = taken.keys() | _FEATURE_KEYS
    for name, field in fields.items():
        value = field.value
        # Decoded values are of these exact types; the isinstance checks below are for
        # anything else (and give the same answers for these).
        if type(value) not in _SCALARS:
            if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
                value = ", ".join(str(v) for v in value)
            elif not isinstance(value, str | int | float | bool):
                continue
        out[f"value_{name}" if name in clash else name] = value
    return out


_SCALARS = frozenset({str, int, float, bool, type(None)})


_FEATURE_KEYS = frozenset({"field", "item_id", "accuracy_m", "conflict"})


GEOJSON_HEAD = b'{"type":"FeatureCollection","features":[\n'
GEOJSON_TAIL = b"\n]}\n"


def geojson_feature_bytes(feature: dict[str, Any], first: bool) -> bytes:
    """One feature as it appears inside the streamed FeatureCollection."""
    return (b"" if first else b",\n") + _JSON.encode(feature)


def geojson_collection(items: Iterable[RecordEntry]) -> Iterator[bytes]:
    """records.geojson: a FeatureCollection streamed one feature per line."""
    yield GEOJSON_HEAD
    first = True
    for entry in items:
        for feature in geojson_features(entry):
            yield geojson_feature_bytes(feature, first)
            first = False
    yield GEOJSON_TAIL
