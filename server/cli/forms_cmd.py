"""`cairn forms …`: list, show and check form definitions."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from forms.errors import FormDefinitionError, FormError
from forms.evolution import check_evolution
from forms.library import builtin_library, load_form_file
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

_WRAP = 64


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `forms` command group."""
    parser = sub.add_parser(
        "forms",
        help="list, show and check form definitions",
        description="List, show and check form definitions.",
    )
    forms_sub = parser.add_subparsers(dest="forms_command", metavar="SUBCOMMAND")
    forms_sub.required = True
    p = forms_sub.add_parser("list", help="the built-in forms with their versions and titles")
    p.set_defaults(func=_list)
    p = forms_sub.add_parser("show", help="a readable table of a form's fields")
    p.add_argument("form", metavar="FORM[@VERSION]", help="e.g. human_remains or site_grave@1")
    p.set_defaults(func=_show)
    p = forms_sub.add_parser(
        "check",
        help="check form-definition TOML files; exit 1 when invalid",
        description="Check form-definition TOML files a project brings, against the built-in "
        "forms (references, new versions). Files given together may reference each other.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=_check)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in rows
    ]


def _list(args: argparse.Namespace) -> int:
    lib = builtin_library()
    rows = [["form", "versions", "title"]]
    for form_id in lib.ids():
        versions = ", ".join(str(v) for v in lib.versions(form_id))
        rows.append([form_id, versions, lib.get(form_id).title])
    for line in _table(rows):
        print(line.rstrip())
    return 0


def _range(lo: float | None, hi: float | None, unit: str) -> str:
    u = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}{u}"
    if lo is not None:
        return f"≥ {lo:g}{u}"
    return f"≤ {hi:g}{u}" if hi is not None else ""


def constraints(f: AnyField) -> str:
    """One line describing a field's constraints, choices and units."""
    parts: list[str] = []
    match f:
        case TextField() | ReferenceField():
            if isinstance(f, ReferenceField):
                parts.append(f"→ {f.ref_form}.{f.ref_field}")
            if f.pattern:
                parts.append(f"pattern {f.pattern}")
            if isinstance(f, TextField) and f.max_length:
                parts.append(f"at most {f.max_length} characters")
        case IntegerField() | DecimalField():
            parts.append(_range(f.min, f.max, f.unit) or (f.unit and f"in {f.unit}"))
            if f.warn_min is not None or f.warn_max is not None:
                parts.append(f"usual {_range(f.warn_min, f.warn_max, f.unit)}")
        case SelectOneField() | SelectMultipleField():
            parts.append(", ".join(f.choices))
        case GeopointField() | GeotraceField() | GeoshapeField():
            if isinstance(f, GeotraceField):
                parts.append("≥ 2 points")
            if isinstance(f, GeoshapeField):
                parts.append("closed, ≥ 4 points")
            if f.max_h_acc_m is not None:
                parts.append(f"h_acc ≤ {f.max_h_acc_m:g} m")
            if f.warn_h_acc_m is not None:
                parts.append(f"warn above {f.warn_h_acc_m:g} m")
            if isinstance(f, GeopointField) and f.require_xyz:
                parts.append("local x/y/z required")
        case AttachmentField():
            parts.append("sha256" + (f"; {', '.join(f.media_types)}" if f.media_types else ""))
        case RepeatGroup():
            if f.min_items or f.max_items is not None:
                parts.append(f"items {_range(f.min_items, f.max_items, '')}")
            if f.item_key:
                parts.append(f"key {'+'.join(f.item_key)}")
            if f.order_by:
                parts.append(f"ordered by {f.order_by}")
    default = getattr(f, "default", None)
    if default is not None:
        parts.append(f"default {str(default).lower() if isinstance(default, bool) else default}")
    return "; ".join(p for p in parts if p)


def _flags(f: AnyField, identifying: set[str]) -> str:
    flags = [
        name
        for name, on in (
            ("identifier", f.name in identifying),
            ("immutable", f.immutable),
            ("append-only", f.append_only),
        )
        if on
    ]
    return ", ".join(flags)


def _field_rows(f: AnyField, indent: str, identifying: set[str]) -> list[list[str]]:
    lines = textwrap.wrap(constraints(f), _WRAP, break_on_hyphens=False) or [""]
    req = "yes" if f.required else ""
    rows = [[indent + f.name, field_type(f), req, lines[0], _flags(f, identifying)]]
    rows += [["", "", "", line, ""] for line in lines[1:]]
    if isinstance(f, RepeatGroup):
        for g in f.fields:
            rows += _field_rows(g, indent + "  ", set())
    return rows


def _identifier_line(rule: IdentifierRule) -> str:
    text = rule.template or " + ".join(rule.fields)
    scope = f"unique per site ({rule.site_field})" if rule.scope == "site" else "unique in project"
    return f"  {rule.name}: {text}, {scope}"


def render_form(form: FormDef) -> list[str]:
    """The lines of `cairn forms show`: header, aligned field table, identifiers, notes."""
    out = [f"{form.ref}  {form.title}"]
    if form.description:
        out.append(form.description)
    out.append("")
    identifying = {name for rule in form.identifiers for name in rule.fields}
    rows = [["field", "type", "req", "constraints", "rules"]]
    for f in form.fields:
        rows += _field_rows(f, "", identifying)
    out += [line.rstrip() for line in _table(rows)]
    if form.identifiers:
        out += ["", "Identifiers (must be unique):"]
        out += [_identifier_line(rule) for rule in form.identifiers]
    if form.notes.strip():
        out += ["", "Notes:"]
        out += textwrap.wrap(
            " ".join(form.notes.split()), 88, initial_indent="  ", subsequent_indent="  "
        )
    return out


def _show(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    try:
        form = builtin_library().resolve(args.form)
    except FormError as exc:
        raise CommandError(f"{exc}; see `cairn forms list`") from exc
    for line in render_form(form):
        print(line)
    return 0


def _print_problems(source: str, problems: tuple[Problem, ...] | list[Problem]) -> None:
    count = len(problems)
    print(f"{source}: {count} problem{'s' if count != 1 else ''}")
    for p in problems:
        print(f"  {p.path or '(top level)'}: {p.message}")


def _check(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    forms: list[FormDef] = []
    status = 0
    for path in args.files:
        try:
            forms.append(load_form_file(path))
        except FormDefinitionError as exc:
            _print_problems(exc.source, exc.problems)
            status = 1
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if status:
        return status
    library = builtin_library().copy()
    try:
        library.add_all(forms)
    except FormDefinitionError as exc:
        _print_problems(exc.source, exc.problems)
        return 1
    except FormError as exc:
        print(f"{exc}")
        return 1
    for form in forms:
        earlier = [v for v in library.versions(form.id) if v < form.version]
        if earlier:
            previous = library.get(form.id, earlier[-1])
            for p in check_evolution(previous, form):
                print(f"  warning: {p.message}")
        print(f"ok: {form.ref} ({len(form.fields)} fields) is a valid form definition")
    return 0
