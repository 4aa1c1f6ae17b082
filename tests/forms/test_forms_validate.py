"""Record values are checked against their form: every problem, with its path and field name."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.library import builtin_library
from forms.schema import has_errors, only_errors
from forms.validate import validate, validate_item

SHA = "ab" * 32
POINT = {"lat": 40.1, "lon": 47.3, "h_acc_m": 3.0, "source": "gnss", "is_mock": False}
SQUARE = [
    {"lat": 40.0, "lon": 47.0},
    {"lat": 40.0, "lon": 47.001},
    {"lat": 40.001, "lon": 47.001},
    {"lat": 40.0, "lon": 47.0},
]

VALID: dict[str, dict[str, Any]] = {
    "site_grave": {
        "site_code": "DSH-01",
        "grave_no": 3,
        "legal_authority_ref": "Court order 12/2026",
        "grave_type": "mass",
        "deposition": "primary",
        "disturbance": ["looting", "machinery"],
        "datum_point": {
            "lat": 40.1,
            "lon": 47.3,
            "alt_m": 312.5,
            "alt_ref": "ellipsoid",
            "h_acc_m": 0.02,
            "v_acc_m": 0.04,
            "fix_type": "rtk_fixed",
            "hdop": 0.7,
            "sats": 21,
            "fix_time_utc": "2026-05-03T06:15:00Z",
            "source": "rtk",
            "is_mock": False,
            "x": 0.0,
            "y": 0.0,
            "z": 0.0,
        },
        "grave_outline": SQUARE,
        "length_m": 6,
        "width_m": 3.5,
        "max_depth_m": 1.8,
        "mni_estimate": 12,
        "status": "excavating",
    },
    "excavation_context": {
        "context_no": 17,
        "site_code": "DSH-01",
        "grave_id": "DSH-01-G3",
        "context_type": "fill",
        "boundary": "clear",
        "top_z_m": -0.2,
        "base_z_m": -1.4,
        "relationships": [
            {"item_id": "i1", "relation": "fills", "other_context_no": 16},
            {"relation": "below", "other_context_no": 12},
        ],
        "sieved": True,
        "mesh_mm": 5,
        "opened_by": "A. Aliyev",
        "opened_on": "2026-05-03",
    },
    "human_remains": {
        "body_no": "DSH-01-G3-B017",
        "remains_category": "articulated_body",
        "context_no": "17",
        "location": {**POINT, "x": 1.2, "y": 3.4, "z": -1.1},
        "condition": "skeletonised",
        "articulation": "full",
        "body_position": "supine",
        "arm_position": ["behind_back"],
        "leg_position": "extended",
        "head_bearing_deg": 270,
        "associated_evidence": ["ligature", "blindfold"],
        "inventory": [
            {"element": "cranium", "side": "midline", "code": 1},
            {"element": "femur", "side": "L", "code": 2, "bag_no": "B017-3"},
            {"element": "ribs", "side": "R", "code": 3, "count": 7},
        ],
        "sex_prelim": "probable_male",
        "age_class": "young_adult",
        "lifted_by": "K. Mammadova",
        "lifted_at": "2026-05-04T14:30:00+04:00",
        "body_bag_no": "BB-0042",
        "seal_no": "S-100042",
    },
    "personal_effect": {
        "item_no": "DSH-01-G3-B017-A01",
        "body_no": "DSH-01-G3-B017",
        "context_no": "17",
        "category": "document_id",
        "found_on_body": True,
        "kept_with_remains": True,
        "bag_no": "1 of 3",
        "seal_no": "S-100043",
        "photos": [{"file": {"sha256": SHA, "filename": "a01.jpg", "media_type": "image/jpeg"}}],
    },
    "dna_sample": {
        "sample_id": "DSH-01-G3-B017-S1",
        "body_no": "DSH-01-G3-B017",
        "sample_type": "bone",
        "element": "femur",
        "collected_by": "N. Huseynov",
        "witness": "K. Mammadova",
        "collected_at": "2026-05-04T15:00:00+04:00",
        "packaging": "paper_envelope",
        "storage_temp": "ambient",
        "seal_no": "S-100044",
        "custody": [
            {
                "seq": 1,
                "released_by": "N. Huseynov",
                "received_by": "Lab intake",
                "at": "2026-05-06T09:00:00+04:00",
                "purpose": "DNA extraction",
                "seal_intact": True,
                "signature": {"sha256": SHA, "media_type": "image/png", "size": 2048},
            }
        ],
    },
    "photo_log": {
        "photo_no": "DSH-01-P00042",
        "file": {"sha256": SHA, "filename": "IMG_0042.JPG", "size": 4_200_000},
        "taken_at": "2026-05-03T10:15:00.250+04:00",
        "photographer": "R. Ismayilov",
        "subject_type": "body",
        "subject_ref": "DSH-01-G3-B017",
        "bearing_deg": 0,
        "scale": True,
        "north_arrow": True,
        "id_board": False,
        "location": POINT,
    },
    "daily_log": {
        "site_code": "DSH-01",
        "log_date": "2026-05-03",
        "author": "A. Aliyev",
        "weather": "clear",
        "temp_c": -4.5,
        "personnel": [{"name": "A. Aliyev", "role": "lead", "time_in": "2026-05-03T07:00Z"}],
        "visitors": [{"name": "Prosecutor", "time_in": "2026-05-03T11:00:00+04:00"}],
        "contexts_opened": "16, 17",
        "bodies_recovered": 2,
        "samples_taken": 0,
    },
}


@pytest.mark.parametrize("form_id", sorted(VALID))
def test_a_complete_valid_record_has_no_problem(form_id: str) -> None:
    assert validate(builtin_library().get(form_id), VALID[form_id]) == []


def test_every_built_in_form_has_a_valid_example() -> None:
    assert set(VALID) == set(builtin_library().ids())


def _set(values: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of values with the value at a dotted/indexed path replaced (or deleted)."""
    out = copy.deepcopy(values)
    parts = path.replace("]", "").replace("[", ".").split(".")
    target: Any = out
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return out


DELETE = object()

# (form, path, bad value, expected problem path, expected code)
INVALID = [
    ("site_grave", "max_depth_m", 25.0, "max_depth_m", "out_of_range"),
    ("site_grave", "length_m", -1, "length_m", "out_of_range"),
    ("site_grave", "grave_no", 0, "grave_no", "out_of_range"),
    ("site_grave", "grave_no", True, "grave_no", "wrong_type"),
    ("site_grave", "grave_no", 2.5, "grave_no", "wrong_type"),
    ("site_grave", "length_m", "6", "length_m", "wrong_type"),
    ("site_grave", "length_m", float("nan"), "length_m", "wrong_type"),
    ("site_grave", "site_code", "dsh-1", "site_code", "pattern_mismatch"),
    ("site_grave", "site_code", 42, "site_code", "wrong_type"),
    ("site_grave", "site_code", DELETE, "site_code", "missing_required"),
    ("site_grave", "site_code", "", "site_code", "missing_required"),
    ("site_grave", "legal_authority_ref", None, "legal_authority_ref", "missing_required"),
    ("site_grave", "status", "open", "status", "unknown_choice"),
    ("site_grave", "status", 1, "status", "wrong_type"),
    ("site_grave", "disturbance", "looting", "disturbance", "wrong_type"),
    ("site_grave", "disturbance[1]", "looting", "disturbance[1]", "duplicate_choice"),
    ("site_grave", "disturbance[0]", "fire", "disturbance[0]", "unknown_choice"),
    ("site_grave", "disturbance[0]", 3, "disturbance[0]", "wrong_type"),
    ("site_grave", "disturbance[0]", None, "disturbance[0]", "wrong_type"),
    ("site_grave", "colour", "red", "colour", "unknown_field"),
    ("site_grave", "datum_point", "40.1 47.3", "datum_point", "wrong_type"),
    ("site_grave", "datum_point.lat", 95.0, "datum_point.lat", "out_of_range"),
    ("site_grave", "datum_point.lon", -180.5, "datum_point.lon", "out_of_range"),
    ("site_grave", "datum_point.lat", "40", "datum_point.lat", "wrong_type"),
    ("site_grave", "datum_point.lon", DELETE, "datum_point.lon", "missing_required"),
    ("site_grave", "datum_point.h_acc_m", -0.5, "datum_point.h_acc_m", "out_of_range"),
    ("site_grave", "datum_point.h_acc_m", 12.0, "datum_point.h_acc_m", "out_of_range"),
    ("site_grave", "datum_point.v_acc_m", -1, "datum_point.v_acc_m", "out_of_range"),
    ("site_grave", "datum_point.hdop", True, "datum_point.hdop", "wrong_type"),
    ("site_grave", "datum_point.sats", 7.5, "datum_point.sats", "wrong_type"),
    ("site_grave", "datum_point.sats", -1, "datum_point.sats", "out_of_range"),
    ("site_grave", "datum_point.alt_ref", "geoid", "datum_point.alt_ref", "unknown_choice"),
    ("site_grave", "datum_point.source", "gps", "datum_point.source", "unknown_choice"),
    ("site_grave", "datum_point.fix_type", 4, "datum_point.fix_type", "unknown_choice"),
    ("site_grave", "datum_point.is_mock", "no", "datum_point.is_mock", "wrong_type"),
    ("site_grave", "datum_point.speed", 3, "datum_point.speed", "unknown_field"),
    (
        "site_grave",
        "datum_point.fix_time_utc",
        "2026-05-03T10:15:00+04:00",
        "datum_point.fix_time_utc",
        "bad_datetime",
    ),
    ("site_grave", "grave_outline", SQUARE[:3], "grave_outline", "bad_geometry"),
    ("site_grave", "grave_outline[3]", {"lat": 40.5, "lon": 47.0}, "grave_outline", "bad_geometry"),
    ("site_grave", "grave_outline[1].lat", 91, "grave_outline[1].lat", "out_of_range"),
    ("site_grave", "grave_outline", {"lat": 1, "lon": 2}, "grave_outline", "wrong_type"),
    ("excavation_context", "top_z_m", -25, "top_z_m", "out_of_range"),
    ("excavation_context", "mesh_mm", 0.5, "mesh_mm", "out_of_range"),
    ("excavation_context", "sieved", "yes", "sieved", "wrong_type"),
    ("excavation_context", "opened_on", "03/05/2026", "opened_on", "bad_date"),
    ("excavation_context", "opened_on", "2026-02-30", "opened_on", "bad_date"),
    ("excavation_context", "opened_on", 20260503, "opened_on", "wrong_type"),
    ("excavation_context", "grave_id", "DSH-01-3", "grave_id", "pattern_mismatch"),
    ("excavation_context", "relationships", {}, "relationships", "wrong_type"),
    ("excavation_context", "relationships[0]", "fills 16", "relationships[0]", "wrong_type"),
    (
        "excavation_context",
        "relationships[1].relation",
        "under",
        "relationships[1].relation",
        "unknown_choice",
    ),
    (
        "excavation_context",
        "relationships[0].other_context_no",
        DELETE,
        "relationships[0].other_context_no",
        "missing_required",
    ),
    ("excavation_context", "relationships[0].item_id", 5, "relationships[0].item_id", "wrong_type"),
    ("excavation_context", "relationships[0].note", "x", "relationships[0].note", "unknown_field"),
    ("human_remains", "inventory[2].side", "left", "inventory[2].side", "unknown_choice"),
    ("human_remains", "inventory[0].code", 4, "inventory[0].code", "out_of_range"),
    ("human_remains", "inventory[2].count", -2, "inventory[2].count", "out_of_range"),
    (
        "human_remains",
        "inventory[1].element",
        "thighbone",
        "inventory[1].element",
        "unknown_choice",
    ),
    ("human_remains", "head_bearing_deg", 360, "head_bearing_deg", "out_of_range"),
    ("human_remains", "location.z", DELETE, "location.z", "missing_required"),
    ("human_remains", "lifted_at", "2026-05-04T14:30:00", "lifted_at", "bad_datetime"),
    ("human_remains", "lifted_at", "2026-05-04 14:30", "lifted_at", "bad_datetime"),
    ("human_remains", "lifted_at", "2026-13-04T14:30:00Z", "lifted_at", "bad_datetime"),
    ("human_remains", "lifted_at", 1714831800, "lifted_at", "wrong_type"),
    ("human_remains", "body_no", "DSH-01-G3-017", "body_no", "pattern_mismatch"),
    ("personal_effect", "photos", [], "photos", "too_few_items"),
    ("personal_effect", "photos", DELETE, "photos", "missing_required"),
    ("personal_effect", "photos[0].file.sha256", "AB" * 32, "photos[0].file.sha256", "bad_sha256"),
    ("personal_effect", "photos[0].file.sha256", "ab" * 31, "photos[0].file.sha256", "bad_sha256"),
    (
        "personal_effect",
        "photos[0].file.sha256",
        DELETE,
        "photos[0].file.sha256",
        "missing_required",
    ),
    (
        "personal_effect",
        "photos[0].file.media_type",
        "video/mp4",
        "photos[0].file.media_type",
        "unknown_choice",
    ),
    (
        "personal_effect",
        "photos[0].file.media_type",
        "jpeg",
        "photos[0].file.media_type",
        "wrong_type",
    ),
    ("personal_effect", "photos[0].file.filename", "", "photos[0].file.filename", "wrong_type"),
    ("personal_effect", "photos[0].file.url", "http://x", "photos[0].file.url", "unknown_field"),
    ("personal_effect", "photos[0].file", SHA, "photos[0].file", "wrong_type"),
    ("personal_effect", "bag_no", "bag 1", "bag_no", "pattern_mismatch"),
    ("personal_effect", "found_on_body", 1, "found_on_body", "wrong_type"),
    ("dna_sample", "custody", [], "custody", "too_few_items"),
    ("dna_sample", "custody", DELETE, "custody", "missing_required"),
    ("dna_sample", "custody[0].seq", 0, "custody[0].seq", "out_of_range"),
    ("dna_sample", "custody[0].seal_intact", None, "custody[0].seal_intact", "missing_required"),
    ("dna_sample", "custody[0].signature.size", -1, "custody[0].signature.size", "wrong_type"),
    ("dna_sample", "collected_at", "yesterday", "collected_at", "bad_datetime"),
    ("dna_sample", "storage_temp", "-20", "storage_temp", "unknown_choice"),
    ("dna_sample", "sample_id", "DSH-01-G3-B017", "sample_id", "pattern_mismatch"),
    ("photo_log", "photo_no", "DSH-01-P42", "photo_no", "pattern_mismatch"),
    ("photo_log", "file.sha256", "not-a-hash", "file.sha256", "bad_sha256"),
    ("photo_log", "taken_at", DELETE, "taken_at", "missing_required"),
    ("photo_log", "bearing_deg", -1, "bearing_deg", "out_of_range"),
    ("daily_log", "temp_c", 60, "temp_c", "out_of_range"),
    ("daily_log", "log_date", "2026-5-3", "log_date", "bad_date"),
    ("daily_log", "personnel[0].name", DELETE, "personnel[0].name", "missing_required"),
    ("daily_log", "personnel[0].time_in", "07:00", "personnel[0].time_in", "bad_datetime"),
    ("daily_log", "contexts_opened", "16; 17", "contexts_opened", "pattern_mismatch"),
]


@pytest.mark.parametrize(("form_id", "at", "bad", "path", "code"), INVALID)
def test_an_invalid_value_is_reported_at_its_path_naming_the_field(
    form_id: str, at: str, bad: Any, path: str, code: str
) -> None:
    problems = validate(builtin_library().get(form_id), _set(VALID[form_id], at, bad))
    assert [(p.path, p.code, p.severity) for p in problems] == [(path, code, "error")]
    assert problems[0].message.startswith(f"{path}: ")
    assert has_errors(problems)


def test_the_depth_message_says_value_limit_and_unit() -> None:
    form = builtin_library().get("site_grave")
    [problem] = validate(form, _set(VALID["site_grave"], "max_depth_m", 25.0))
    assert problem.message == "max_depth_m: 25.0 is above the maximum of 20 m for this form"


def test_every_problem_is_returned_not_only_the_first() -> None:
    form = builtin_library().get("site_grave")
    values = _set(VALID["site_grave"], "max_depth_m", 25.0)
    values = _set(values, "datum_point.lat", -91)
    values = _set(values, "status", "gone")
    del values["grave_type"]
    paths = {p.path for p in validate(form, values)}
    assert paths == {"max_depth_m", "datum_point.lat", "status", "grave_type"}


def test_a_misspelt_field_gets_a_suggestion() -> None:
    form = builtin_library().get("site_grave")
    [problem] = validate(form, {**VALID["site_grave"], "max_depht_m": 2})
    assert "did you mean max_depth_m?" in problem.message


@pytest.mark.parametrize(
    ("at", "value", "code"),
    [
        ("datum_point.h_acc_m", 7.5, "low_accuracy"),
        ("datum_point.is_mock", True, "mock_location"),
    ],
)
def test_a_doubtful_position_is_a_warning_not_an_error(at: str, value: Any, code: str) -> None:
    form = builtin_library().get("site_grave")
    problems = validate(form, _set(VALID["site_grave"], at, value))
    assert [(p.path, p.code, p.severity) for p in problems] == [(at, code, "warning")]
    assert not has_errors(problems)
    assert only_errors(problems) == []


def test_a_record_that_is_not_an_object_is_one_problem() -> None:
    [problem] = validate(builtin_library().get("photo_log"), ["DSH-01-P00001"])
    assert problem.code == "wrong_type"


def test_a_partial_edit_needs_no_required_fields() -> None:
    form = builtin_library().get("human_remains")
    assert validate(form, {"condition": "burnt"}, partial=True) == []
    assert validate(form, {"sex_prelim": None}, partial=True) == []


def test_a_partial_edit_is_still_type_checked() -> None:
    form = builtin_library().get("human_remains")
    [problem] = validate(form, {"head_bearing_deg": 400}, partial=True)
    assert problem.path == "head_bearing_deg"


def test_a_partial_edit_cannot_clear_a_required_field() -> None:
    form = builtin_library().get("human_remains")
    [problem] = validate(form, {"seal_no": None}, partial=True)
    assert (problem.path, problem.code) == ("seal_no", "missing_required")


def test_a_full_record_reports_each_missing_required_field() -> None:
    form = builtin_library().get("dna_sample")
    required = {f.name for f in form.fields if f.required}
    problems = validate(form, {})
    assert {p.path for p in problems} == required
    assert all(p.code == "missing_required" for p in problems)


def test_one_inventory_item_is_validated_with_its_group_path() -> None:
    form = builtin_library().get("human_remains")
    item = {"element": "femur", "side": "X", "code": 4, "item_id": "01J0"}
    problems = validate_item(form, "inventory", item)
    assert [p.path for p in problems] == ["inventory.side", "inventory.code"]
    indexed = validate_item(form, "inventory", item, index=3)
    assert [p.path for p in indexed] == ["inventory[3].side", "inventory[3].code"]
    assert indexed[0].message.startswith("inventory[3].side: 'X' is not one of")


def test_an_item_edit_may_carry_some_fields_only() -> None:
    form = builtin_library().get("human_remains")
    assert validate_item(form, "inventory", {"code": 2}, partial=True) == []
    problems = validate_item(form, "inventory", {"code": 2})
    assert [p.path for p in problems] == ["inventory.element", "inventory.side"]


def test_an_unknown_group_is_a_problem_not_an_exception() -> None:
    [problem] = validate_item(builtin_library().get("dna_sample"), "custodians", {})
    assert (problem.path, problem.code) == ("custodians", "unknown_group")


def test_a_group_with_too_many_items_is_reported() -> None:
    import msgspec

    form = builtin_library().get("dna_sample")
    custody = form.group("custody")
    assert custody is not None
    small = msgspec.structs.replace(custody, max_items=1, min_items=2)
    fields = tuple(small if f.name == "custody" else f for f in form.fields)
    limited = msgspec.structs.replace(form, fields=fields)
    item = VALID["dna_sample"]["custody"][0]
    assert [p.code for p in validate(limited, {**VALID["dna_sample"], "custody": [item]})] == [
        "too_few_items"
    ]
    two = {**VALID["dna_sample"], "custody": [item, {**item, "seq": 2}]}
    assert [p.code for p in validate(limited, two)] == ["too_many_items"]


@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180))
def test_any_coordinate_on_earth_is_accepted(lat: float, lon: float) -> None:
    form = builtin_library().get("photo_log")
    assert validate(form, {"location": {"lat": lat, "lon": lon}}, partial=True) == []


@given(lat=st.floats(allow_nan=False).filter(lambda x: abs(x) > 90))
def test_any_latitude_beyond_a_pole_is_refused(lat: float) -> None:
    form = builtin_library().get("photo_log")
    [problem] = validate(form, {"location": {"lat": lat, "lon": 0}}, partial=True)
    assert problem.path == "location.lat"


@given(st.dictionaries(st.text(max_size=8), st.none() | st.integers() | st.text(max_size=8)))
def test_validation_never_raises_on_arbitrary_input(values: dict[str, Any]) -> None:
    for form in builtin_library().all():
        for p in validate(form, values):
            assert p.message.startswith(p.path)
