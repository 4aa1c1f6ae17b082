"""The built-in form library loads, keeps every version and names what it cannot find."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from forms.errors import FormDefinitionError, FormLibraryError, FormRefError, UnknownFormError
from forms.library import (
    FormLibrary,
    builtin_library,
    check_references,
    load_form_file,
    parse_form_ref,
)
from forms.schema import ReferenceField, RepeatGroup, TextField

DEFINITIONS = Path(__file__).resolve().parents[2] / "forms" / "definitions"
BUILT_IN = [
    "site_grave",
    "excavation_context",
    "human_remains",
    "personal_effect",
    "dna_sample",
    "photo_log",
    "daily_log",
]


@pytest.mark.parametrize("form_id", BUILT_IN)
def test_every_built_in_definition_file_loads_as_version_1(form_id: str) -> None:
    form = load_form_file(DEFINITIONS / f"{form_id}.toml")
    assert (form.id, form.version) == (form_id, 1)
    assert builtin_library().get(form_id) == form
    assert "docs/forms.md" in form.notes


def test_the_library_holds_exactly_the_seven_forms() -> None:
    assert builtin_library().ids() == tuple(sorted(BUILT_IN))
    assert len(builtin_library()) == 7
    assert [f.ref for f in builtin_library().all()] == [f"{i}@1" for i in sorted(BUILT_IN)]


@pytest.mark.parametrize(
    ("form_id", "group", "fields"),
    [
        ("human_remains", "inventory", ["element", "side", "code", "count", "bag_no"]),
        ("dna_sample", "custody", ["seq", "released_by", "received_by", "at", "purpose",
                                   "seal_intact", "seal_no_after", "location", "signature"]),
        ("daily_log", "personnel", ["name", "role", "time_in", "time_out"]),
        ("daily_log", "visitors", ["name", "organisation", "purpose", "escorted_by", "time_in",
                                   "time_out"]),
    ],
)  # fmt: skip
def test_repeat_groups_have_their_fields(form_id: str, group: str, fields: list[str]) -> None:
    g = builtin_library().get(form_id).group(group)
    assert g is not None
    assert [f.name for f in g.fields] == fields


def test_custody_is_append_only_and_seals_are_immutable() -> None:
    dna = builtin_library().get("dna_sample")
    custody = dna.group("custody")
    assert custody is not None and custody.append_only and custody.order_by == "seq"
    for name in ("seal_no", "collected_at"):
        field = dna.field(name)
        assert field is not None and field.immutable
    assert dna.field("nope") is None and dna.group("seal_no") is None


def test_identifier_rules_name_their_scope() -> None:
    rules = {r.name: r for r in builtin_library().get("site_grave").identifiers}
    assert "site_code" not in rules  # a site holds many graves: the grave id identifies one
    grave = rules["grave_id"]
    assert (grave.scope, grave.site_field, grave.template) == (
        "site",
        "site_code",
        "{site_code}-G{grave_no}",
    )
    daily = builtin_library().get("daily_log").identifiers[0]
    assert (daily.fields, daily.site_field) == (("log_date", "author"), "site_code")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("site_grave@1", ("site_grave", 1)), ("daily_log", ("daily_log", None)),
     (" photo_log@12 ", ("photo_log", 12))],
)  # fmt: skip
def test_form_refs_parse(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_form_ref(text) == expected


@pytest.mark.parametrize("text", ["site_grave@", "site_grave@0", "Site_grave@1", "@1", "a@b", ""])
def test_malformed_form_refs_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(FormRefError, match=r"e\.g\. site_grave@1"):
        parse_form_ref(text)


def test_unknown_forms_and_versions_raise_clear_errors() -> None:
    lib = builtin_library()
    with pytest.raises(UnknownFormError, match="unknown form 'grave'; known forms: daily_log"):
        lib.get("grave")
    with pytest.raises(UnknownFormError, match="has no version 2; it has 1"):
        lib.resolve("site_grave@2")
    with pytest.raises(UnknownFormError):
        lib.versions("grave")
    assert "site_grave@1" in lib and "site_grave" in lib
    assert "site_grave@2" not in lib and "bad ref!" not in lib and 3 not in lib


def _v2() -> msgspec.Struct:
    base = builtin_library().get("photo_log")
    extra = TextField(name="weather_note", help="light conditions")
    return msgspec.structs.replace(base, version=2, fields=(*base.fields, extra))


def test_a_new_version_is_added_and_the_old_one_kept() -> None:
    lib = builtin_library().copy()
    v2 = _v2()
    lib.add(v2)  # type: ignore[arg-type]
    assert lib.versions("photo_log") == (1, 2)
    assert lib.get("photo_log").version == 2
    assert lib.get("photo_log", 1) == builtin_library().get("photo_log")
    lib.add(v2)  # type: ignore[arg-type]  # the same definition again is a no-op
    assert lib.versions("photo_log") == (1, 2)
    assert builtin_library().versions("photo_log") == (1,)


def test_a_breaking_new_version_is_refused_and_nothing_changes() -> None:
    lib = builtin_library().copy()
    base = lib.get("photo_log")
    broken = msgspec.structs.replace(base, version=2, fields=base.fields[1:])
    with pytest.raises(FormDefinitionError, match="photo_no: was removed or renamed"):
        lib.add(broken)
    assert lib.versions("photo_log") == (1,)


def test_an_older_version_added_later_must_evolve_into_the_newer() -> None:
    base = builtin_library().get("photo_log")
    lib = FormLibrary([_v2()])  # type: ignore[list-item]
    clash = ReferenceField(name="weather_note", ref_form="photo_log", ref_field="photo_no")
    odd_v1 = msgspec.structs.replace(base, fields=(*base.fields, clash))
    with pytest.raises(FormDefinitionError, match="weather_note: changed type from reference"):
        lib.add(odd_v1)
    lib.add(base)
    assert lib.versions("photo_log") == (1, 2)


def test_a_different_definition_under_a_known_ref_is_refused() -> None:
    lib = builtin_library().copy()
    changed = msgspec.structs.replace(lib.get("photo_log"), title="Photos")
    with pytest.raises(FormLibraryError, match="publish changes as a new version"):
        lib.add(changed)


def test_the_shared_built_in_library_is_read_only() -> None:
    with pytest.raises(FormLibraryError, match=r"copy\(\)"):
        builtin_library().add(_v2())  # type: ignore[arg-type]


def test_a_form_with_errors_cannot_be_added() -> None:
    bad = msgspec.structs.replace(builtin_library().get("photo_log"), id="Photo", version=3)
    with pytest.raises(FormDefinitionError, match="form id 'Photo'"):
        FormLibrary([bad])


def test_references_must_name_a_known_form_and_field() -> None:
    ref = ReferenceField(name="grave", ref_form="graves", ref_field="grave_id")
    ref2 = ReferenceField(name="site", ref_form="site_grave", ref_field="site_name")
    me = ReferenceField(name="me", ref_form="mine", ref_field="code")
    inner = ReferenceField(name="body", ref_form="human_remains", ref_field="body_no")
    form = msgspec.structs.replace(
        builtin_library().get("photo_log"),
        id="mine",
        fields=(
            TextField(name="code", required=True),
            ref,
            ref2,
            me,
            RepeatGroup(name="bodies", fields=(inner,)),
        ),
        identifiers=(),
    )
    problems = check_references(form, builtin_library())
    assert [(p.path, p.code) for p in problems] == [
        ("fields.grave.ref_form", "unknown_ref"),
        ("fields.site.ref_field", "unknown_ref"),
    ]
    with pytest.raises(FormDefinitionError, match="'graves' is not a known form"):
        builtin_library().copy().add(form)


def test_a_missing_file_is_an_os_error() -> None:
    with pytest.raises(FileNotFoundError):
        load_form_file(DEFINITIONS / "nope.toml")


def test_a_file_that_is_not_utf8_or_not_toml_is_a_definition_error(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'title = "Fosse \xe9"\n')
    with pytest.raises(FormDefinitionError, match="not UTF-8"):
        load_form_file(latin)
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\n[[fields]\n', encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=r"not valid TOML: .*line 2") as info:
        load_form_file(broken)
    assert info.value.problems[0].code == "bad_toml"


ROOT = Path(__file__).parents[2]
# The form reference, however it is cited (a FORMS.md at the top level was cited, not there).
CITATION = re.compile(r"(?<![\w/.-])([\w/-]*forms\.md)(?: (§\d(?: F\d)?|F\d))?", re.I)


def test_the_form_reference_cited_is_in_the_repository_with_each_section_cited() -> None:
    texts = {f"{f} notes": builtin_library().get(f).notes for f in BUILT_IN}
    for pattern in ("forms/**/*.py", "forms/**/*.toml", "sync/**/*.py", "server/**/*.py"):
        texts |= {str(p.relative_to(ROOT)): p.read_text() for p in ROOT.glob(pattern)}
    for p in (ROOT / "docs").glob("*.md"):
        if p.name != "forms.md":  # its source list names other projects' files
            texts[str(p.relative_to(ROOT))] = p.read_text()
    headings = [h for h in (ROOT / "docs/forms.md").read_text().splitlines() if h[:1] == "#"]
    sections = 0
    for where, text in texts.items():
        for match in CITATION.finditer(text):
            name, section = match[1], match[2]
            here = ROOT / Path(where).parent / name if where.startswith("docs/") else None
            found = (ROOT / name).exists() or (here is not None and here.exists())
            assert found, f"{where} cites {name}, which is not in the repository"
            if section and name.endswith("forms.md"):
                sections += 1
                assert any(h.split()[1:2] == [section.split()[-1]] for h in headings), (
                    f"{where} cites {name} {section}, a section it does not have"
                )
    assert sections >= 20
