"""A new form version may add and relax; it may not remove, retype or re-mean a field."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from forms.evolution import check_evolution
from forms.library import builtin_library
from forms.schema import (
    AnyField,
    FormDef,
    IdentifierRule,
    IntegerField,
    RepeatGroup,
    SelectOneField,
    TextField,
)


def _with(form: FormDef, name: str, **changes: Any) -> FormDef:
    """The next version of form with one top-level field changed."""
    fields = tuple(
        msgspec.structs.replace(f, **changes) if f.name == name else f for f in form.fields
    )
    return msgspec.structs.replace(form, version=form.version + 1, fields=fields)


def _in_group(form: FormDef, group: str, name: str, field: AnyField | None) -> FormDef:
    g = form.group(group)
    assert g is not None
    inner = tuple(
        x for f in g.fields for x in ([field] if f.name == name else [f]) if x is not None
    )
    return _with(form, group, fields=inner)


SITE = builtin_library().get("site_grave")
HUMAN = builtin_library().get("human_remains")
DNA = builtin_library().get("dna_sample")


def test_an_unchanged_next_version_is_fine() -> None:
    assert check_evolution(SITE, msgspec.structs.replace(SITE, version=2)) == []


@pytest.mark.parametrize(
    "new",
    [
        _with(SITE, "status", choices=(*SITE.field("status").choices, "reopened")),  # type: ignore[union-attr]
        _with(SITE, "max_depth_m", max=30.0),
        _with(SITE, "grave_no", help="the number painted on the peg"),
        msgspec.structs.replace(
            SITE, version=2, fields=(*SITE.fields, TextField(name="access_notes"))
        ),
    ],
    ids=["add-choice", "relax-range", "new-help", "add-optional-field"],
)
def test_compatible_changes_raise_no_problem(new: FormDef) -> None:
    assert check_evolution(SITE, new) == []


@pytest.mark.parametrize(
    ("old", "new", "path", "code"),
    [
        (SITE, msgspec.structs.replace(SITE, version=2, fields=SITE.fields[1:]), "site_code",
         "field_removed"),
        (SITE, msgspec.structs.replace(
            SITE, version=2,
            fields=tuple(IntegerField(name="status") if f.name == "status" else f
                         for f in SITE.fields)), "status", "field_retyped"),
        (SITE, _with(SITE, "max_depth_m", unit="ft"), "max_depth_m", "unit_changed"),
        (SITE, _with(SITE, "status", choices=("reported", "closed")), "status", "choice_removed"),
        (DNA, _with(DNA, "seal_no", immutable=False), "seal_no", "rule_loosened"),
        (DNA, _with(DNA, "custody", append_only=False), "custody", "rule_loosened"),
        (HUMAN, _with(HUMAN, "context_no", ref_form="site_grave"), "context_no", "ref_changed"),
        (HUMAN, _with(HUMAN, "context_no", ref_field="description"), "context_no", "ref_changed"),
        (HUMAN, _with(HUMAN, "inventory", item_key=("element",)), "inventory", "item_key_changed"),
        (HUMAN, _in_group(HUMAN, "inventory", "side", None), "inventory.side", "field_removed"),
        (HUMAN, _in_group(HUMAN, "inventory", "code", TextField(name="code")), "inventory.code",
         "field_retyped"),
        (SITE, msgspec.structs.replace(SITE, version=2, identifiers=()),
         "identifiers.grave_id", "identifier_changed"),
        (SITE, msgspec.structs.replace(
            SITE, version=2,
            identifiers=(SITE.identifiers[0],
                         IdentifierRule(name="grave_id", fields=("grave_no",)))),
         "identifiers.grave_id", "identifier_changed"),
        (SITE, SITE, "version", "version_not_newer"),
        (SITE, msgspec.structs.replace(DNA, version=2), "id", "not_same_form"),
    ],
)  # fmt: skip
def test_breaking_changes_are_errors(old: FormDef, new: FormDef, path: str, code: str) -> None:
    problems = [p for p in check_evolution(old, new) if p.severity == "error"]
    assert (path, code) in [(p.path, p.code) for p in problems]
    assert all(p.message.startswith(p.path) for p in problems)


@pytest.mark.parametrize(
    ("new", "path", "words"),
    [
        (_with(SITE, "max_depth_m", max=10.0), "max_depth_m", "max lowered"),
        (_with(SITE, "mni_estimate", min=1), "mni_estimate", "min raised"),
        (_with(SITE, "mni_estimate", required=True), "mni_estimate", "became required"),
        (_with(SITE, "site_code", pattern="^[A-Z]{3}-[0-9]{2}$"), "site_code", "pattern changed"),
        (_with(SITE, "datum_point", max_h_acc_m=5.0), "datum_point", "max_h_acc_m lowered"),
        (msgspec.structs.replace(
            SITE, version=2, fields=(*SITE.fields, SelectOneField(
                name="land_use", required=True, choices=("farm", "forest")))),
         "land_use", "new required field"),
        (msgspec.structs.replace(
            SITE, version=2, identifiers=(*SITE.identifiers, IdentifierRule(
                name="legal", fields=("legal_authority_ref",)))),
         "identifiers.legal", "existing records may clash"),
        (_with(HUMAN, "inventory", min_items=1), "inventory", "min_items raised"),
    ],
)  # fmt: skip
def test_tightening_changes_are_warnings(new: FormDef, path: str, words: str) -> None:
    old = HUMAN if new.id == "human_remains" else SITE
    problems = check_evolution(old, new)
    assert [(p.path, p.severity) for p in problems] == [(path, "warning")]
    assert words in problems[0].message


def test_a_group_is_compared_field_by_field() -> None:
    group = HUMAN.group("inventory")
    assert isinstance(group, RepeatGroup)
    new = _in_group(HUMAN, "inventory", "count", IntegerField(name="count", min=1))
    assert [p.path for p in check_evolution(HUMAN, new)] == ["inventory.count"]
