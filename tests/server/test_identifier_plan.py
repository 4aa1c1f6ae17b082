"""Ingest's per-form identifier plan gives exactly the general path's rows and primary value.

`cairn verify` compares the stored identifier rows and each record's primary identifier
with a rebuild, so the shortcut `_write` takes (values read once per record, a template
of plain names applied to a plain dict, no combinations when no field is in conflict)
must agree with `_claims` and `_identifier_value` for any values, blanks, conflicts and
template, including templates a checked form would refuse. The folding that keys
identifiers takes a shortcut for ASCII text that must equal NFKC + strip + casefold.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forms.library import builtin_library
from forms.schema import FormDef, IdentifierRule
from server import materialize
from server.store import sync_tables as rows
from sync.merge import materialize as merge_ops
from sync.ops import Create, Dot, Op, Patch, Retract
from sync.record import Record

T0 = 1_750_000_000_000
NAMES = ("a", "b", "site")
TEMPLATES = (
    None,
    "",
    "{a}",
    "{a}-{b}",
    "{site}-G{a}",
    "{a:>4}/{b!r}",
    "{a:d}",
    "{c}",
    "{a.real}",
    "{a[0]}",
    "{}",
    "{0}",
    "{a:{b}}",
    "{a",
    "plain",
)

values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["B017", "b017 ", "ｂ０１７", "DSH-01", "x"]),
    st.integers(-3, 40),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["real", "k"]), st.integers(0, 3), max_size=2),
)

rules = st.builds(
    IdentifierRule,
    name=st.sampled_from(["grave_id", "seal_no", "code"]),
    fields=st.lists(st.sampled_from(["a", "b", "site"]), min_size=1, max_size=3).map(tuple),
    scope=st.sampled_from(["project", "site"]),
    site_field=st.sampled_from([None, "", "site", "a"]),
    template=st.sampled_from(TEMPLATES),
    across_forms=st.booleans(),
)


def _op(kind: type[Any], actor: str, counter: int, context: dict[str, int], **kw: Any) -> Op:
    return kind(  # type: ignore[no-any-return]
        dot=Dot(actor=actor, counter=counter),
        record_id="r1",
        form="f@1",
        hlc=(T0 + counter) << 16,
        context=context,
        wall_time=T0 + counter,
        **kw,
    )


@st.composite
def records(draw: st.DrawFn) -> Record:
    first = draw(st.dictionaries(st.sampled_from(NAMES), values, max_size=3))
    ops: list[Op] = [_op(Create, "tab-a", 1, {}, fields=first)]
    # Other tablets edit after the Create (context covers it) or concurrently with it and
    # with each other (empty context): values in conflict, also on the site field.
    for i, actor in enumerate(draw(st.lists(st.sampled_from(["tab-b", "tab-c"]), unique=True))):
        context = draw(st.sampled_from([{}, {"tab-a": 1}]))
        fields = draw(st.dictionaries(st.sampled_from(NAMES), values, min_size=1, max_size=2))
        ops.append(_op(Patch, actor, 2 + i, context, fields=fields))
    if draw(st.booleans()) and draw(st.booleans()):
        ops.append(_op(Retract, "tab-a", 9, {"tab-a": 1}, reason="duplicate"))
    return merge_ops(ops)


def _reference_rows(form: FormDef, record: Record) -> list[rows.IdentifierRow]:
    if record.retracted:
        return []
    out = []
    for rule in form.identifiers:
        namespace = materialize.ACROSS_FORMS if rule.across_forms else form.id
        for scope, value, key in materialize._claims(rule, record):
            out.append(
                rows.IdentifierRow(
                    project="P",
                    form_id=namespace,
                    name=rule.name,
                    scope=scope,
                    value=value,
                    record_id=record.id,
                    key=key,
                )
            )
    return out


def _reference_primary(form: FormDef, record: Record) -> str | None:
    for rule in form.identifiers:
        value = materialize._identifier_value(rule, record)
        if value is not None:
            return value
    return None


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("value", fn(*args))
    except Exception as exc:  # a template error the general path lets through, too
        return ("raises", type(exc))


def _same(form: FormDef, record: Record) -> None:
    rows_now = _outcome(materialize.identifier_rows, "P", form, record)
    assert rows_now == _outcome(_reference_rows, form, record)
    primary = _outcome(materialize.primary_identifier, form, record)
    assert primary == _outcome(_reference_primary, form, record)
    # A template that does not fit the values falls back to the plain parts: a batch
    # never fails on it (it would be a 500 for the device).
    assert rows_now[0] == "value" and primary[0] == "value", (rows_now, primary)


@settings(max_examples=300, deadline=None)
@given(records(), st.lists(rules, min_size=1, max_size=3))
def test_the_plan_gives_the_general_paths_rows_and_primary_identifier(
    record: Record, form_rules: list[IdentifierRule]
) -> None:
    _same(FormDef(id="f", version=1, title="F", identifiers=tuple(form_rules)), record)
    for rule in form_rules:  # each rule alone too, so one rule's error hides no other
        _same(FormDef(id="f", version=1, title="F", identifiers=(rule,)), record)


@settings(max_examples=100, deadline=None)
@given(records())
def test_the_plan_agrees_for_every_built_in_form(record: Record) -> None:
    for form in builtin_library().all():
        # The built-in rules read their own field names: give them the generated values.
        fields = {f: record.fields.get(n) for f, n in _aliases(form).items()}
        aliased = Record(
            id=record.id,
            form=record.form,
            fields={k: v for k, v in sorted(fields.items()) if v is not None},
            retracted=record.retracted,
            log=record.log,
        )
        assert materialize.identifier_rows("P", form, aliased) == _reference_rows(form, aliased)
        assert materialize.primary_identifier(form, aliased) == _reference_primary(form, aliased)


def _aliases(form: FormDef) -> dict[str, str]:
    """Each field a built-in rule reads, mapped onto one of the generated names."""
    read = dict.fromkeys(
        name
        for rule in form.identifiers
        for name in (*rule.fields, *((rule.site_field,) if rule.site_field else ()))
    )
    return {name: NAMES[i % len(NAMES)] for i, name in enumerate(read)}


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=12) | st.text(max_size=6))
def test_the_ascii_shortcut_folds_as_the_definition(text: str) -> None:
    assert materialize._fold(text) == unicodedata.normalize("NFKC", text).strip().casefold()


def test_every_ascii_character_folds_as_the_definition() -> None:
    for code in range(128):
        text = f" {chr(code)}x{chr(code)} "
        assert materialize._fold(text) == unicodedata.normalize("NFKC", text).strip().casefold()
