"""Errors raised by the forms package.

Hierarchy::

    FormError                    base of everything raised here
    ├── FormDefinitionError      a form definition (TOML file or FormDef) has problems;
    │                            `.problems` lists every one with its location
    ├── FormRefError             "site_grave@x" is not a valid `form_id@version` (ValueError)
    ├── UnknownFormError         no such form, or no such version of it (LookupError)
    └── FormLibraryError         a library refused a change (conflicting or frozen)

Validation of record values never raises: `forms.validate` returns `Problem`s instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from forms.schema import Problem


class FormError(Exception):
    """Base class of every error raised by the forms package."""


class FormDefinitionError(FormError):
    """A form definition is invalid; `.problems` lists every problem with its location."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"{source}: the form definition has {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  {p.path or '(top level)'}: {p.message}" for p in self.problems]
        lines.append("Fix each one and check the file again with `cairn forms check FILE`.")
        super().__init__("\n".join(lines))


class FormRefError(FormError, ValueError):
    """Text that should name a form as `form_id` or `form_id@version` does not."""


class UnknownFormError(FormError, LookupError):
    """The library has no form with that id, or not that version of it."""


class FormLibraryError(FormError):
    """A form library refused a change (a different form under the same id@version, or frozen)."""
