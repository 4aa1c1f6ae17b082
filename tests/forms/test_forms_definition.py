"""A project's own form definition is checked like the built-ins: every problem, located."""

from __future__ import annotations

import pytest

from forms.errors import FormDefinitionError
from forms.library import load_form_text
from forms.rules import check_form
from forms.schema import DecimalField, FormDef, SelectOneField, field_type

HEAD = 'id = "well"\nversion = 1\ntitle = "Well survey"\n'
OK_FIELD = '[[fields]]\nname = "code"\ntype = "text"\nrequired = true\n'


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(FormDefinitionError) as info:
        load_form_text(text, "project.toml")
    assert str(info.value).startswith("project.toml: the form definition has")
    return [(p.path, p.message) for p in info.value.problems]


def test_a_small_valid_definition_loads() -> None:
    form = load_form_text(HEAD + OK_FIELD, "well.toml")
    assert isinstance(form, FormDef) and form.ref == "well@1"
    assert [field_type(f) for f in form.fields] == ["text"]


# (TOML body after HEAD, expected location, words the message must contain)
BROKEN = [
    ('[[fields]]\nname = "d"\ntype = "decimal"\nmin = 5\nmax = 1\n', "fields.d.min", "above max"),
    ('[[fields]]\nname = "d"\ntype = "decimal"\nmin = "5"\n', "fields.d.min", "Expected"),
    ('[[fields]]\nname = "d"\ntype = "decimal"\nmaxx = 5\n', "fields.d.maxx", "did you mean 'max'"),
    (
        '[[fields]]\nname = "d"\ntype = "decimal"\nmax = 5\nwarn_max = 9\n',
        "fields.d.warn_max",
        "between min and max",
    ),
    (
        '[[fields]]\nname = "d"\ntype = "integer"\nwarn_min = 9\nwarn_max = 1\n',
        "fields.d.warn_min",
        "above warn_max",
    ),
    ('[[fields]]\nname = "t"\ntype = "texxt"\n', "fields.t.type", "unknown field type 'texxt'"),
    ('[[fields]]\nname = "t"\n', "fields.t.type", "'type' is required"),
    ('[[fields]]\ntype = "text"\n', "fields[0].name", "'name' is required"),
    ('fields = ["code"]\n', "fields[0]", "expected a field table"),
    ('[[fields]]\nname = "Code"\ntype = "text"\n', "fields[0].name", "lowercase"),
    ('[[fields]]\nname = "code"\ntype = "text"\n', "fields.code.name", "used twice"),
    ('[[fields]]\nname = "created_at"\ntype = "datetime"\n', "fields.created_at.name", "reserved"),
    (
        '[[fields]]\nname = "p"\ntype = "text"\npattern = "("\n',
        "fields.p.pattern",
        "does not compile",
    ),
    ('[[fields]]\nname = "p"\ntype = "text"\nmax_length = 0\n', "fields.p.max_length", "1 or more"),
    (
        '[[fields]]\nname = "p"\ntype = "text"\npattern = "^[A-Z]+$"\ndefault = "abc"\n',
        "fields.p.default",
        "does not match the pattern",
    ),
    ('[[fields]]\nname = "s"\ntype = "select_one"\n', "fields.s.choices", "at least one choice"),
    (
        '[[fields]]\nname = "s"\ntype = "select_one"\nchoices = ["a", "a"]\n',
        "fields.s.choices[1]",
        "listed twice",
    ),
    (
        '[[fields]]\nname = "s"\ntype = "select_one"\nchoices = ["a", " b"]\n',
        "fields.s.choices[1]",
        "spaces",
    ),
    (
        '[[fields]]\nname = "s"\ntype = "select_one"\nchoices = ["a"]\ndefault = "b"\n',
        "fields.s.default",
        "not one of: a",
    ),
    (
        '[[fields]]\nname = "s"\ntype = "select_multiple"\nchoices = ["a"]\nappend_only = 1\n',
        "fields.s.append_only",
        "Expected `bool`",
    ),
    (
        '[[fields]]\nname = "n"\ntype = "integer"\nappend_only = true\n',
        "fields.n.append_only",
        "use immutable",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "geopoint"\nmax_h_acc_m = -1\n',
        "fields.g.max_h_acc_m",
        "0 or more",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "geoshape"\nmax_h_acc_m = 5\nwarn_h_acc_m = 8\n',
        "fields.g.warn_h_acc_m",
        "above max_h_acc_m",
    ),
    (
        '[[fields]]\nname = "a"\ntype = "attachment"\nmedia_types = [""]\n',
        "fields.a.media_types[0]",
        "blank",
    ),
    (
        '[[fields]]\nname = "r"\ntype = "reference"\nref_form = ""\nref_field = "x"\n',
        "fields.r.ref_form",
        "must name",
    ),
    (
        '[[fields]]\nname = "r"\ntype = "reference"\nref_form = "site_grave"\n',
        "fields.r.ref_field",
        "'ref_field' is required",
    ),
    ('[[fields]]\nname = "x"\ntype = "text"\nfields = []\n', "fields.x.fields", "only a repeat"),
    ('[[fields]]\nname = "g"\ntype = "repeat"\n', "fields.g.fields", "at least one field"),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\n[[fields.fields]]\nname = "h"\ntype = "repeat"\n',
        "fields.g.fields.h.type",
        "cannot contain another repeat",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\nmin_items = -1\n[[fields.fields]]\nname = "a"\n'
        'type = "text"\n',
        "fields.g.min_items",
        "0 or more",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\nmin_items = 3\nmax_items = 1\n[[fields.fields]]\n'
        'name = "a"\ntype = "text"\n',
        "fields.g.min_items",
        "above max_items",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\nitem_key = ["b"]\n[[fields.fields]]\nname = "a"\n'
        'type = "text"\n',
        "fields.g.item_key[0]",
        "'b' is not a field",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\norder_by = "b"\n[[fields.fields]]\nname = "a"\n'
        'type = "text"\n',
        "fields.g.order_by",
        "'b' is not a field",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\norder_by = "a"\n[[fields.fields]]\nname = "a"\n'
        'type = "text"\n',
        "fields.g.order_by",
        "ordered by a field of type",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\n[[fields.fields]]\nname = "item_id"\n'
        'type = "text"\n',
        "fields.g.fields.item_id.name",
        "reserved",
    ),
    (
        '[[fields]]\nname = "g"\ntype = "repeat"\n[[fields.fields]]\nname = "a"\ntype = "decimal"\n'
        'min = "low"\n',
        "fields.g.fields.a.min",
        "Expected",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["zz"]\n',
        "identifiers.k.fields[0]",
        "not a top-level field",
    ),
    ('[[identifiers]]\nname = "k"\nfields = []\n', "identifiers.k.fields", "at least one field"),
    (
        '[[identifiers]]\nname = "k"\nfields = ["opt"]\n[[fields]]\nname = "opt"\ntype = "text"\n',
        "identifiers.k.fields[0]",
        "must be required",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["pt"]\n[[fields]]\nname = "pt"\ntype = "geopoint"\n'
        "required = true\n",
        "identifiers.k.fields[0]",
        "is a geopoint",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\nscope = "site"\n',
        "identifiers.k.site_field",
        "needs site_field",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\nsite_field = "code"\n',
        "identifiers.k.site_field",
        "only with scope",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\nscope = "site"\nsite_field = "code"\n'
        "across_forms = true\n",
        "identifiers.k.across_forms",
        "scope 'project'",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\nscope = "region"\n',
        "identifiers.k.scope",
        "Invalid enum value 'region'",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\ntemplate = "{code}-{other}"\n',
        "identifiers.k.template",
        "{other}",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\ntemplate = "{code"\n',
        "identifiers.k.template",
        "malformed",
    ),
    (
        '[[identifiers]]\nname = "k"\nfields = ["code"]\n[[identifiers]]\nname = "k"\n'
        'fields = ["code"]\n',
        "identifiers.k.name",
        "used twice",
    ),
    ('[[identifiers]]\nname = "K"\nfields = ["code"]\n', "identifiers[0].name", "not valid"),
    ('[[identifiers]]\nfields = ["code"]\n', "identifiers[0].name", "'name' is required"),
    ('identifiers = ["code"]\n', "identifiers[0]", "expected an identifier table"),
    ('identifiers = "code"\n', "identifiers", "expected a list"),
    ('colour = "red"\n', "colour", "unknown key"),
]


@pytest.mark.parametrize(("body", "path", "words"), BROKEN)
def test_each_definition_problem_is_located(body: str, path: str, words: str) -> None:
    # The field `code` comes after the body (a whole `fields = […]` array replaces it).
    text = HEAD + body + ("" if body.startswith("fields =") else OK_FIELD)
    found = _problems(text)
    matching = [m for p, m in found if p == path]
    assert matching, f"no problem at {path}: {found}"
    assert any(words in m for m in matching), found


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('version = 1\ntitle = "t"\n', "id"),
        ('id = "w"\ntitle = "t"\n', "version"),
        ('id = "w"\nversion = "one"\ntitle = "t"\n', "version"),
        ('id = "Well"\nversion = 1\ntitle = "t"\n', "id"),
        ('id = "w"\nversion = 0\ntitle = "t"\n', "version"),
        ('id = "w"\nversion = 1\ntitle = " "\n', "title"),
        ('id = "w"\nversion = 1\ntitle = "t"\n', "fields"),
        ('id = "w"\nversion = 1\ntitle = "t"\nfields = "x"\n', "fields"),
    ],
)
def test_form_level_problems_are_located(text: str, path: str) -> None:
    assert path in [p for p, _ in _problems(text)]


def test_problems_of_both_kinds_are_listed_in_one_run() -> None:
    text = (
        'id = "Well"\nversion = 0\ntitle = "t"\n'
        '[[fields]]\nname = "a"\ntype = "texxt"\n'
        '[[fields]]\nname = "d"\ntype = "decimal"\nmin = 5\nmax = 1\nbogus = 2\n'
    )
    assert [p for p, _ in _problems(text)] == [
        "fields.a.type",
        "fields.d.bogus",
        "id",
        "version",
        "fields.d.min",
    ]


def test_a_top_level_that_is_not_a_table_is_refused() -> None:
    from forms.definition import decode_form

    with pytest.raises(FormDefinitionError, match="expected a table"):
        decode_form(["not", "a", "table"], "x")


def test_check_form_accepts_every_built_in_form() -> None:
    from forms.library import builtin_library

    assert all(check_form(f) == [] for f in builtin_library().all())


def test_a_struct_built_in_code_is_checked_the_same_way() -> None:
    form = FormDef(
        id="w",
        version=1,
        title="t",
        fields=(
            DecimalField(name="d", min=3, max=1),
            SelectOneField(name="s", choices=("a",), default="z"),
        ),
    )
    assert [p.path for p in check_form(form)] == ["fields.d.min", "fields.s.default"]
