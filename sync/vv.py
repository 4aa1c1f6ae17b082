"""Version vectors: what a replica has seen of one record.

Algorithm: version vectors (Parker et al., "Detection of Mutual Inconsistency in
Distributed Systems", IEEE TSE 1983), as used for causal contexts in Almeida, Shoker and
Baquero, "Delta State Replicated Data Types" (2018). A vector maps an actor id to the
highest counter of that actor's ops seen on the record. A dot ``(actor, counter)`` is
covered when ``vv[actor] >= counter``.

Vectors are plain ``dict[str, int]`` values used immutably: every function returns a new
dict and never changes its arguments. Missing actors count as 0, so ``{"a": 0}`` equals
``{}``.

Soundness assumption: a device receives a record's ops from one actor in counter order
(the server stores a device's batches in sequence and a pull carries whole records), so
"seen counter n of actor a" implies "seen every earlier op of a on this record".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

__all__ = ["Order", "compare", "covers", "from_dots", "merge", "with_dot"]

VersionVector = Mapping[str, int]


class Order(enum.Enum):
    """How two version vectors relate causally."""

    BEFORE = "before"
    AFTER = "after"
    EQUAL = "equal"
    CONCURRENT = "concurrent"


def covers(vv: VersionVector, actor: str, counter: int) -> bool:
    """Tell whether ``vv`` has seen the dot ``(actor, counter)``."""
    return vv.get(actor, 0) >= counter


def compare(a: VersionVector, b: VersionVector) -> Order:
    """Compare two vectors: BEFORE (a < b), AFTER, EQUAL or CONCURRENT."""
    less = greater = False
    for actor in a.keys() | b.keys():
        x, y = a.get(actor, 0), b.get(actor, 0)
        if x < y:
            less = True
        elif x > y:
            greater = True
        if less and greater:
            return Order.CONCURRENT
    if less:
        return Order.BEFORE
    if greater:
        return Order.AFTER
    return Order.EQUAL


def merge(a: VersionVector, b: VersionVector) -> dict[str, int]:
    """Return the pointwise maximum (least upper bound) of two vectors."""
    out = dict(a)
    for actor, counter in b.items():
        if counter > out.get(actor, 0):
            out[actor] = counter
    return out


def with_dot(vv: VersionVector, actor: str, counter: int) -> dict[str, int]:
    """Return ``vv`` extended to cover the dot ``(actor, counter)``."""
    if vv.get(actor, 0) >= counter:
        return dict(vv)
    out = dict(vv)
    out[actor] = counter
    return out


def from_dots(dots: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Build the smallest vector covering every dot in ``dots``."""
    out: dict[str, int] = {}
    for actor, counter in dots:
        if counter > out.get(actor, 0):
            out[actor] = counter
    return out
