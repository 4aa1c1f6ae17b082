"""Keeping the materialized tables (records, identifiers, points) in step with the ops.

On ingest, each affected record is loaded, the new ops are applied with `sync.merge.apply`
(which always equals `materialize` of every op seen), and the record row, its identifier
rows and its spatial point are written in the batch's own transaction. `rebuild` does the
same from nothing, for `cairn verify`.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import msgspec

from forms.library import FormLibrary
from forms.schema import FormDef, GeopointField, GeoshapeField, IdentifierRule
from server.store import sync_tables as st
from sync import merge
from sync.conflicts import conflicts
from sync.ops import Op
from sync.record import Record

# The layout of the materialized tables: a record's stored state (`sync.record.Record`
# as encoded) and the rows derived from it (identifiers, points). Bump it whenever either
# changes: a data directory written in another layout has them rebuilt from its ops when
# it is next opened (ops never change).
RECORD_STATE_FORMAT = "4"
_STATE_FORMAT_KEY = "record_state_format"

# Identifiers unique across every form of a project, not only within their own form: a
# tamper-evident seal number names one physical seal, whether it closes a DNA sample, a
# body bag or an effects bag (FORMS.md §4). Their rows share the namespace ACROSS_FORMS.
CROSS_FORM_IDENTIFIERS = frozenset({"seal_no"})
ACROSS_FORMS = "*"

_RECORD_ENCODER = msgspec.msgpack.Encoder(order="deterministic")
_RECORD_DECODER = msgspec.msgpack.Decoder(Record)
_OP_DECODER = msgspec.msgpack.Decoder(Op)  # type: ignore[arg-type]


def encode_record(record: Record) -> bytes:
    """A record's stored state."""
    return _RECORD_ENCODER.encode(record)


def decode_record(state: bytes) -> Record:
    """A record from its stored state."""
    return _RECORD_DECODER.decode(state)


def _form(forms: FormLibrary, ref: str) -> FormDef:
    form: FormDef = forms.resolve(ref)
    return form


def _winner(record: Record, name: str) -> Any:
    state = record.fields.get(name)
    return None if state is None or not state.live else state.value


def conflict_count(record: Record) -> int:
    """How many open conflicts the record has."""
    return len(conflicts(record))


class _Winners(dict[str, Any]):
    """Field name → displayed value, looked up on demand (for identifier templates)."""

    def __init__(self, record: Record) -> None:
        super().__init__()
        self.record = record

    def __missing__(self, name: str) -> Any:
        value = _winner(self.record, name)
        if value is None or value == "":
            raise KeyError(name)
        return value


def _identifier_value(rule: IdentifierRule, record: Record) -> str | None:
    """The rule's value for this record (its template applied), or None while incomplete."""
    parts = {f: _winner(record, f) for f in rule.fields}
    if any(p is None or p == "" for p in parts.values()):
        return None
    if rule.template:
        try:
            return rule.template.format_map(_Winners(record))
        except (KeyError, ValueError, IndexError):
            pass  # a template field without a value yet: fall back to the plain parts
    return " | ".join(str(parts[f]) for f in rule.fields)


def identifier_key(scope: Any, values: Sequence[Any]) -> str:
    """What two identifiers must share to clash: the scope and each field's value, compared
    as people read them.

    Unicode NFKC, trimmed, case-folded, field by field (as `sync.identifiers`, DESIGN.md
    law 7), so ``"b017 "`` clashes with ``"B017"``: a false alarm is visible and cheap, a
    missed duplicate is silent.
    """
    return "\x1f".join(_fold(str(v)) for v in (scope, *values))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


# A record in conflict on identifier fields claims every combination of their live values,
# up to this many per rule (beyond it, the displayed value and each field's alternatives
# alone; a supervisor sees the conflict on the record either way).
MAX_CLAIMS = 64


def _live_values(record: Record, name: str) -> list[Any]:
    """The field's displayed value first, then its other live values (when in conflict)."""
    state = record.fields.get(name)
    if state is None or not state.live:
        return []
    out = [state.value]
    if len(state.live) > 1:
        out += [w.value for w in state.live if w.value not in out]
    return [v for v in out if v is not None and v != ""]


class _Claim(_Winners):
    """Displayed values, except the fields given, for one combination of live values."""

    def __init__(self, record: Record, chosen: dict[str, Any]) -> None:
        super().__init__(record)
        self.update(chosen)


def _claims(rule: IdentifierRule, record: Record) -> list[tuple[str, str, str]]:
    """(scope, value, key) claimed under `rule`: the displayed one first, then others."""
    site_field = rule.site_field if rule.scope == "site" else None
    names = ((site_field,) if site_field else ()) + tuple(rule.fields)
    options = {name: _live_values(record, name) for name in names}
    if any(not options[f] for f in rule.fields):
        return []  # not complete yet: claims nothing
    if site_field and not options[site_field]:
        options[site_field] = [""]
    combos: list[dict[str, Any]] = [{}]
    for name in names:
        combos = [{**c, name: v} for c in combos for v in options[name]][:MAX_CLAIMS]
    out: list[tuple[str, str, str]] = []
    keys: set[str] = set()
    for chosen in combos:
        scope = str(chosen[site_field]) if site_field else ""
        key = identifier_key(scope, [chosen[f] for f in rule.fields])
        if key in keys:
            continue
        keys.add(key)
        out.append((scope, _render(rule, record, chosen), key))
    return out


def _render(rule: IdentifierRule, record: Record, chosen: dict[str, Any]) -> str:
    """An identifier as people write it: its template, or its fields' values joined."""
    if rule.template:
        try:
            return rule.template.format_map(_Claim(record, chosen))
        except (KeyError, ValueError, IndexError):
            pass  # a template field without a value yet: the plain parts
    return " | ".join(str(chosen[f]) for f in rule.fields)


def identifier_rows(project: str, form: FormDef, record: Record) -> list[st.IdentifierRow]:
    """Every identifier the record claims: per rule, its displayed value, then any other
    combination of live values of fields in conflict (so no duplicate hides behind one)."""
    if record.retracted:
        return []
    out: list[st.IdentifierRow] = []
    for rule in form.identifiers:
        namespace = ACROSS_FORMS if rule.name in CROSS_FORM_IDENTIFIERS else form.id
        for scope, value, key in _claims(rule, record):
            out.append(
                st.IdentifierRow(
                    project=project,
                    form_id=namespace,
                    name=rule.name,
                    scope=scope,
                    value=value,
                    record_id=record.id,
                    key=key,
                )
            )
    return out


def primary_identifier(form: FormDef, record: Record) -> str | None:
    """The first complete identifier's value, shown in lists (None when not set yet)."""
    for rule in form.identifiers:
        value = _identifier_value(rule, record)
        if value is not None:
            return value
    return None


def point(form: FormDef, record: Record) -> tuple[float, float] | None:
    """(lat, lon) of the record's first located field, for the spatial index."""
    return _first_point(_located(form), record)


def _located(form: FormDef) -> tuple[GeopointField | GeoshapeField, ...]:
    return tuple(f for f in form.fields if isinstance(f, GeopointField | GeoshapeField))


def _first_point(
    located: tuple[GeopointField | GeoshapeField, ...], record: Record
) -> tuple[float, float] | None:
    for field in located:
        value = _winner(record, field.name)
        if isinstance(field, GeopointField) and isinstance(value, dict):
            lat, lon = value.get("lat"), value.get("lon")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                return float(lat), float(lon)
        if isinstance(field, GeoshapeField) and isinstance(value, list) and value:
            lats = [p["lat"] for p in value if isinstance(p, dict) and "lat" in p]
            lons = [p["lon"] for p in value if isinstance(p, dict) and "lon" in p]
            if lats and lons:
                return sum(lats) / len(lats), sum(lons) / len(lons)
    return None


def review_state(record: Record) -> str:
    """The record's display review state ('received' until a supervisor reviews it)."""
    value = record.review.value if record.review.live else None
    return str(value) if value else "received"


def record_row(
    project: str, form: FormDef, record: Record, cursor: int, now_ms: int
) -> st.RecordRow:
    """The stored row of a consolidated record."""
    return _record_row(project, form, record, cursor, now_ms, primary_identifier(form, record))


def _record_row(
    project: str, form: FormDef, record: Record, cursor: int, now_ms: int, primary: str | None
) -> st.RecordRow:
    return st.RecordRow(
        record_id=record.id,
        project=project,
        form_id=form.id,
        form_version=form.version,
        identifier=primary,
        review_state=review_state(record),
        retracted=record.retracted,
        conflict_count=conflict_count(record),
        updated_cursor=cursor,
        updated_at_ms=now_ms,
        state=encode_record(record),
    )


class _FormPlan:
    """What `_write` needs of one form, worked out once per batch rather than per record."""

    __slots__ = ("form", "located")

    def __init__(self, form: FormDef) -> None:
        self.form = form
        self.located = _located(form)


def _write(
    conn: sqlite3.Connection,
    forms: FormLibrary,
    project: str,
    records: Sequence[tuple[Record, int]],
    now_ms: int,
    new: Collection[str],
) -> None:
    """Write the rows of `records`; `new` names those with no identifier or point rows yet."""
    rows: list[st.RecordRow] = []
    idents: list[st.IdentifierRow] = []
    points: list[tuple[str, float, float] | tuple[str, None, None]] = []
    plans: dict[str, _FormPlan] = {}
    for record, cursor in records:
        plan = plans.get(record.form)
        if plan is None:
            plan = plans[record.form] = _FormPlan(_form(forms, record.form))
        form = plan.form
        found = identifier_rows(project, form, record)
        primary = primary_identifier(form, record)
        rows.append(_record_row(project, form, record, cursor, now_ms, primary))
        idents.extend(found)
        where = _first_point(plan.located, record)
        points.append((record.id, *where) if where else (record.id, None, None))
    st.upsert_records(conn, rows)
    st.replace_identifiers(conn, [r.id for r, _ in records if r.id not in new], idents)
    st.set_points(conn, points, new)


def materialize_rows(
    forms: FormLibrary,
    conn: sqlite3.Connection,
    project: str,
    ops: Sequence[tuple[Op, st.OpRow]],
    first_cursor: int,
    now_ms: int,
    stored: dict[str, st.RecordRow] | None = None,
) -> None:
    """Apply newly stored ops to their records and write the derived rows.

    `stored` may hold the records' rows already read in this transaction (ingest reads
    them to validate); any record it lacks is read here.
    """
    if not ops:
        return
    by_record: dict[str, list[tuple[int, Op, bool]]] = {}
    for i, (op, row) in enumerate(ops):
        by_record.setdefault(op.record_id, []).append((first_cursor + i, op, row.clock_suspect))
    if stored is None:
        stored = st.load_states(conn, sorted(by_record))
    else:
        missing = sorted(r for r in by_record if r not in stored)
        stored = {**stored, **st.load_states(conn, missing)} if missing else stored
    updated: list[tuple[Record, int]] = []
    new: set[str] = set()
    for record_id, items in by_record.items():
        stored_row = stored.get(record_id)
        if stored_row is None:
            new.add(record_id)  # no identifier or point rows yet: nothing to replace
        record = decode_record(stored_row.state) if stored_row is not None else None
        for _cursor, op, suspect in items:
            record = merge.apply(record, op, suspect=suspect)
        assert record is not None
        updated.append((record, items[-1][0]))
    _write(conn, forms, project, updated, now_ms, new)


def rebuild(
    forms: FormLibrary, ops: Iterable[tuple[int, str, str, bytes, bool]]
) -> dict[str, tuple[str, Record, int]]:
    """Records from scratch, from (cursor, project, record id, op bytes, suspect) rows."""
    grouped: dict[str, tuple[str, list[tuple[Op, bool]], int]] = {}
    for cursor, project, record_id, blob, suspect in ops:
        entry = grouped.setdefault(record_id, (project, [], cursor))
        entry[1].append((_OP_DECODER.decode(blob), suspect))
        grouped[record_id] = (entry[0], entry[1], cursor)
    out: dict[str, tuple[str, Record, int]] = {}
    for record_id, (project, items, cursor) in grouped.items():
        suspects = {(op.dot.actor, op.dot.counter) for op, s in items if s}
        record = merge.materialize([op for op, _ in items], suspect=suspects)
        out[record_id] = (project, record, cursor)
    return out


def write_rebuilt(
    conn: sqlite3.Connection,
    forms: FormLibrary,
    rebuilt: dict[str, tuple[str, Record, int]],
    now_ms: int,
) -> None:
    """Write rebuilt records into (empty) materialized tables, grouped by project."""
    by_project: dict[str, list[tuple[Record, int]]] = {}
    for project, record, cursor in rebuilt.values():
        by_project.setdefault(project, []).append((record, cursor))
    for project, records in by_project.items():
        _write(conn, forms, project, records, now_ms, frozenset(r.id for r, _ in records))


def record_states_current(conn: sqlite3.Connection) -> bool:
    """Whether the stored record states are in this release's layout."""
    return st.get_meta(conn, _STATE_FORMAT_KEY) == RECORD_STATE_FORMAT


def refresh_record_states(conn: sqlite3.Connection, forms: FormLibrary, now_ms: int) -> int | None:
    """Rebuild every record from its ops if the stored states are in another layout.

    Returns how many records were rebuilt, or None when the states were already current.
    Runs in the caller's write transaction: a crash half-way leaves the old states and
    the next open simply tries again. Each record keeps its last-updated time.
    """
    if record_states_current(conn):
        return None
    times = st.updated_times(conn)
    rebuilt = rebuild(forms, st.all_ops(conn))
    st.clear_materialized(conn)
    write_rebuilt(conn, forms, rebuilt, now_ms)
    st.restore_updated_times(conn, times)
    st.set_meta(conn, _STATE_FORMAT_KEY, RECORD_STATE_FORMAT)
    return len(rebuilt)
