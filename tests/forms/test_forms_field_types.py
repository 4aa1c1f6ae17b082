"""Field types and options the built-in forms do not use are checked the same way."""

from __future__ import annotations

import msgspec
import pytest

from forms.errors import FormDefinitionError
from forms.library import load_form_text
from forms.schema import (
    DecimalField,
    FormDef,
    GeotraceField,
    IntegerField,
    SelectOneField,
    TextField,
)
from forms.validate import _CACHE, _CACHE_LIMIT, compile_form, validate

SURVEY = FormDef(
    id="survey",
    version=1,
    title="Survey",
    fields=(
        GeotraceField(name="track", max_h_acc_m=10, warn_h_acc_m=5),
        TextField(name="label", max_length=5),
        IntegerField(name="depth_cm", min=0, max=500, warn_min=10, warn_max=300, unit="cm"),
        DecimalField(name="temp", warn_min=-10, warn_max=45, unit="°C"),
        SelectOneField(name="colour", choices=tuple(f"c{i}" for i in range(20))),
    ),
)
A, B = {"lat": 1.0, "lon": 2.0}, {"lat": 1.1, "lon": 2.1}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"track": [A, B]}, []),
        ({"track": [A]}, [("track", "bad_geometry", "error")]),
        ({"track": "1 2;3 4"}, [("track", "wrong_type", "error")]),
        ({"track": [A, {"lat": 1, "lon": 200}]}, [("track[1].lon", "out_of_range", "error")]),
        ({"track": [A, {**B, "h_acc_m": 6}]}, [("track[1].h_acc_m", "low_accuracy", "warning")]),
        ({"label": "abcdef"}, [("label", "too_long", "error")]),
        ({"depth_cm": 5}, [("depth_cm", "unusual_value", "warning")]),
        ({"depth_cm": 350}, [("depth_cm", "unusual_value", "warning")]),
        ({"depth_cm": 600}, [("depth_cm", "out_of_range", "error")]),
        ({"temp": 50.5}, [("temp", "unusual_value", "warning")]),
        ({"temp": 20}, []),
        ({"colour": "c99"}, [("colour", "unknown_choice", "error")]),
    ],
)
def test_values_of_other_field_types(
    values: dict[str, object], expected: list[tuple[str, str, str]]
) -> None:
    problems = validate(SURVEY, values, partial=True)
    assert [(p.path, p.code, p.severity) for p in problems] == expected


def test_a_warning_names_the_usual_range_and_unit() -> None:
    [problem] = validate(SURVEY, {"depth_cm": 5}, partial=True)
    assert problem.message == "depth_cm: 5 is below the usual minimum of 10 cm; check it"


def test_long_choice_lists_and_long_values_are_shortened_in_messages() -> None:
    [problem] = validate(SURVEY, {"colour": "x" * 100}, partial=True)
    assert "…" in problem.message and "(20 choices; see `cairn forms show`)" in problem.message
    assert len(problem.message) < 200


def test_compiled_checkers_are_reused_and_the_cache_stays_bounded() -> None:
    assert compile_form(SURVEY) is compile_form(SURVEY)
    # Every form is kept alive, so no id is reused and each one is a new cache entry.
    forms = [msgspec.structs.replace(SURVEY, version=i + 1) for i in range(3 * _CACHE_LIMIT)]
    sizes = []
    for form in forms:
        compiled = compile_form(form)
        assert compiled.form is form  # never another form's checkers under a reused id
        assert compile_form(form) is compiled  # reused while it stays in the cache
        sizes.append(len(_CACHE))
    assert max(sizes) == _CACHE_LIMIT  # it fills up to the limit and never beyond
    assert validate(SURVEY, {"label": "ok"}, partial=True) == []


def test_a_wrongly_typed_list_entry_is_located_inside_the_list() -> None:
    text = (
        'id = "w"\nversion = 1\ntitle = "t"\n'
        '[[fields]]\nname = "s"\ntype = "select_one"\nchoices = ["a", 3]\n'
    )
    with pytest.raises(FormDefinitionError) as info:
        load_form_text(text, "w.toml")
    [problem] = info.value.problems
    assert problem.path == "fields.s.choices[1]"
    assert "Expected `str`, got `int`" in problem.message
