"""Keeping the materialized tables (records, identifiers, points) in step with the ops.

On ingest, each affected record is loaded, the new ops are applied with `sync.merge.apply`
(which always equals `materialize` of every op seen), and the record row, its identifier
rows and its spatial point are written in the batch's own transaction. `rebuild` does the
same from nothing, for `cairn verify`.
"""

from __future__ import annotations

import itertools
import sqlite3
import string
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

import msgspec

from forms.laws import rules_for
from forms.library import FormLibrary
from forms.schema import FormDef, GeopointField, GeoshapeField, IdentifierRule
from server.attachments.refs import record_refs
from server.store import sync_tables as st
from sync import laws, merge
from sync import review as sync_review
from sync.conflicts import conflict_count as count_conflicts
from sync.ops import Op
from sync.record import Record

# The layout of the materialized tables: a record's stored state (`sync.record.Record`
# as encoded) and the rows derived from it (identifiers, points). Bump it whenever either
# changes: a data directory written in another layout has them rebuilt from its ops when
# it is next opened (ops never change).
# 6: a refused write to an append-only choice list also refuses the ops that saw it and
# dropped its choices, in every arrival order (an order dependence the TypeScript core's
# conformance corpus found): records stored before are rebuilt under the fixed merge.
RECORD_STATE_FORMAT = "6"
_STATE_FORMAT_KEY = "record_state_format"

# The namespace of identifiers declared unique across forms (`IdentifierRule.across_forms`:
# seal numbers, docs/forms.md §4): their rows share it instead of their form's id.
ACROSS_FORMS = "*"
# What applying an identifier template can raise on values it does not fit (a field with no
# value yet, a format spec such as `{n:03d}` given text, an attribute or index that is not
# there): the identifier is then its fields' values joined, never a failed batch.
_TEMPLATE_ERRORS = (KeyError, ValueError, IndexError, TypeError, AttributeError)

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


def record_rules(forms: FormLibrary, ref: str) -> laws.Rules:
    """The write rules of a record's form (`ref` is any version of it)."""
    return rules_for(forms, ref)


def _winner(record: Record, name: str) -> Any:
    state = record.fields.get(name)
    return None if state is None or not state.live else state.value


def conflict_count(record: Record) -> int:
    """How many open conflicts the record has."""
    return count_conflicts(record)


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
        except _TEMPLATE_ERRORS:
            pass  # a template field without a value yet: fall back to the plain parts
    return " | ".join(str(parts[f]) for f in rule.fields)


def identifier_key(scope: Any, values: Sequence[Any]) -> str:
    """What two identifiers must share to clash: the scope and each field's value, compared
    as people read them.

    Unicode NFKC, trimmed, case-folded, field by field (as `sync.identifiers`, DESIGN.md
    law 7), so ``"b017 "`` clashes with ``"B017"``: a false alarm is visible and cheap, a
    missed duplicate is silent.
    """
    return "\x1f".join([_fold(str(v)) for v in (scope, *values)])


def _fold(text: str) -> str:
    if text.isascii():  # NFKC leaves ASCII as it is, and folds its case as lower() does
        return text.strip().lower()
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
        except _TEMPLATE_ERRORS:
            pass  # a template field without a value yet: the plain parts
    return " | ".join(str(chosen[f]) for f in rule.fields)


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _template_names(template: str) -> tuple[str, ...] | None:
    """The names a template refers to when each is a plain name, else None."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    names: dict[str, None] = {}
    for _, name, spec, _ in parsed:
        if name is None:
            continue
        if not name.isidentifier() or (spec and "{" in spec):
            return None
        names[name] = None
    return tuple(names)


class _RulePlan:
    """One identifier rule with what applying it needs worked out once per form.

    `claims` and `primary` give exactly what `_claims` and `_identifier_value` give
    (tests/server/test_identifier_plan.py); they take a shortcut when no field the rule
    reads is in conflict, and a template naming only those fields is applied to a plain
    dict of their values.
    """

    __slots__ = ("fields", "name", "names", "namespace", "rule", "site_field", "template_names")

    def __init__(self, rule: IdentifierRule, form_id: str) -> None:
        self.rule = rule
        self.name = rule.name
        self.fields = rule.fields
        self.site_field = rule.site_field if rule.scope == "site" and rule.site_field else None
        self.names = ((self.site_field,) if self.site_field else ()) + tuple(rule.fields)
        self.namespace = ACROSS_FORMS if rule.across_forms else form_id
        names = _template_names(rule.template) if rule.template else None
        # Set when the template reads only the values `claims` chooses, by plain names.
        self.template_names = names if names is not None and set(names) <= set(self.names) else None

    def claims(self, record: Record, shown: dict[str, Any]) -> list[tuple[str, str, str]]:
        """(scope, value, key) claimed, as `_claims`; `shown` holds each name's winner."""
        fields = record.fields
        chosen: dict[str, Any] = {}
        for name in self.names:
            state = fields.get(name)
            if state is not None and len(state.live) > 1:
                return _claims(self.rule, record)  # in conflict: every combination
            value = shown[name]
            if _blank(value):
                if name != self.site_field or name in self.fields:
                    return []  # not complete yet: claims nothing
                value = ""
            chosen[name] = value
        site_field = self.site_field
        scope = str(chosen[site_field]) if site_field else ""
        values = [chosen[f] for f in self.fields]
        key = identifier_key(scope, values)
        template = self.rule.template
        if template:
            try:
                if self.template_names is not None:
                    return [(scope, template.format_map(chosen), key)]
                return [(scope, template.format_map(_Claim(record, chosen)), key)]
            except _TEMPLATE_ERRORS:
                pass  # a template field without a value yet: the plain parts
        return [(scope, " | ".join([str(v) for v in values]), key)]

    def primary(self, record: Record, shown: dict[str, Any]) -> str | None:
        """The rule's displayed value, as `_identifier_value`."""
        parts = [shown[f] for f in self.fields]
        for part in parts:
            if _blank(part):
                return None
        template = self.rule.template
        if template:
            names = self.template_names
            try:
                if names is None:
                    return template.format_map(_Winners(record))
                return template.format_map({n: shown[n] for n in names if not _blank(shown[n])})
            except _TEMPLATE_ERRORS:
                pass  # a template field without a value yet: fall back to the plain parts
        return " | ".join([str(p) for p in parts])


class _IdentifierPlan:
    """A form's identifier rules, and every field they read, worked out once."""

    __slots__ = ("form_id", "names", "rules")

    def __init__(self, form: FormDef) -> None:
        self.form_id = form.id
        self.rules = tuple(_RulePlan(rule, form.id) for rule in form.identifiers)
        self.names = tuple(dict.fromkeys(name for rule in self.rules for name in rule.names))

    def shown(self, record: Record) -> dict[str, Any]:
        """The displayed value (winner) of every field a rule reads."""
        return {name: _winner(record, name) for name in self.names}

    def rows(self, project: str, record: Record, shown: dict[str, Any]) -> list[st.IdentifierRow]:
        """As `identifier_rows`."""
        if record.retracted:
            return []
        return [
            st.IdentifierRow(
                project=project,
                form_id=rule.namespace,
                name=rule.name,
                scope=scope,
                value=value,
                record_id=record.id,
                key=key,
            )
            for rule in self.rules
            for scope, value, key in rule.claims(record, shown)
        ]

    def primary(self, record: Record, shown: dict[str, Any]) -> str | None:
        """As `primary_identifier`."""
        for rule in self.rules:
            value = rule.primary(record, shown)
            if value is not None:
                return value
        return None


_PLANS: dict[int, tuple[FormDef, _IdentifierPlan]] = {}
_PLANS_LIMIT = 512


def _identifier_plan(form: FormDef) -> _IdentifierPlan:
    """The identifier plan of a form (cached by identity: forms are immutable)."""
    cached = _PLANS.get(id(form))
    if cached is not None and cached[0] is form:
        return cached[1]
    if len(_PLANS) >= _PLANS_LIMIT:
        _PLANS.clear()
    plan = _IdentifierPlan(form)
    _PLANS[id(form)] = (form, plan)
    return plan


def identifier_rows(project: str, form: FormDef, record: Record) -> list[st.IdentifierRow]:
    """Every identifier the record claims: per rule, its displayed value, then any other
    combination of live values of fields in conflict (so no duplicate hides behind one)."""
    plan = _identifier_plan(form)
    return plan.rows(project, record, plan.shown(record))


def primary_identifier(form: FormDef, record: Record) -> str | None:
    """The first complete identifier's value, shown in lists (None when not set yet)."""
    plan = _identifier_plan(form)
    return plan.primary(record, plan.shown(record))


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
    """The record's display review state (`sync.review`: 'edited' after a late change)."""
    return sync_review.review_state(record)


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

    __slots__ = ("form", "identifiers", "located")

    def __init__(self, form: FormDef) -> None:
        self.form = form
        self.located = _located(form)
        self.identifiers = _identifier_plan(form)


class Derived(msgspec.Struct, gc=False):
    """The rows of some records of one project, worked out and not yet written: record
    rows, identifier rows, points, and the records that have identifier or point rows to
    replace (the others, `new`, have none yet)."""

    project: str
    rows: list[st.RecordRow]
    idents: list[st.IdentifierRow]
    points: list[tuple[str, float, float] | tuple[str, None, None]]
    replaced: list[str]
    new: frozenset[str]


def _derive(
    forms: FormLibrary,
    project: str,
    records: Sequence[tuple[Record, int, int]],
    new: Collection[str],
) -> Derived:
    """The rows of `records` (each with its last op's cursor and receive time); `new`
    names those with no identifier or point rows yet."""
    rows: list[st.RecordRow] = []
    idents: list[st.IdentifierRow] = []
    points: list[tuple[str, float, float] | tuple[str, None, None]] = []
    plans: dict[str, _FormPlan] = {}
    for record, cursor, at_ms in records:
        plan = plans.get(record.form)
        if plan is None:
            plan = plans[record.form] = _FormPlan(_form(forms, record.form))
        form = plan.form
        shown = plan.identifiers.shown(record)
        primary = plan.identifiers.primary(record, shown)
        rows.append(_record_row(project, form, record, cursor, at_ms, primary))
        idents.extend(plan.identifiers.rows(project, record, shown))
        where = _first_point(plan.located, record)
        points.append((record.id, *where) if where else (record.id, None, None))
    replaced = [r.id for r, _, _ in records if r.id not in new]
    return Derived(project, rows, idents, points, replaced, frozenset(new))


def write_derived(conn: sqlite3.Connection, derived: Derived) -> None:
    """Write rows `_derive` worked out (in the transaction that decides they still hold)."""
    st.upsert_records(conn, derived.rows)
    st.replace_identifiers(conn, derived.project, derived.replaced, derived.idents)
    st.set_points(conn, derived.project, derived.points, derived.new)


def _write(
    conn: sqlite3.Connection,
    forms: FormLibrary,
    project: str,
    records: Sequence[tuple[Record, int, int]],
    new: Collection[str],
) -> None:
    """Write the rows of `records` (each with its last op's cursor and receive time); `new`
    names those with no identifier or point rows yet."""
    write_derived(conn, _derive(forms, project, records, new))


def materialize_rows(
    forms: FormLibrary,
    conn: sqlite3.Connection,
    project: str,
    ops: Sequence[tuple[Op, st.OpRow]],
    first_cursor: int,
    now_ms: int,
    stored: dict[str, st.RecordRow] | None = None,
) -> dict[tuple[str, int], tuple[str, ...]]:
    """Apply newly stored ops to their records and write the derived rows.

    `stored` may hold the records' rows already read in this transaction (ingest reads
    them to validate); any record it lacks is read here. Returns the dots of the given
    ops that the records' rules refuse (`sync.laws`: stored as evidence, no effect), with
    the codes of the laws each breaks.
    """
    if not ops:
        return {}
    record_refs(conn, forms, project, [op for op, _ in ops])
    return apply_stored(
        forms,
        conn,
        project,
        [(op, row.clock_suspect, first_cursor + i, now_ms) for i, (op, row) in enumerate(ops)],
        stored,
    )


def apply_stored(
    forms: FormLibrary,
    conn: sqlite3.Connection,
    project: str,
    ops: Sequence[tuple[Op, bool, int, int]],
    stored: dict[str, st.RecordRow] | None = None,
) -> dict[tuple[str, int], tuple[str, ...]]:
    """Apply stored ops, given in arrival order as (op, clock suspect, project cursor,
    receive time), to their records and write the records, identifier and point rows.

    Their attachment references are not written here (`record_refs`, with the ops). Returns
    the dots of the given ops that the records' rules refuse, as `materialize_rows`.
    """
    if not ops:
        return {}
    derived, refused = derive_stored(forms, conn, project, ops, stored)
    write_derived(conn, derived)
    return refused


def derive_stored(
    forms: FormLibrary,
    conn: sqlite3.Connection,
    project: str,
    ops: Sequence[tuple[Op, bool, int, int]],
    stored: dict[str, st.RecordRow] | None = None,
) -> tuple[Derived, dict[tuple[str, int], tuple[str, ...]]]:
    """What `apply_stored` writes, and what it returns, without writing: the records' rows
    as `conn` shows them now, with the ops applied."""
    # Records in the order their first op arrived; each record's ops are applied in
    # arrival order (records are independent, so interleaving them changes nothing).
    # No per-record list of ops: most records get one, and ten thousand small lists
    # would only give the cyclic GC more to scan.
    current: dict[str, Record | None] = dict.fromkeys(op.record_id for op, _, _, _ in ops)
    if stored is None:
        stored = st.load_states(conn, project, sorted(current))
    else:
        missing = sorted(r for r in current if r not in stored)
        stored = {**stored, **st.load_states(conn, project, missing)} if missing else stored
    new: set[str] = set()
    for record_id in current:
        stored_row = stored.get(record_id)
        if stored_row is None:
            new.add(record_id)  # no identifier or point rows yet: nothing to replace
        else:
            current[record_id] = decode_record(stored_row.state)
    last: dict[str, tuple[int, int]] = {}
    rules: dict[str, laws.Rules] = {}
    for op, suspect, cursor, at_ms in ops:
        record_id = op.record_id
        form_rules = rules.get(op.form)
        if form_rules is None:
            form_rules = rules[op.form] = record_rules(forms, op.form)
        current[record_id] = merge.apply(current[record_id], op, suspect=suspect, rules=form_rules)
        last[record_id] = (cursor, at_ms)
    updated: list[tuple[Record, int, int]] = []
    refused: dict[tuple[str, int], tuple[str, ...]] = {}
    for record_id, record in current.items():
        assert record is not None
        updated.append((record, *last[record_id]))
        refused.update(((r.actor, r.counter), r.codes) for r in record.refused)
    derived = _derive(forms, project, updated, new)
    if not refused:
        return derived, {}
    return derived, {
        dot: refused[dot]
        for op, _, _, _ in ops
        if (dot := (op.dot.actor, op.dot.counter)) in refused
    }


def write_rebuilt(
    conn: sqlite3.Connection,
    forms: FormLibrary,
    rebuilt: dict[tuple[str, str], tuple[str, Record, int]],
    now_ms: int,
) -> None:
    """Write rebuilt records into (empty) materialized tables, grouped by project."""
    by_project: dict[str, list[tuple[Record, int, int]]] = {}
    for project, record, cursor in rebuilt.values():
        by_project.setdefault(project, []).append((record, cursor, now_ms))
    for project, records in by_project.items():
        _write(conn, forms, project, records, frozenset(r.id for r, _, _ in records))


def record_states_current(conn: sqlite3.Connection) -> bool:
    """Whether the stored record states are in this release's layout."""
    return st.get_meta(conn, _STATE_FORMAT_KEY) == RECORD_STATE_FORMAT


REBUILD_CHUNK = 5_000  # records merged and written at a time when states are rebuilt


def _records_from(
    forms: FormLibrary, ops: Iterable[tuple[int, str, str, bytes, bool]]
) -> Iterator[tuple[str, Record, int]]:
    """(project, record, last cursor) for each record, from its ops given record by record."""
    for _key, rows in itertools.groupby(ops, key=lambda row: (row[1], row[2])):
        items = [
            (cursor, project, _OP_DECODER.decode(blob), suspect)
            for cursor, project, _, blob, suspect in rows
        ]
        suspects = {(op.dot.actor, op.dot.counter) for _, _, op, s in items if s}
        rules = record_rules(forms, items[0][2].form)
        record = merge.materialize([op for _, _, op, _ in items], suspect=suspects, rules=rules)
        yield items[-1][1], record, items[-1][0]


def rebuild_into(
    out: sqlite3.Connection,
    forms: FormLibrary,
    ops: Iterable[tuple[int, str, str, bytes, bool]],
    now_ms: int,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Write records rebuilt from ops given record by record (`st.ops_by_record`) into
    empty materialized tables, a chunk at a time; return how many records."""
    done = 0
    chunk: dict[tuple[str, str], tuple[str, Record, int]] = {}
    for project, record, cursor in _records_from(forms, ops):
        chunk[(project, record.id)] = (project, record, cursor)
        if len(chunk) == REBUILD_CHUNK:
            write_rebuilt(out, forms, chunk, now_ms)
            done += len(chunk)
            chunk = {}
            if progress and done % (REBUILD_CHUNK * 10) == 0:
                progress(f"rebuilt {done:,} records")
    write_rebuilt(out, forms, chunk, now_ms)
    return done + len(chunk)


def refresh_record_states(
    conn: sqlite3.Connection,
    forms: FormLibrary,
    now_ms: int,
    progress: Callable[[str], None] | None = None,
) -> int | None:
    """Rebuild every record from its ops if the stored states are in another layout.

    Returns how many records were rebuilt, or None when the states were already current.
    Runs in the caller's write transaction: a crash half-way leaves the old states and
    the next open simply tries again. Records are rebuilt a chunk at a time (memory does
    not grow with the project) and each keeps its last-updated time.
    """
    if record_states_current(conn):
        return None
    say = progress or (lambda _msg: None)
    say(f"rebuilding records from {st.count_ops(conn):,} ops: the stored layout changed")
    st.keep_updated_times(conn)
    st.clear_materialized(conn)
    done = rebuild_into(conn, forms, st.ops_by_record(conn), now_ms, say)
    st.restore_updated_times(conn)
    st.set_meta(conn, _STATE_FORMAT_KEY, RECORD_STATE_FORMAT)
    st.set_views_cursor(conn, st.last_op_cursor(conn))  # rebuilt from every op
    return done
