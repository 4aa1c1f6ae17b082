"""Renders made ahead: each record's line in records.csv and its features in records.geojson.

A download of 100,000 records spent most of its time making each record's line or features
from its state (a decode, then a cell per field: bench/README.md). Both are a pure function
of the record row (its columns and state), its form, the CSV table's columns (the union of
the form's versions) and the renderers' code. So the view builder makes them in the
background after records change (`sweep`, run by `server.views`), and a download copies a
record's render when the render's key, a digest of all of those inputs, equals the key the
download works out from the row it has just read; otherwise it renders the record itself,
as it always did. A render can be missing or out of date, never wrong: a record that
changed after its render was made has another key, and so does a record under other forms
or other renderers. `cairn verify` renders every record again and compares.

Renders hold what the records hold (decrypted evidence), in the same database file.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import msgspec

from forms.errors import FormError
from forms.library import FormLibrary
from forms.schema import FormDef
from server.export import formats
from server.store import Store
from server.store import renders as rt
from server.store.sync_tables import RecordRow
from sync.shown import decode_shown

# Records rendered per write transaction of `sweep` (the writer is held only to write them).
SWEEP_CHUNK = 2_000

_PACK = msgspec.msgpack.Encoder()

# The modules whose code decides a render's bytes: a change to any of them (an upgrade)
# gives every render another key.
_RENDERER_MODULES = (
    "server.export.formats",
    "server.export.renders",
    "server.materialize",
    "forms.completeness",
    "forms.laws",
    "forms.views",
    "sync.shown",
    "sync.conflicts",
    "sync.record",
)


class Keys:
    """Works out render keys under one form library (the renderers' version digested once)."""

    __slots__ = ("_base", "version")

    def __init__(self, forms: FormLibrary) -> None:
        # SHA-256: the key is worked out for every record a download sends, and on x86 it
        # is twice as fast as BLAKE2 over a record's state (1.2 against 2.9 us a KB here).
        base = hashlib.sha256(b"cairn-renders\0")
        base.update(msgspec.__version__.encode())
        base.update(sys.version.encode())
        for name in _RENDERER_MODULES:
            source = Path(str(importlib.import_module(name).__file__)).read_bytes()
            base.update(name.encode() + b"\0" + source)
        for form in forms.all():
            base.update(_PACK.encode(form))
        self._base = base
        self.version = base.hexdigest()

    def of(self, row: RecordRow) -> bytes:
        """The key of the render of this row: every input of the rendering, digested."""
        return self.of_columns(
            (
                row.record_id,
                row.project,
                row.form_id,
                row.form_version,
                row.identifier,
                row.review_state,
                int(row.retracted),
            ),
            row.state,
        )

    def of_columns(self, head: Sequence[object], state: bytes) -> bytes:
        """`of` from a row's columns as SQLite gives them: `head` the first seven of
        `RecordRow` (record_id … retracted, 0 or 1), then its state."""
        h = self._base.copy()
        h.update(_PACK.encode(head))
        h.update(state)
        return h.digest()


_KEYS: dict[int, tuple[FormLibrary, Keys]] = {}


def keys_for(forms: FormLibrary) -> Keys:
    """The `Keys` of a library (worked out once per library: it reads the renderers' code)."""
    found = _KEYS.get(id(forms))
    if found is not None and found[0] is forms:
        return found[1]
    keys = Keys(forms)
    if len(_KEYS) > 16:
        _KEYS.clear()
    _KEYS[id(forms)] = (forms, keys)
    return keys


def spec_key(spec: formats.TableSpec) -> bytes:
    """A digest of a CSV table's columns (what a record's line is laid out for)."""
    return hashlib.blake2b(
        _PACK.encode(
            (
                spec.form_id,
                spec.group,
                spec.fields,
                sorted(spec.geopoints),
                sorted(spec.attachments),
            )
        ),
        digest_size=16,
    ).digest()


def csv_line(spec: formats.TableSpec, entry: formats.RecordEntry) -> str:
    """The record's line in `spec` (a form's records table), as records.csv has it."""
    return ",".join(formats.record_cells(spec, entry, csv_ready=True)) + "\r\n"


def geojson_part(entry: formats.RecordEntry) -> bytes:
    """The record's features as records.geojson has them, one after another."""
    out = bytearray()
    for n, feature in enumerate(formats.geojson_features(entry)):
        formats.geojson_feature_into(feature, n == 0, out)
    return bytes(out)


class Entries:
    """Entries of rows one at a time, each form looked up once (`formats.entries`)."""

    __slots__ = ("_forms", "_found")

    def __init__(self, forms: FormLibrary) -> None:
        self._forms = forms
        self._found: dict[tuple[str, int], FormDef | None] = {}

    def of(self, row: RecordRow) -> formats.RecordEntry:
        key = (row.form_id, row.form_version)
        if key in self._found:
            form = self._found[key]
        else:
            try:
                form = self._forms.get(row.form_id, row.form_version)
            except (LookupError, ValueError):
                form = None
            self._found[key] = form
        return formats.RecordEntry(row, decode_shown(row.state), form)


class _Tables:
    """Each form's records table and its digest (None: the form is unknown)."""

    def __init__(self, forms: FormLibrary) -> None:
        self._forms = forms
        self._found: dict[str, tuple[formats.TableSpec, bytes] | None] = {}

    def of(self, form_id: str) -> tuple[formats.TableSpec, bytes] | None:
        if form_id not in self._found:
            try:
                spec = formats.form_tables(self._forms, form_id)[0]
            except FormError:
                self._found[form_id] = None
            else:
                self._found[form_id] = (spec, spec_key(spec))
        return self._found[form_id]


def render_rows(forms: FormLibrary, rows: Iterable[RecordRow]) -> list[rt.RenderRow]:
    """The renders of some records."""
    keys = keys_for(forms)
    entries = Entries(forms)
    tables = _Tables(forms)
    out: list[rt.RenderRow] = []
    for row in rows:
        entry = entries.of(row)
        table = tables.of(row.form_id)
        spec_digest, line = None, None
        if table is not None:
            spec, spec_digest = table
            line = csv_line(spec, entry)
        out.append(
            (row.project, row.record_id, keys.of(row), spec_digest, line, geojson_part(entry))
        )
    return out


def sweep(store: Store, forms: FormLibrary, limit: int = SWEEP_CHUNK) -> int:
    """Render up to `limit` records changed since their project's render cursor and move
    the cursors past them; return how many were rendered (0: every render is made).

    The records are read from a snapshot and rendered with no lock held; the writer is
    held only to store the renders. A record that changes meanwhile gets a newer
    updated_cursor, so a later sweep renders it again (until then its render's key does
    not match and downloads render it themselves)."""
    keys = keys_for(forms)
    with store.snapshot() as conn:
        stale_version = rt.version(conn) != keys.version
        work: list[tuple[str, list[RecordRow]]] = []
        if not stale_version:
            left = limit
            for project in rt.projects(conn):
                if left <= 0:
                    break
                rows = rt.changed(conn, project, rt.cursor(conn, project), left)
                if len(rows) == left:
                    # The cursor moves past whole cursor values only: the chunk ends before
                    # the last value it reached, or is every record at its one value.
                    last = rows[-1].updated_cursor
                    if rows[0].updated_cursor == last:
                        rows = rt.changed_at(conn, project, last)
                    while rows[-1].updated_cursor == last and rows[0].updated_cursor != last:
                        rows.pop()
                if rows:
                    work.append((project, rows))
                    left -= len(rows)
    if stale_version:
        # Other renderers or forms (an upgrade): every record is rendered again.
        with store.write() as conn:
            rt.restart(conn, keys.version)
        return sweep(store, forms, limit)
    if not work:
        return 0
    made = [(project, rows, render_rows(forms, rows)) for project, rows in work]
    with store.write() as conn:
        for project, rows, rendered in made:
            rt.put(conn, rendered)
            rt.advance(conn, project, rows[-1].updated_cursor)
    return sum(len(rows) for _, rows, _ in made)


def sweep_all(
    store: Store, forms: FormLibrary, progress: Callable[[int], None] | None = None
) -> int:
    """Sweep until every render is made; return how many records were rendered."""
    done = 0
    while n := sweep(store, forms):
        done += n
        if progress is not None:
            progress(done)
    return done
