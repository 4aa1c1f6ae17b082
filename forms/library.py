"""Form libraries: load definition files, keep every version, look forms up by `id@version`.

The seven built-in forms (docs/forms.md §3) are TOML files under forms/definitions/, loaded and
checked at import by the same code that checks a project's own forms (`load_form_file`),
so a broken bundled definition fails loudly at start, never at the first record. A
library keeps every version it was given: records of older versions stay valid.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from forms.definition import decode_form
from forms.errors import FormDefinitionError, FormLibraryError, FormRefError, UnknownFormError
from forms.evolution import check_evolution
from forms.rules import check_form, problem
from forms.schema import FormDef, Problem, ReferenceField, RepeatGroup

_REF = re.compile(r"([a-z][a-z0-9_]{0,62})(?:@([1-9][0-9]{0,8}))?")


def parse_form_ref(text: str) -> tuple[str, int | None]:
    """Split "site_grave@1" into ("site_grave", 1); a bare "site_grave" gives version None."""
    m = _REF.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise FormRefError(
            f"{text!r} does not name a form; write form_id or form_id@version, e.g. site_grave@1"
        )
    return m.group(1), int(m.group(2)) if m.group(2) else None


def load_form_text(text: str, source: str) -> FormDef:
    """Parse and check a TOML form definition; raise FormDefinitionError on any problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormDefinitionError(
            source, [problem("", f"not valid TOML: {exc}", "bad_toml")]
        ) from None
    return decode_form(data, source)


def load_form_file(path: str | os.PathLike[str]) -> FormDef:
    """Load and check a form-definition TOML file (OSError if it cannot be read)."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormDefinitionError(
            str(p), [problem("", f"not UTF-8 text: {exc}", "bad_toml")]
        ) from None
    return load_form_text(text, str(p))


def check_references(form: FormDef, library: FormLibrary) -> list[Problem]:
    """Problems of reference fields whose target form or field the library does not know."""
    out: list[Problem] = []
    for path, f in _reference_fields(form):
        if f.ref_form == form.id:
            target: FormDef | None = form
        else:
            target = library.latest(f.ref_form) if f.ref_form in library.ids() else None
        if target is None:
            text = f"ref_form {f.ref_form!r} is not a known form; add that form first"
            out.append(problem(f"{path}.ref_form", text, "unknown_ref"))
            continue
        names = [x.name for x in target.fields] + [r.name for r in target.identifiers]
        if f.ref_field not in names:
            text = f"ref_field {f.ref_field!r} is not a field or identifier of {target.ref}"
            out.append(problem(f"{path}.ref_field", text, "unknown_ref"))
    return out


def _reference_fields(form: FormDef) -> Iterator[tuple[str, ReferenceField]]:
    for f in form.fields:
        if isinstance(f, ReferenceField):
            yield f"fields.{f.name}", f
        elif isinstance(f, RepeatGroup):
            for g in f.fields:
                if isinstance(g, ReferenceField):
                    yield f"fields.{f.name}.fields.{g.name}", g


class FormLibrary:
    """Every version of every form a project knows, looked up by id and version."""

    def __init__(self, forms: Iterable[FormDef] = (), *, frozen: bool = False) -> None:
        self._forms: dict[str, dict[int, FormDef]] = {}
        self._frozen = False
        forms = list(forms)
        if forms:
            self.add_all(forms)
        self._frozen = frozen

    def add(self, form: FormDef) -> None:
        """Add one form version after checking it, its references and its evolution."""
        self.add_all([form])

    def add_all(self, forms: Iterable[FormDef]) -> None:
        """Add form versions together (they may reference each other); all or nothing."""
        if self._frozen:
            raise FormLibraryError(
                "this form library is shared and read-only; add forms to a copy() of it"
            )
        new = [f for f in forms if not self._same_as_known(f)]
        trial = self.copy()
        for form in new:
            trial._forms.setdefault(form.id, {})[form.version] = form
        for form in new:
            problems = check_form(form) + check_references(form, trial)
            problems += self._evolution(form, trial)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                raise FormDefinitionError(form.ref, errors)
        self._forms = trial._forms

    def _same_as_known(self, form: FormDef) -> bool:
        known = self._forms.get(form.id, {}).get(form.version)
        if known is None:
            return False
        if known != form:
            raise FormLibraryError(
                f"{form.ref} is already defined differently; publish changes as a new version"
            )
        return True

    @staticmethod
    def _evolution(form: FormDef, trial: FormLibrary) -> list[Problem]:
        versions = sorted(trial._forms[form.id])
        i = versions.index(form.version)
        out: list[Problem] = []
        if i > 0:
            out += check_evolution(trial._forms[form.id][versions[i - 1]], form)
        if i + 1 < len(versions):
            out += check_evolution(form, trial._forms[form.id][versions[i + 1]])
        return out

    def get(self, form_id: str, version: int | None = None) -> FormDef:
        """The form of that id and version (None: the latest); UnknownFormError if absent."""
        by_version = self._forms.get(form_id)
        if by_version is None:
            known = ", ".join(sorted(self._forms)) or "none"
            raise UnknownFormError(f"unknown form {form_id!r}; known forms: {known}")
        if version is None:
            return by_version[max(by_version)]
        form = by_version.get(version)
        if form is None:
            listed = ", ".join(str(v) for v in sorted(by_version))
            raise UnknownFormError(f"form {form_id!r} has no version {version}; it has {listed}")
        return form

    def resolve(self, ref: str) -> FormDef:
        """The form named by "form_id@version" (or "form_id" for the latest)."""
        return self.get(*parse_form_ref(ref))

    def latest(self, form_id: str) -> FormDef:
        """The latest version of a form."""
        return self.get(form_id)

    def versions(self, form_id: str) -> tuple[int, ...]:
        """The versions of a form, oldest first; UnknownFormError if the form is unknown."""
        self.get(form_id)
        return tuple(sorted(self._forms[form_id]))

    def ids(self) -> tuple[str, ...]:
        """The form ids, sorted."""
        return tuple(sorted(self._forms))

    def all(self) -> tuple[FormDef, ...]:
        """Every version of every form, by id then version."""
        return tuple(self._forms[i][v] for i in self.ids() for v in sorted(self._forms[i]))

    def copy(self) -> FormLibrary:
        """A writable copy holding the same versions."""
        other = FormLibrary()
        other._forms = {k: dict(v) for k, v in self._forms.items()}
        return other

    def __contains__(self, ref: object) -> bool:
        """True for a known "form_id" or "form_id@version"."""
        if not isinstance(ref, str):
            return False
        try:
            self.resolve(ref)
        except (FormRefError, UnknownFormError):
            return False
        return True

    def __len__(self) -> int:
        """The number of form versions."""
        return sum(len(v) for v in self._forms.values())


def _load_builtins() -> FormLibrary:
    folder = resources.files("forms").joinpath("definitions")
    forms = [
        load_form_text(entry.read_text(encoding="utf-8"), f"forms/definitions/{entry.name}")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]
    return FormLibrary(forms, frozen=True)


_BUILTIN = _load_builtins()


def builtin_library() -> FormLibrary:
    """The read-only library of the built-in forms (loaded and checked once, at import)."""
    return _BUILTIN
