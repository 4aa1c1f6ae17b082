"""Write the validation conformance corpus: values for every field of the built-in forms
and the problems (path, message, code, severity) Python's forms.validate reports.

For every field of the seven forms (top level and inside repeat groups) the corpus holds
values of every JSON type, the field's own edge cases (each choice, a bound and just past
it, the warning bounds, a text one character too long, dates and times valid and not,
geopoints with every key, attachments with every key) and misspelt field names; each is
checked as an edit (partial), as a whole record, and for group fields as a repeat item
and inside a list of items. The forms travel as the server publishes them (msgspec's
builtins of the FormDef). tests/conformance/run_validation.mjs checks the TypeScript core.

    uv run python tests/conformance/gen_validation_corpus.py OUT.msgpack
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import msgspec

from forms.library import builtin_library
from forms.schema import (
    AnyField,
    AttachmentField,
    DecimalField,
    FormDef,
    GeopointField,
    GeoshapeField,
    GeotraceField,
    IntegerField,
    Problem,
    RepeatGroup,
    SelectMultipleField,
    SelectOneField,
    TextField,
)
from forms.validate import validate, validate_item

SHA = "ab" * 32
GENERIC: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    7,
    2**40,
    2**63 - 1,
    -(2**63),
    1.0,
    0.5,
    -0.0,
    2.5e-7,
    1e16,
    math.inf,
    -math.inf,
    math.nan,
    "",
    " ",
    "x",
    "é\U0001f600",
    "DSH-01",
    "DSH-01-G1",
    "DSH-01-G1-B001",
    "DSH-01-G1-B001-S1",
    "DSH-01-G1-B001-A01",
    "DSH-01-E0001",
    "DSH-01-P00001",
    "12, 13, 17",
    "1 of 3",
    "12",
    'it\'s "quoted"\n\ttab',
    "x" * 60,
    "z" * 38,  # its repr is 40 characters: shown whole
    "z" * 39,  # 41: cut
    "2026-05-03",
    "2026-02-30",
    "2024-02-29",
    "0000-01-01",
    "٢٠٢٦-05-03",
    "2026-5-3",
    "2026-05-03T10:15:00Z",
    "2026-05-03T10:15:00.123456789+04:00",
    "2026-05-03T10:15+10:60",
    "2026-05-03T10:15:00+23:60",
    "2026-05-03T24:00:00Z",
    "2026-05-03T10:15:00",
    "2026-05-03 10:15:00Z",
    "image/jpeg",
    [],
    [1, "a"],
    ["a", "a"],
    {},
    {"lat": 40.1, "lon": 47.5},
    {"sha256": SHA},
    [{"lat": 0, "lon": 0}, {"lat": 1, "lon": 1}],
)
POINTS: tuple[Any, ...] = (
    {"lat": 40.1, "lon": 47.5, "h_acc_m": 3.5},
    {"lat": 90, "lon": -180},
    {"lat": 90.0001, "lon": 180.5},
    {"lat": "40", "lon": None},
    {"lon": 1},
    {"lat": True, "lon": math.inf},
    {
        "lat": 40.1,
        "lon": 47.5,
        "alt_m": 812.5,
        "alt_ref": "sea_level",
        "h_acc_m": 0.8,
        "v_acc_m": 1.5,
        "fix_type": "rtk_fixed",
        "hdop": 0.7,
        "sats": 14,
        "fix_time_utc": "2026-05-03T06:15:00Z",
        "source": "rtk",
        "is_mock": False,
        "x": 1.25,
        "y": -3,
        "z": 0,
    },
    {"lat": 1, "lon": 2, "alt_ref": "moon", "fix_type": 3, "source": "eyes", "is_mock": True},
    {"lat": 1, "lon": 2, "fix_time_utc": "2026-05-03T10:15:00+04:00", "sats": -1, "hdop": -0.5},
    {"lat": 1, "lon": 2, "fix_time_utc": "yesterday", "sats": 2.0, "v_acc_m": "high"},
    {"lat": 1, "lon": 2, "h_acc_m": -1, "speed": 3},
    {"lat": 1, "lon": 2, "h_acc_m": 10.5},
    {"lat": 1, "lon": 2, "h_acc_m": 50},
    {"lat": 1, "lon": 2, "h_acc_m": 1e9, "x": None},
    {"lat": 1, "lon": 2, "x": 1, "y": 2},
    "40.1, 47.5",
)
ATTACHMENTS: tuple[Any, ...] = (
    {"sha256": SHA},
    {"sha256": SHA, "filename": "grave.jpg", "media_type": "image/jpeg", "size": 1024},
    {"sha256": SHA.upper(), "filename": "", "media_type": "jpeg", "size": -1},
    {"sha256": SHA, "media_type": "application/pdf", "size": 1.5, "colour": "red"},
    {"sha256": SHA, "media_type": "audio/ogg", "filename": 3},
    {"sha256": SHA, "media_type": "imagé/jpeg"},
    {"filename": "x.jpg"},
    {"sha256": 12},
    SHA,
)


def _number_edges(f: Any) -> list[Any]:
    out: list[Any] = []
    for bound in (f.min, f.max, f.warn_min, f.warn_max):
        if bound is not None:
            out += [bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5, float(bound)]
    return out


def values_for(field: AnyField) -> list[Any]:
    """Generic values plus the field's own edge cases."""
    out = list(GENERIC)
    t = type(field).__name__
    if t in ("IntegerField", "DecimalField"):
        out += _number_edges(field)
    choices = getattr(field, "choices", ())
    if choices:
        out += list(choices)
        out += [choices[0].upper() + "?", list(choices[:3]), [choices[0], choices[0]]]
        out += [[*choices[:2], 5]]
    max_length = getattr(field, "max_length", None)
    if max_length:
        out += ["y" * max_length, "y" * (max_length + 1), "\U0001f600" * (max_length + 1)]
    if isinstance(field, GeopointField | GeotraceField | GeoshapeField):
        out += list(POINTS)
        ring = [{"lat": 0, "lon": 0}, {"lat": 0, "lon": 1}, {"lat": 1, "lon": 1}]
        out += [
            [POINTS[0], POINTS[1]],
            [POINTS[0]],
            [*ring, {"lat": 0.0, "lon": 0}],
            [*ring, {"lat": 0, "lon": 0.5}],
            [*ring, {"lat": "0", "lon": 0}],
            [*ring, POINTS[2], {"lat": 0, "lon": 0}],
            [POINTS[6], POINTS[7], POINTS[8], POINTS[6]],
        ]
    if t == "AttachmentField":
        out += list(ATTACHMENTS)
    return out


def misspellings(name: str) -> list[str]:
    out = [name + "s", name[:-1], "x" + name, name.upper()]
    if len(name) > 3:
        out.append(name[1] + name[0] + name[2:])
    return out


def problems(found: list[Problem]) -> list[list[str]]:
    return [[p.path, p.message, p.code, p.severity] for p in found]


def cases_for(form: FormDef) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ref = form.ref

    def record(values: Any, partial: bool) -> None:
        found = problems(validate(form, values, partial=partial))
        out.append({"form": ref, "values": values, "partial": partial, "problems": found})

    def item(group: str, values: Any, partial: bool, index: int | None) -> None:
        found = problems(validate_item(form, group, values, partial=partial, index=index))
        out.append(
            {
                "form": ref,
                "group": group,
                "index": index,
                "values": values,
                "partial": partial,
                "problems": found,
            }
        )

    record({}, False)
    record({}, True)
    record([], False)
    record("x", True)
    for field in form.fields:
        for name in misspellings(field.name):
            record({name: 1}, True)
        if isinstance(field, RepeatGroup):
            record({field.name: []}, False)
            record({field.name: {}}, True)
            record({field.name: [{}] * (field.max_items or 3) + [{}]}, True)
            item(field.name, {}, False, None)
            item(field.name, {}, True, 2)
            item(field.name, {"item_id": ""}, True, None)
            item(field.name, {"item_id": 5, "zzz": 1}, True, 0)
            item("no_such_group", {}, False, None)
            for sub in field.fields:
                for name in misspellings(sub.name):
                    item(field.name, {name: 1}, True, None)
                for v in values_for(sub):
                    item(field.name, {sub.name: v}, True, None)
                    item(field.name, {sub.name: v, "item_id": "i-1"}, False, 1)
                    record({field.name: [{sub.name: v}]}, True)
            continue
        for v in values_for(field):
            record({field.name: v}, True)
            record({field.name: v}, False)
    return out


# The constraints no built-in form uses yet (length limits, item counts, warning bounds,
# long choice lists, geotraces), in one form made for the corpus.
EXTRA = FormDef(
    id="conformance_extra",
    version=1,
    title="Every constraint",
    fields=(
        TextField(name="code", required=True, max_length=8, pattern=r"[A-Z]+-\d+", help="AB-1"),
        IntegerField(name="count", min=-5, max=500, warn_min=1, warn_max=50, unit="bones"),
        DecimalField(name="depth", min=0.25, max=1e6, warn_min=0.5, warn_max=12.75, unit="m"),
        SelectOneField(name="colour", choices=tuple(f"c{i}" for i in range(14))),
        SelectMultipleField(name="marks", choices=("a", "b", "c"), required=True),
        GeopointField(name="fix", max_h_acc_m=20.0, warn_h_acc_m=5.0, require_xyz=True),
        GeotraceField(name="path", max_h_acc_m=30),
        GeoshapeField(name="outline", warn_h_acc_m=2.5),
        AttachmentField(name="scan", media_types=("image/", "application/pdf")),
        RepeatGroup(
            name="rows",
            required=True,
            min_items=2,
            max_items=3,
            fields=(TextField(name="label", required=True, max_length=3),),
        ),
    ),
)


def generate() -> bytes:
    library = builtin_library()
    chosen = [*library.all(), EXTRA]
    forms = [msgspec.to_builtins(f) for f in chosen]
    cases = [c for f in chosen for c in cases_for(f)]
    return msgspec.msgpack.encode({"version": 1, "forms": forms, "cases": cases})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    data = generate()
    args.out.write_bytes(data)
    count = len(msgspec.msgpack.decode(data)["cases"])
    print(f"wrote {count} validation cases to {args.out} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
