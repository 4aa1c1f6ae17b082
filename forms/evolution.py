"""Rules for publishing a new version of a form: `check_evolution(old, new)`.

Records name `form_id@version` and are always checked against their own version, so a
new version never invalidates old records. But consolidated views, exports and merges
read a field name as one meaning across versions, so a new version may add optional
fields, add choices, relax ranges and add help; it may not remove, rename or retype a
field, change its unit or reference target, drop choices, loosen write rules
(immutable, append_only) or change how records are identified. Those are errors;
changes that only tighten what new records accept are warnings.
"""

from __future__ import annotations

from forms.schema import AnyField, FormDef, Problem, RepeatGroup, field_type


def _error(out: list[Problem], path: str, text: str, code: str) -> None:
    out.append(Problem(path=path, message=f"{path}: {text}", code=code))


def _warn(out: list[Problem], path: str, text: str) -> None:
    out.append(Problem(path=path, message=f"{path}: {text}", code="tightened", severity="warning"))


def check_evolution(old: FormDef, new: FormDef) -> list[Problem]:
    """Every problem with publishing `new` as a later version of `old`."""
    out: list[Problem] = []
    if new.id != old.id:
        _error(out, "id", f"{new.id!r} is not a new version of {old.id!r}", "not_same_form")
        return out
    if new.version <= old.version:
        text = f"version {new.version} must be greater than {old.version}"
        _error(out, "version", text, "version_not_newer")
    _compare_fields(old.fields, new.fields, "", out)
    old_rules = {r.name: r for r in old.identifiers}
    new_rules = {r.name: r for r in new.identifiers}
    for name, rule in old_rules.items():
        path = f"identifiers.{name}"
        if name not in new_rules:
            _error(out, path, "an identifier rule cannot be removed", "identifier_changed")
        elif new_rules[name] != rule:
            text = "an identifier rule cannot change (fields, scope, site field or template)"
            _error(out, path, text, "identifier_changed")
    for name in new_rules.keys() - old_rules.keys():
        _warn(out, f"identifiers.{name}", "a new identifier rule: existing records may clash")
    return out


def _compare_fields(
    old: tuple[AnyField, ...], new: tuple[AnyField, ...], prefix: str, out: list[Problem]
) -> None:
    new_by_name = {f.name: f for f in new}
    old_names = {f.name for f in old}
    for f in old:
        path = f"{prefix}{f.name}"
        g = new_by_name.get(f.name)
        if g is None:
            text = "was removed or renamed; keep the field so older records keep their meaning"
            _error(out, path, text, "field_removed")
        elif field_type(g) != field_type(f):
            text = f"changed type from {field_type(f)} to {field_type(g)}; add a new field instead"
            _error(out, path, text, "field_retyped")
        else:
            _compare_field(f, g, path, out)
    for g in new:
        if g.name not in old_names and g.required:
            _warn(out, f"{prefix}{g.name}", "a new required field: older records have no value")


def _compare_field(f: AnyField, g: AnyField, path: str, out: list[Problem]) -> None:
    for key, code in (("unit", "unit_changed"), ("ref_form", "ref_changed")):
        if getattr(f, key, None) != getattr(g, key, None):
            text = f"{key} changed; that gives the field a new meaning, add a new field instead"
            _error(out, path, text, code)
    if getattr(f, "ref_field", None) != getattr(g, "ref_field", None):
        _error(out, path, "ref_field changed; add a new field instead", "ref_changed")
    for flag in ("immutable", "append_only"):
        if getattr(f, flag) and not getattr(g, flag):
            _error(out, path, f"{flag} cannot be dropped once records rely on it", "rule_loosened")
    removed = [c for c in getattr(f, "choices", ()) if c not in getattr(g, "choices", ())]
    if removed:
        text = f"choices removed ({', '.join(removed)}); older records use them, keep them"
        _error(out, path, text, "choice_removed")
    if g.required and not f.required:
        _warn(out, path, "became required")
    for key in ("min", "min_items"):
        a, b = getattr(f, key, None), getattr(g, key, None)
        if b is not None and (a is None or b > a):
            _warn(out, path, f"{key} raised to {b}")
    for key in ("max", "max_items", "max_length", "max_h_acc_m"):
        a, b = getattr(f, key, None), getattr(g, key, None)
        if b is not None and (a is None or b < a):
            _warn(out, path, f"{key} lowered to {b}")
    if getattr(f, "pattern", None) != getattr(g, "pattern", None):
        _warn(out, path, "pattern changed; older values may not match it")
    if isinstance(f, RepeatGroup) and isinstance(g, RepeatGroup):
        if f.item_key != g.item_key:
            text = "item_key changed; items merge by it, so it cannot change"
            _error(out, path, text, "item_key_changed")
        _compare_fields(f.fields, g.fields, f"{path}.", out)
