"""Decode and check form definitions, collecting every problem with its location.

`decode_form(data, source)` turns parsed TOML (plain dicts) into a `FormDef`. msgspec
alone stops at the first error, so each key is converted on its own against its
annotation, which reports all bad keys at once; only a clean definition is converted
whole. `check_form(form)` then checks what types cannot say: names, ranges, regexes,
defaults, repeat-group keys and identifier rules. Locations read like
`fields.inventory.fields.side.choices[2]` or `identifiers.grave_id.site_field`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import msgspec

from forms.errors import FormDefinitionError
from forms.rules import FIELD_NAME, check_form, problem
from forms.schema import FIELD_CLASSES, FormDef, IdentifierRule, Problem

_Infos = dict[str, msgspec.structs.FieldInfo]


def _infos(cls: type[msgspec.Struct]) -> _Infos:
    return {fi.name: fi for fi in msgspec.structs.fields(cls)}


_FORM_INFOS = _infos(FormDef)
_IDENT_INFOS = _infos(IdentifierRule)
_FIELD_INFOS = {name: _infos(cls) for name, cls in FIELD_CLASSES.items()}


def _convert_message(exc: msgspec.ValidationError, loc: str) -> tuple[str, str]:
    text = str(exc)
    if " - at `$" in text:
        text, _, at = text.partition(" - at `$")
        loc += at.rstrip("`")
    return loc, text.replace("null", "nothing")


def _decode_keys(
    data: Mapping[str, Any], infos: _Infos, loc: str, out: list[Problem], skip: tuple[str, ...]
) -> dict[str, Any] | None:
    """Check each key on its own; return the good keys, or None if a required one is missing."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        info = infos.get(key)
        at = f"{loc}.{key}" if loc else str(key)
        if key in skip:
            clean[key] = value
            continue
        if info is None:
            close = difflib.get_close_matches(str(key), list(infos), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.append(problem(at, f"unknown key {key!r}{hint}"))
            continue
        try:
            msgspec.convert(value, type=info.type)
        except msgspec.ValidationError as exc:
            out.append(problem(*_convert_message(exc, at)))
            continue
        clean[key] = value
    complete = True
    for name, info in infos.items():
        required = info.default is msgspec.NODEFAULT and info.default_factory is msgspec.NODEFAULT
        if required and name not in clean:
            complete = False
            if name not in data:
                at = f"{loc}.{name}" if loc else name
                out.append(problem(at, f"{name!r} is required", "missing_required"))
    return clean if complete else None


def _where(items_loc: str, i: int, item: object) -> str:
    name = item.get("name") if isinstance(item, Mapping) else None
    if isinstance(name, str) and FIELD_NAME.fullmatch(name):
        return f"{items_loc}.{name}"
    return f"{items_loc}[{i}]"


def _decode_fields(data: object, loc: str, out: list[Problem], in_group: bool) -> list[Any]:
    """Check every field table; return the ones that decode (so later checks can run)."""
    if not isinstance(data, list):
        out.append(problem(loc, "expected a list of field tables ([[fields]] in TOML)"))
        return []
    clean: list[Any] = []
    for i, item in enumerate(data):
        at = _where(loc, i, item)
        if not isinstance(item, Mapping):
            out.append(problem(at, "expected a field table with name and type"))
            continue
        kind = item.get("type")
        if kind is None:
            out.append(problem(f"{at}.type", "'type' is required", "missing_required"))
            continue
        if kind not in FIELD_CLASSES:
            known = ", ".join(FIELD_CLASSES)
            out.append(problem(f"{at}.type", f"unknown field type {kind!r}; use one of {known}"))
            continue
        if kind == "repeat" and in_group:
            out.append(problem(f"{at}.type", "a repeat group cannot contain another repeat group"))
            continue
        good = _decode_keys(item, _FIELD_INFOS[kind], at, out, ("type", "fields"))
        if kind == "repeat":
            inner = _decode_fields(item.get("fields", []), f"{at}.fields", out, in_group=True)
            if good is not None:
                good["fields"] = inner
        elif "fields" in item:
            out.append(problem(f"{at}.fields", "only a repeat group has fields"))
            if good is not None:
                del good["fields"]
        if good is not None:
            clean.append(good)
    return clean


def decode_form(data: object, source: str) -> FormDef:
    """Decode and check a parsed definition; raise FormDefinitionError listing every problem.

    When some keys are bad, the rest is still decoded and checked, so one run reports
    both kinds of problem (a wrong type here, an impossible range there).
    """
    out: list[Problem] = []
    if not isinstance(data, Mapping):
        raise FormDefinitionError(source, [problem("", "expected a table of form keys")])
    clean = _decode_keys(data, _FORM_INFOS, "", out, ("fields", "identifiers"))
    fields = _decode_fields(data.get("fields", []), "fields", out, in_group=False)
    idents = data.get("identifiers", [])
    good_idents: list[Any] = []
    if isinstance(idents, list):
        for i, item in enumerate(idents):
            at = _where("identifiers", i, item)
            if not isinstance(item, Mapping):
                out.append(problem(at, "expected an identifier table with name and fields"))
            elif (good := _decode_keys(item, _IDENT_INFOS, at, out, ())) is not None:
                good_idents.append(good)
    else:
        out.append(problem("identifiers", "expected a list of tables ([[identifiers]] in TOML)"))
    if clean is None:
        raise FormDefinitionError(source, out)
    clean.update(fields=fields, identifiers=good_idents)
    form = msgspec.convert(clean, type=FormDef)
    # A key already reported and dropped must not be reported again as missing or empty.
    reported = [p.path for p in out]
    out += [
        p
        for p in check_form(form)
        if not any(q.startswith(p.path) or p.path.startswith(q) for q in reported)
    ]
    if any(p.severity == "error" for p in out):
        raise FormDefinitionError(source, out)
    return form
