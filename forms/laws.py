"""The write rules a form declares, as the merge's plain data (:class:`sync.laws.Rules`).

The rules themselves (what an op may do) live in :mod:`sync.laws`, run by the merge on the
device and on the server alike; this module only reads them off a definition.
"""

from __future__ import annotations

from forms.errors import FormError
from forms.library import FormLibrary
from forms.schema import FormDef, RepeatGroup, SelectMultipleField
from sync.laws import NO_RULES, Rules

_CACHE: dict[int, tuple[FormDef, Rules]] = {}
_CACHE_LIMIT = 512


def rules_of(form: FormDef) -> Rules:
    """The rules a form declares (cached by identity: form definitions are immutable)."""
    cached = _CACHE.get(id(form))
    if cached is not None and cached[0] is form:
        return cached[1]
    groups = [f for f in form.fields if isinstance(f, RepeatGroup)]
    rules = Rules(
        immutable=frozenset(f.name for f in form.fields if f.immutable),
        append_only_choices=frozenset(
            f.name for f in form.fields if isinstance(f, SelectMultipleField) and f.append_only
        ),
        groups=frozenset(g.name for g in groups),
        append_only_groups=frozenset(g.name for g in groups if g.append_only),
        item_keys={g.name: tuple(g.item_key) for g in groups if g.item_key},
        order_by={g.name: g.order_by for g in groups if g.order_by},
    )
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[id(form)] = (form, rules)
    return rules


def rules_for(forms: FormLibrary, ref: str) -> Rules:
    """The rules of the form a record names (``id@version`` or ``id``), read from the newest
    version this library knows (versions may add fields, never change a rule); no rules for
    a form it does not know at all (a device that has not been given it yet)."""
    form_id = ref.partition("@")[0]
    try:
        return rules_of(forms.latest(form_id))
    except FormError:
        return NO_RULES
