"""A record as people see it under its form: items in the form's order, what it lacks.

The one place that puts a form's rules and completeness into a record's view, for the
API, the console, the exports and the device alike (so `cairn device show --json` and
`GET /v1/records/{id}` stay equal by construction).
"""

from __future__ import annotations

from forms.completeness import missing_required
from forms.laws import rules_of
from forms.schema import FormDef
from sync.laws import NO_RULES
from sync.record import Record
from sync.view import RecordView, record_view


def view_under(form: FormDef | None, record: Record) -> RecordView:
    """The review view of a record under its form (no form known: the plain view)."""
    if form is None:
        return record_view(record, NO_RULES)
    return record_view(record, rules_of(form), missing_required(form, record))
