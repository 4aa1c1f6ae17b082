"""The form-definition schema: msgspec Structs for forms, fields, identifiers and problems.

A form definition is data (TOML files under forms/definitions/ or a project's own file),
decoded into these frozen Structs by `forms.definition`. Fields are a tagged union on the
key `type`; a repeat group holds its own (non-repeat) fields. Value conventions for each
type are documented in docs/forms.md and enforced by `forms.validate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

Severity = Literal["error", "warning"]
Scope = Literal["project", "site"]

# ODK-style GNSS metadata carried by every geopoint value (docs/forms.md §2).
ALT_REFS: tuple[str, ...] = ("ellipsoid", "sea_level")
GNSS_SOURCES: tuple[str, ...] = ("phone", "gnss", "rtk", "total_station", "manual")
# NMEA GGA fix quality 0-8, by name, in GGA order.
FIX_TYPES: tuple[str, ...] = (
    "none",
    "gps",
    "dgps",
    "pps",
    "rtk_fixed",
    "rtk_float",
    "estimated",
    "manual",
    "simulation",
)


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a value or a definition: where, what, and how bad."""

    path: str
    message: str
    code: str = ""
    severity: Severity = "error"


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (warnings alone leave a value valid)."""
    return any(p.severity == "error" for p in problems)


def only_errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of severity "error", in order."""
    return [p for p in problems if p.severity == "error"]


class _FieldBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """What every field has: a name, a label, help text and the write rules."""

    name: str
    label: str = ""
    help: str = ""
    required: bool = False
    # Once a value is written it is final; corrections are new records or versions.
    immutable: bool = False
    # Only additions are allowed: repeat items are never edited or removed once written,
    # select_multiple choices are never taken away.
    append_only: bool = False


class TextField(_FieldBase, frozen=True, kw_only=True, tag="text"):
    """Free text, optionally constrained by a regular expression (full match)."""

    pattern: str | None = None
    max_length: int | None = None
    default: str | None = None


class IntegerField(_FieldBase, frozen=True, kw_only=True, tag="integer"):
    """A whole number with optional range, warning range and unit."""

    min: int | None = None
    max: int | None = None
    warn_min: int | None = None
    warn_max: int | None = None
    unit: str = ""
    default: int | None = None


class DecimalField(_FieldBase, frozen=True, kw_only=True, tag="decimal"):
    """A real number (int or float value) with optional range, warning range and unit."""

    min: float | None = None
    max: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None
    unit: str = ""
    default: float | None = None


class BooleanField(_FieldBase, frozen=True, kw_only=True, tag="boolean"):
    """Yes or no."""

    default: bool | None = None


class DateField(_FieldBase, frozen=True, kw_only=True, tag="date"):
    """A calendar date, "YYYY-MM-DD"."""


class DateTimeField(_FieldBase, frozen=True, kw_only=True, tag="datetime"):
    """An ISO 8601 date and time that must carry a timezone offset."""


class SelectOneField(_FieldBase, frozen=True, kw_only=True, tag="select_one"):
    """One value from a fixed list of choices."""

    choices: tuple[str, ...] = ()
    default: str | None = None


class SelectMultipleField(_FieldBase, frozen=True, kw_only=True, tag="select_multiple"):
    """Any number of distinct values from a fixed list of choices."""

    choices: tuple[str, ...] = ()
    default: tuple[str, ...] | None = None


class GeopointField(_FieldBase, frozen=True, kw_only=True, tag="geopoint"):
    """A WGS84 point with its GNSS metadata block and optional local x/y/z."""

    max_h_acc_m: float | None = None
    warn_h_acc_m: float | None = None
    require_xyz: bool = False


class GeotraceField(_FieldBase, frozen=True, kw_only=True, tag="geotrace"):
    """A line of two or more geopoints."""

    max_h_acc_m: float | None = None
    warn_h_acc_m: float | None = None


class GeoshapeField(_FieldBase, frozen=True, kw_only=True, tag="geoshape"):
    """A closed polygon: four or more geopoints, the last equal to the first."""

    max_h_acc_m: float | None = None
    warn_h_acc_m: float | None = None


class AttachmentField(_FieldBase, frozen=True, kw_only=True, tag="attachment"):
    """A file referenced by its SHA-256; `media_types` lists allowed prefixes ("image/")."""

    media_types: tuple[str, ...] = ()


class ReferenceField(_FieldBase, frozen=True, kw_only=True, tag="reference"):
    """The identifier text of a record of another form (`ref_form`.`ref_field`)."""

    ref_form: str
    ref_field: str
    pattern: str | None = None


Field = (
    TextField
    | IntegerField
    | DecimalField
    | BooleanField
    | DateField
    | DateTimeField
    | SelectOneField
    | SelectMultipleField
    | GeopointField
    | GeotraceField
    | GeoshapeField
    | AttachmentField
    | ReferenceField
)


class RepeatGroup(_FieldBase, frozen=True, kw_only=True, tag="repeat"):
    """A repeat group: items of its own fields (each item has an `item_id` in the sync core)."""

    fields: tuple[Field, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    # Fields that identify an item for merging (e.g. inventory: element + side).
    item_key: tuple[str, ...] = ()
    # Field that orders the items (e.g. custody: seq); else creation order.
    order_by: str | None = None


AnyField = Field | RepeatGroup

FIELD_CLASSES: dict[str, type[_FieldBase]] = {
    "text": TextField,
    "integer": IntegerField,
    "decimal": DecimalField,
    "boolean": BooleanField,
    "date": DateField,
    "datetime": DateTimeField,
    "select_one": SelectOneField,
    "select_multiple": SelectMultipleField,
    "geopoint": GeopointField,
    "geotrace": GeotraceField,
    "geoshape": GeoshapeField,
    "attachment": AttachmentField,
    "reference": ReferenceField,
    "repeat": RepeatGroup,
}


def field_type(field: AnyField) -> str:
    """The type name of a field, as written in definitions ("decimal", "repeat", …)."""
    return type(field).__struct_config__.tag  # type: ignore[return-value]


class IdentifierRule(msgspec.Struct, frozen=True, kw_only=True):
    """A human identifier that must be unique: its fields and the scope of uniqueness."""

    name: str
    fields: tuple[str, ...]
    scope: Scope = "project"
    # With scope "site": the field whose value names the site.
    site_field: str | None = None
    # How the identifier text is formed, e.g. "{site_code}-G{grave_no}"; default: fields joined.
    template: str | None = None
    # Unique across every form of the project that declares a rule of this name, not only
    # within this form: a seal number names one physical seal, whatever it closes.
    across_forms: bool = False
    help: str = ""


class FormDef(msgspec.Struct, frozen=True, kw_only=True):
    """A versioned form definition: fields, repeat groups and identifier rules."""

    id: str
    version: int
    title: str
    description: str = ""
    notes: str = ""
    fields: tuple[AnyField, ...] = ()
    identifiers: tuple[IdentifierRule, ...] = ()

    @property
    def ref(self) -> str:
        """The form's reference text, `form_id@version`."""
        return f"{self.id}@{self.version}"

    def field(self, name: str) -> AnyField | None:
        """The top-level field or repeat group of that name, or None."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def group(self, name: str) -> RepeatGroup | None:
        """The repeat group of that name, or None."""
        f = self.field(name)
        return f if isinstance(f, RepeatGroup) else None
