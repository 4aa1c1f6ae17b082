"""The forensic rules of a form as laws of the merge (DESIGN.md law 9, docs/rules.md).

A form declares which values are evidence that must not change once written: immutable
fields (seal numbers, collection times, original geopoints), append-only repeat groups
(chain of custody, personnel, visitors) and append-only choice lists, and the keys that
identify an item of a group (custody ``seq``; inventory element + side). :class:`Rules`
is that declaration reduced to plain data, the same on every device and on the server
(:func:`forms.laws.rules_of` builds it from a form definition).

Whether an op breaks a rule is decided by the op and its causal context alone, so the
answer is the same in any arrival order and on any replica:

- *op-local* laws need the op only (:func:`local_refusals`): an append-only group's items
  are never edited or removed, by a device's op or a supervisor's item resolution; a
  repeat group is never set as a field;
- the *immutable* law needs the writes the op's author had seen: a write to an immutable
  field is refused iff its context covers the dot of another write to that field (any
  write, refused or not: what the author saw, not what survived). Concurrent first
  writes cover nothing and are all valid: they conflict like any field. A supervisor's
  resolution is exempt (it must cover the writes it resolves). An append-only choice
  list may only grow: a write that drops a choice of a write it covers is refused.

:mod:`sync.merge` applies these laws while folding ops (a refused op is remembered, with
its values and its reasons, and has no effect), so a device refuses before sealing exactly
what the server would refuse, and both hold the same record after a sync.

Item keys are not refusals: two present items of a group with the same key are a visible
``key`` conflict, every item kept (:func:`item_key`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from sync.ops import Create, ItemEdit, ItemRemove, Op, Patch, Resolve

__all__ = [
    "NO_RULES",
    "Rules",
    "covers",
    "guard_code",
    "item_key",
    "local_refusals",
    "refusal_message",
    "violates",
]

_ENC = msgspec.msgpack.Encoder(order="deterministic")


class Rules(msgspec.Struct, frozen=True, kw_only=True):
    """What the merge must know of a form: its write rules, item keys and item order.

    Declared per form id: form evolution (``forms.evolution``) refuses a new version that
    changes any of them, so every version of a form has the same rules.
    """

    immutable: frozenset[str] = frozenset()
    append_only_choices: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    append_only_groups: frozenset[str] = frozenset()
    item_keys: dict[str, tuple[str, ...]] = {}
    order_by: dict[str, str] = {}

    @property
    def guarded(self) -> frozenset[str]:
        """Top-level fields whose writes depend on the writes their author saw."""
        return self.immutable | self.append_only_choices


NO_RULES = Rules()
"""No declared rules: the plain CRDT of :mod:`sync.merge` (used by tests of the laws 1-8)."""


def covers(context: dict[str, int], actor: str, counter: int) -> bool:
    """Whether a causal context has seen the op with dot (actor, counter)."""
    return context.get(actor, 0) >= counter


def local_refusals(rules: Rules, op: Op) -> tuple[str, ...]:
    """The codes of every op-local law the op breaks (sorted; empty when none)."""
    out: list[str] = []
    match op:
        case Create(fields=values) | Patch(fields=values):
            out += [f"group_field:{name}" for name in values if name in rules.groups]
        case ItemEdit(group=group) | ItemRemove(group=group):
            if group in rules.append_only_groups:
                out.append(f"append_only:{group}")
        case Resolve(conflict="item", group=str(group), value=False):
            if group in rules.append_only_groups:
                out.append(f"append_only:{group}")
        case Resolve(group=str(group), field=str(_)):
            if group in rules.append_only_groups:
                out.append(f"append_only:{group}")
    return tuple(sorted(out))


def guard_code(rules: Rules, name: str) -> str:
    """The refusal code of a guarded field: ``immutable:NAME`` or ``append_only_choices:NAME``."""
    return f"{'immutable' if name in rules.immutable else 'append_only_choices'}:{name}"


def violates(rules: Rules, name: str, value: Any, seen: Any) -> bool:
    """Whether writing ``value`` to field ``name`` breaks its rule, given a write it saw."""
    if name in rules.immutable:
        return True
    if name in rules.append_only_choices:
        kept = value if isinstance(value, list) else []
        before = seen if isinstance(seen, list) else []
        have = {_ENC.encode(v) for v in kept}
        return any(_ENC.encode(v) not in have for v in before)
    return False


def item_key(rules: Rules, group: str, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The declared key of an item from its displayed values; None if unkeyed or incomplete."""
    names = rules.item_keys.get(group)
    if not names:
        return None
    key = tuple(values.get(n) for n in names)
    return None if any(v is None or v == "" for v in key) else key


_MESSAGES = {
    "immutable": "{name} is fixed once written; record a correction as a new record, or ask "
    "a supervisor to resolve it",
    "append_only_choices": "{name} may only grow: choices recorded earlier cannot be taken away",
    "append_only": "rows of {name} are append-only: they are never edited or removed; add a "
    "correcting row instead",
    "group_field": "{name} is a repeat group: add its rows as items (cairn device item add), "
    "never set it as a field",
}


def refusal_message(codes: Iterable[str]) -> str:
    """A sentence per refusal code (``kind:name``), joined: what was wrong, what to do."""
    parts = []
    for code in codes:
        kind, _, name = code.partition(":")
        text = _MESSAGES.get(kind)
        parts.append(text.format(name=name) if text else code)
    return "; ".join(parts)
