"""An oracle for stored identifier rows that does not go through `cairn verify`.

`cairn verify` rebuilds identifier rows with the same code that wrote them, so it cannot
catch a mistake that code makes both times. This oracle asks the pure law instead
(`sync.identifiers.check_identifiers`, written apart from `server.materialize`): the
groups of records the server's stored rows call duplicates must be exactly the groups
the law finds in the stored records, rule by rule. Rules across forms (seal numbers),
which the law does not express, are left to their own tests.
"""

from __future__ import annotations

from server.datadir import DataDir
from server.materialize import decode_record
from server.store import sync_tables as st
from sync.identifiers import IdentifierRule, check_identifiers


def law_duplicates(data: DataDir, project: str) -> set[frozenset[str]]:
    """The groups of records the pure law finds claiming one identifier."""
    conn = data.store.reader()
    records = [decode_record(row.state) for row in st.iter_records(conn, project)]
    rules = []
    for form_id in sorted({r.form.rpartition("@")[0] for r in records}):
        for rule in data.forms.get(form_id).identifiers:
            if not rule.across_forms:
                rules.append(
                    IdentifierRule(form_id=form_id, fields=rule.fields, scope_field=rule.site_field)
                )
    return {frozenset(d.record_ids) for d in check_identifiers(records, rules).duplicates}


def stored_duplicates(data: DataDir, project: str) -> set[frozenset[str]]:
    """The groups of records the stored identifier rows call duplicates (per form)."""
    conn = data.store.reader()
    return {
        frozenset(ids)
        for form_id, _name, _scope, _value, ids in st.duplicate_identifiers(conn, project)
        if form_id != "*"
    }


def assert_identifier_rows_obey_the_law(data: DataDir, project: str) -> set[frozenset[str]]:
    """The stored rows find exactly the law's duplicates; returns them for more checks."""
    law = law_duplicates(data, project)
    assert stored_duplicates(data, project) == law
    return law
