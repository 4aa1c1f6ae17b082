"""Duplicate human identifiers across consolidated records (DESIGN.md, law 7).

Algorithm: a hash join. Each live record claims, for every rule of its form, the key
``(rule, scope value, normalized identifier values)``; records claiming the same key are
a duplicate. Claims come from *every* live value of the identifier and scope fields,
not only the display winner: a record whose ``body_no`` is in conflict between ``B017``
and ``B018`` claims both, so no duplicate hides behind a conflict, and that record is
also reported as an :class:`IdentifierConflict`. Nothing is merged automatically
(docs/forms.md §4: "treat a duplicate as a conflict, never merge it automatically").

Choices, documented:

- Retracted records claim nothing (their numbers are voided, never reused, but a
  retracted duplicate is not a clash). A record whose retraction is contested is live.
- Strings compare after Unicode NFKC normalization, trimming and case folding, so
  ``"b017 "`` clashes with ``"B017"``; a false alarm is visible and cheap, a missed
  duplicate is silent. Other values compare by type and value (``17`` is not ``"17"``).
- A record missing any identifier field (or the scope field) claims nothing yet.
- Rules name top-level fields; repeat-group identifiers are out of scope here.

Rules arrive as plain data (:class:`IdentifierRule`); this module never imports forms.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from typing import Any

import msgspec

from sync.record import FieldState, Record

__all__ = [
    "DuplicateIdentifier",
    "IdentifierConflict",
    "IdentifierReport",
    "IdentifierRule",
    "check_identifiers",
]

_VALUE_ENCODER = msgspec.msgpack.Encoder(order="deterministic")


class IdentifierRule(msgspec.Struct, frozen=True, kw_only=True):
    """Fields whose values together must be unique among a form's records.

    ``form_id`` has no version (``"body"`` covers ``body@1`` and ``body@2``);
    ``scope_field`` names the field (e.g. the site code) within which values are unique,
    or None for project-wide uniqueness.
    """

    form_id: str
    fields: tuple[str, ...]
    scope_field: str | None = None


class DuplicateIdentifier(msgspec.Struct, frozen=True, kw_only=True):
    """One identifier value claimed by several records."""

    form_id: str
    fields: tuple[str, ...]
    scope: Any
    values: tuple[Any, ...]
    record_ids: tuple[str, ...]


class IdentifierConflict(msgspec.Struct, frozen=True, kw_only=True):
    """A record whose identifier field itself holds several live values."""

    record_id: str
    field: str
    values: tuple[Any, ...]


class IdentifierReport(msgspec.Struct, frozen=True, kw_only=True):
    """Every duplicate identifier and every identifier field in conflict."""

    duplicates: tuple[DuplicateIdentifier, ...] = ()
    conflicts: tuple[IdentifierConflict, ...] = ()


def _normalize(value: Any) -> bytes:
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip().casefold()
    return _VALUE_ENCODER.encode(value)


def _candidates(state: FieldState | None) -> list[Any]:
    """Distinct live values of a field (all of them when it is in conflict)."""
    if state is None:
        return []
    seen: dict[bytes, Any] = {}
    for write in state.live or state.history:
        if write.value is not None and write.value != "":
            seen.setdefault(_VALUE_ENCODER.encode(write.value), write.value)
    return list(seen.values())


def _form_id(form: str) -> str:
    return form.rpartition("@")[0] or form


def check_identifiers(
    records: Iterable[Record], rules: Iterable[IdentifierRule]
) -> IdentifierReport:
    """Find duplicated identifiers and identifier fields in conflict among ``records``."""
    by_form: dict[str, list[IdentifierRule]] = {}
    for rule in rules:
        by_form.setdefault(rule.form_id, []).append(rule)
    claims: dict[tuple[Any, ...], tuple[IdentifierRule, Any, tuple[Any, ...], set[str]]] = {}
    conflicts: dict[tuple[str, str], IdentifierConflict] = {}
    for record in records:
        if record.retracted:
            continue
        for rule in by_form.get(_form_id(record.form), []):
            names = (rule.scope_field, *rule.fields) if rule.scope_field else rule.fields
            options = {name: _candidates(record.fields.get(name)) for name in names}
            for name, values in options.items():
                if len(values) > 1:
                    conflicts[(record.id, name)] = IdentifierConflict(
                        record_id=record.id, field=name, values=tuple(values)
                    )
            scopes = options[rule.scope_field] if rule.scope_field else [None]
            for scope in scopes:
                for combo in itertools.product(*(options[f] for f in rule.fields)):
                    key = (
                        rule.form_id,
                        rule.fields,
                        rule.scope_field,
                        _normalize(scope),
                        tuple(_normalize(v) for v in combo),
                    )
                    claims.setdefault(key, (rule, scope, combo, set()))[3].add(record.id)
    duplicates = [
        DuplicateIdentifier(
            form_id=rule.form_id,
            fields=rule.fields,
            scope=scope,
            values=combo,
            record_ids=tuple(sorted(ids)),
        )
        for rule, scope, combo, ids in claims.values()
        if len(ids) > 1
    ]
    duplicates.sort(key=lambda d: (d.form_id, d.fields, _normalize(d.scope), _normalize(d.values)))
    return IdentifierReport(
        duplicates=tuple(duplicates),
        conflicts=tuple(conflicts[k] for k in sorted(conflicts)),
    )
