"""Semantic checks of a decoded form definition (what the Struct types cannot express).

`check_form(form)` returns every problem: badly formed or duplicate names, names that
clash with a record's envelope keys, empty ranges, thresholds outside their range,
regexes that do not compile, defaults that fail their own field's checks, empty or
duplicate choices, repeat-group keys that name no field, append_only on a single value,
and identifier rules whose fields are missing, optional, of a type that cannot identify
a record, or whose site scope names no site field.
"""

from __future__ import annotations

import re
import string

from forms.checkers import compile_field
from forms.schema import (
    AnyField,
    AttachmentField,
    DecimalField,
    FormDef,
    GeopointField,
    GeoshapeField,
    GeotraceField,
    IdentifierRule,
    IntegerField,
    Problem,
    ReferenceField,
    RepeatGroup,
    SelectMultipleField,
    SelectOneField,
    TextField,
    field_type,
)

# Keys every record carries outside its values (docs/forms.md §3); fields may not reuse them.
RECORD_KEYS: tuple[str, ...] = (
    "record_uuid",
    "form_id",
    "form_version",
    "created_at",
    "modified_at",
    "recorder",
    "device_id",
    "base_version",
)
FORM_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
IDENTIFIER_TYPES = ("text", "integer", "date", "select_one", "reference")
ORDER_TYPES = ("integer", "decimal", "date", "datetime")


def problem(path: str, message: str, code: str = "bad_definition") -> Problem:
    """A definition problem at a location."""
    return Problem(path=path, message=message, code=code)


def check_form(form: FormDef) -> list[Problem]:
    """Every semantic problem of a form definition, each with its location."""
    out: list[Problem] = []
    if FORM_ID.fullmatch(form.id) is None:
        text = f"form id {form.id!r} must be lowercase letters, digits and _ (start with a letter)"
        out.append(problem("id", text))
    if form.version < 1:
        out.append(problem("version", f"version must be 1 or more, got {form.version}"))
    if not form.title.strip():
        out.append(problem("title", "the form needs a title"))
    if not form.fields:
        out.append(problem("fields", "the form has no fields"))
    _check_fields(form.fields, "fields", RECORD_KEYS, out)
    _check_identifiers(form, out)
    return out


def _check_fields(
    fields: tuple[AnyField, ...], loc: str, reserved: tuple[str, ...], out: list[Problem]
) -> None:
    seen: set[str] = set()
    for i, f in enumerate(fields):
        at = f"{loc}.{f.name}" if FIELD_NAME.fullmatch(f.name) else f"{loc}[{i}]"
        if FIELD_NAME.fullmatch(f.name) is None:
            text = f"field name {f.name!r} must be lowercase letters, digits and _"
            out.append(problem(f"{at}.name", text))
        elif f.name in seen:
            out.append(problem(f"{at}.name", f"field name {f.name!r} is used twice"))
        elif f.name in reserved:
            text = f"field name {f.name!r} is reserved for the record envelope; choose another"
            out.append(problem(f"{at}.name", text))
        seen.add(f.name)
        n = len(out)
        _check_field(f, at, out)
        if f.append_only and not isinstance(f, RepeatGroup | SelectMultipleField):
            text = "append_only applies to repeat groups and select_multiple; use immutable"
            out.append(problem(f"{at}.append_only", text))
        default = getattr(f, "default", None)
        if default is not None and len(out) == n and not isinstance(f, RepeatGroup):
            compile_field(f)(default, f"{at}.default", out)


def _check_field(f: AnyField, at: str, out: list[Problem]) -> None:
    match f:
        case TextField() | ReferenceField():
            if f.pattern is not None:
                try:
                    re.compile(f.pattern)
                except re.error as exc:
                    out.append(problem(f"{at}.pattern", f"the pattern does not compile: {exc}"))
            if isinstance(f, TextField) and f.max_length is not None and f.max_length < 1:
                out.append(problem(f"{at}.max_length", "max_length must be 1 or more"))
            if isinstance(f, ReferenceField):
                for key in ("ref_form", "ref_field"):
                    if not getattr(f, key).strip():
                        out.append(problem(f"{at}.{key}", f"{key} must name a form or field"))
        case IntegerField() | DecimalField():
            _check_bounds(f.min, f.max, at, "min", "max", out)
            _check_bounds(f.warn_min, f.warn_max, at, "warn_min", "warn_max", out)
            for key in ("warn_min", "warn_max"):
                w = getattr(f, key)
                if w is not None and (
                    (f.min is not None and w < f.min) or (f.max is not None and w > f.max)
                ):
                    out.append(problem(f"{at}.{key}", f"{key} must lie between min and max"))
        case SelectOneField() | SelectMultipleField():
            if not f.choices:
                out.append(problem(f"{at}.choices", "a select field needs at least one choice"))
            seen: set[str] = set()
            for j, c in enumerate(f.choices):
                if not c.strip() or c != c.strip():
                    text = f"choice {c!r} is blank or has spaces around it"
                    out.append(problem(f"{at}.choices[{j}]", text))
                elif c in seen:
                    out.append(problem(f"{at}.choices[{j}]", f"choice {c!r} is listed twice"))
                seen.add(c)
        case GeopointField() | GeotraceField() | GeoshapeField():
            for key in ("max_h_acc_m", "warn_h_acc_m"):
                v = getattr(f, key)
                if v is not None and v < 0:
                    out.append(problem(f"{at}.{key}", f"{key} must be 0 or more"))
            _check_bounds(f.warn_h_acc_m, f.max_h_acc_m, at, "warn_h_acc_m", "max_h_acc_m", out)
        case AttachmentField():
            for j, m in enumerate(f.media_types):
                if not m.strip():
                    out.append(problem(f"{at}.media_types[{j}]", "a media type cannot be blank"))
        case RepeatGroup():
            _check_group(f, at, out)


def _check_bounds(
    lo: float | None, hi: float | None, at: str, lo_key: str, hi_key: str, out: list[Problem]
) -> None:
    if lo is not None and hi is not None and lo > hi:
        text = f"{lo_key} ({lo:g}) is above {hi_key} ({hi:g}); nothing could be entered"
        out.append(problem(f"{at}.{lo_key}", text))


def _check_group(g: RepeatGroup, at: str, out: list[Problem]) -> None:
    if not g.fields:
        out.append(problem(f"{at}.fields", "a repeat group needs at least one field"))
    _check_fields(g.fields, f"{at}.fields", ("item_id",), out)
    if g.min_items < 0:
        out.append(problem(f"{at}.min_items", "min_items must be 0 or more"))
    if g.max_items is not None:
        _check_bounds(g.min_items, g.max_items, at, "min_items", "max_items", out)
    types = {f.name: field_type(f) for f in g.fields}
    for j, key in enumerate(g.item_key):
        if key not in types:
            out.append(problem(f"{at}.item_key[{j}]", f"{key!r} is not a field of this group"))
    if g.order_by is not None:
        if g.order_by not in types:
            out.append(problem(f"{at}.order_by", f"{g.order_by!r} is not a field of this group"))
        elif types[g.order_by] not in ORDER_TYPES:
            text = f"items can be ordered by a field of type {', '.join(ORDER_TYPES)}"
            out.append(problem(f"{at}.order_by", text))


def _check_identifiers(form: FormDef, out: list[Problem]) -> None:
    seen: set[str] = set()
    for i, rule in enumerate(form.identifiers):
        at = f"identifiers.{rule.name}" if FIELD_NAME.fullmatch(rule.name) else f"identifiers[{i}]"
        if FIELD_NAME.fullmatch(rule.name) is None:
            out.append(problem(f"{at}.name", f"identifier name {rule.name!r} is not valid"))
        elif rule.name in seen:
            out.append(problem(f"{at}.name", f"identifier name {rule.name!r} is used twice"))
        seen.add(rule.name)
        if not rule.fields:
            out.append(problem(f"{at}.fields", "an identifier needs at least one field"))
        for j, name in enumerate(rule.fields):
            _check_identifier_field(form, name, f"{at}.fields[{j}]", IDENTIFIER_TYPES, out)
        _check_scope(form, rule, at, out)


def _check_identifier_field(
    form: FormDef, name: str, at: str, types: tuple[str, ...], out: list[Problem]
) -> None:
    f = form.field(name)
    if f is None:
        out.append(problem(at, f"{name!r} is not a top-level field of this form"))
    elif field_type(f) not in types:
        text = f"{name!r} is a {field_type(f)}; identifiers use {', '.join(types)} fields"
        out.append(problem(at, text))
    elif not f.required:
        out.append(problem(at, f"{name!r} identifies records, so it must be required"))


def _check_scope(form: FormDef, rule: IdentifierRule, at: str, out: list[Problem]) -> None:
    if rule.scope == "site":
        if rule.site_field is None:
            text = "scope 'site' needs site_field: the field that names the site"
            out.append(problem(f"{at}.site_field", text))
        else:
            types = ("text", "reference")
            _check_identifier_field(form, rule.site_field, f"{at}.site_field", types, out)
    elif rule.site_field is not None:
        text = "site_field applies only with scope = 'site'"
        out.append(problem(f"{at}.site_field", text))
    if rule.across_forms and rule.scope != "project":
        text = "an identifier unique across forms has scope 'project'"
        out.append(problem(f"{at}.across_forms", text))
    if rule.template is not None:
        allowed = set(rule.fields) | ({rule.site_field} if rule.site_field else set())
        try:
            names = [n for _, n, _, _ in string.Formatter().parse(rule.template) if n is not None]
        except ValueError as exc:
            out.append(problem(f"{at}.template", f"the template is malformed: {exc}"))
            return
        for name in names:
            if name not in allowed:
                text = f"{{{name}}} in the template is not one of the identifier's fields"
                out.append(problem(f"{at}.template", text))
