"""The server's duplicate identifiers agree with the pure law (DESIGN.md law 7).

`sync.identifiers.check_identifiers` is the specification; the server keeps identifier
rows per record (so duplicates are one indexed query) and must find exactly the same
groups of records, for any values, case and spacing variants, and conflicts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forms.library import builtin_library
from server.materialize import identifier_rows
from sync.identifiers import IdentifierRule, check_identifiers
from sync.merge import materialize
from sync.ops import Create, Dot, Op, Patch
from sync.record import Record

FORM = builtin_library().get("daily_log", 1)
T0 = 1_750_000_000_000
SITES = st.sampled_from(["DSH-01", "dsh-01 ", "EDL-02"])
DATES = st.sampled_from(["2026-05-01", "2026-05-02"])
AUTHORS = st.sampled_from(["A. Aliyev", " a. aliyev", "B. Mammadova", "ｂ. mammadova"])


def _op(kind: type[Any], actor: str, counter: int, record: str, **fields: Any) -> Op:
    return kind(  # type: ignore[no-any-return]
        dot=Dot(actor=actor, counter=counter),
        record_id=record,
        form="daily_log@1",
        hlc=(T0 + counter) << 16,
        context={"tab-a": 1} if kind is Patch else {},
        wall_time=T0 + counter,
        fields=fields,
    )


@st.composite
def log_records(draw: Any) -> list[Record]:
    records = []
    for n in range(draw(st.integers(1, 6))):
        rid = f"r{n}"
        ops = [
            _op(
                Create,
                "tab-a",
                1,
                rid,
                site_code=draw(SITES),
                log_date=draw(DATES),
                author=draw(AUTHORS),
            )
        ]
        # Up to two other tablets change the author or site concurrently: a conflict.
        for i, actor in enumerate(draw(st.lists(st.sampled_from(["tab-b", "tab-c"]), unique=True))):
            field = draw(st.sampled_from(["author", "site_code"]))
            value = draw(AUTHORS if field == "author" else SITES)
            ops.append(_op(Patch, actor, 2 + i, rid, **{field: value}))
        records.append(materialize(ops))
    return records


def _server_groups(records: list[Record]) -> set[frozenset[str]]:
    claims: dict[tuple[str, str, str], set[str]] = {}
    for record in records:
        for row in identifier_rows("P", FORM, record):
            claims.setdefault((row.form_id, row.name, row.key), set()).add(row.record_id)
    return {frozenset(ids) for ids in claims.values() if len(ids) > 1}


@settings(max_examples=200)
@given(log_records())
def test_server_identifier_rows_find_exactly_the_duplicates_the_law_finds(
    records: list[Record],
) -> None:
    (rule,) = FORM.identifiers
    law = check_identifiers(
        records,
        [IdentifierRule(form_id="daily_log", fields=rule.fields, scope_field=rule.site_field)],
    )
    assert _server_groups(records) == {frozenset(d.record_ids) for d in law.duplicates}
