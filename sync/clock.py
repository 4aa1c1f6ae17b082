"""Hybrid logical clocks: stamps that order the display of concurrent values.

Algorithm: the hybrid logical clock (HLC) of Kulkarni, Demirbas, Madappa, Avva and
Leone, "Logical Physical Clocks and Consistent Snapshots in Globally Distributed
Databases" (OPODIS 2014), figure 5. A stamp is a pair ``(l, c)``: ``l`` is the largest
physical time (milliseconds since the Unix epoch) the clock has heard of, ``c`` a
logical counter that breaks ties within one millisecond. A stamp packs into one
unsigned 64-bit integer, 48 bits of milliseconds (good until the year 10889) above 16
bits of counter, so that integer order is stamp order.

In Cairn stamps order the *display* only (DESIGN.md, law 8): what is kept is decided by
version vectors. That lets us bound the damage of a wrong clock instead of refusing its
data:

- A remote stamp far ahead of our physical clock is accepted, never rejected; callers
  flag it with :func:`is_suspect` (default tolerance :data:`DEFAULT_MAX_AHEAD_MS`,
  5 minutes: phone clocks synced by NTP or GNSS are within seconds, a wrong time zone
  or a dead RTC battery is off by hours or years).
- :meth:`HybridClock.observe` does not follow such a stamp unboundedly: the clock
  advances at most to ``physical + max_ahead_ms``. One device whose clock says 2031
  therefore cannot drag every other clock (and every later stamp) into 2031. The price
  is that a stamp issued after observing a suspect stamp may sort before it, which only
  changes which value is displayed first.
- When the logical counter would overflow 16 bits, the clock borrows one millisecond.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = [
    "DEFAULT_MAX_AHEAD_MS",
    "LOGICAL_BITS",
    "MAX_LOGICAL",
    "MAX_PHYSICAL",
    "HybridClock",
    "is_suspect",
    "pack",
    "physical_ms",
    "unpack",
    "wall_clock_ms",
]

LOGICAL_BITS = 16
MAX_LOGICAL = (1 << LOGICAL_BITS) - 1
MAX_PHYSICAL = (1 << 48) - 1
DEFAULT_MAX_AHEAD_MS = 5 * 60 * 1000


def wall_clock_ms() -> int:
    """Return the system's wall-clock time in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def pack(physical: int, logical: int) -> int:
    """Pack milliseconds and a logical counter into one 64-bit stamp."""
    if not 0 <= physical <= MAX_PHYSICAL:
        raise ValueError(f"physical time {physical} ms is outside 0..2**48-1; check the clock")
    if not 0 <= logical <= MAX_LOGICAL:
        raise ValueError(f"logical counter {logical} is outside 0..65535")
    return (physical << LOGICAL_BITS) | logical


def unpack(stamp: int) -> tuple[int, int]:
    """Split a 64-bit stamp into (milliseconds, logical counter)."""
    if not 0 <= stamp < 1 << 64:
        raise ValueError(f"HLC stamp {stamp} is not an unsigned 64-bit integer")
    return stamp >> LOGICAL_BITS, stamp & MAX_LOGICAL


def physical_ms(stamp: int) -> int:
    """Return the physical (millisecond) part of a stamp."""
    return unpack(stamp)[0]


def is_suspect(stamp: int, now_ms: int, max_ahead_ms: int = DEFAULT_MAX_AHEAD_MS) -> bool:
    """Tell whether a stamp lies more than ``max_ahead_ms`` ahead of ``now_ms``."""
    return physical_ms(stamp) - now_ms > max_ahead_ms


class HybridClock:
    """A hybrid logical clock with an injectable time source (Kulkarni et al. 2014)."""

    def __init__(
        self,
        time_source: Callable[[], int] = wall_clock_ms,
        *,
        max_ahead_ms: int = DEFAULT_MAX_AHEAD_MS,
        last: int = 0,
    ) -> None:
        """Start a clock reading ``time_source`` (ms), resuming after stamp ``last``."""
        if max_ahead_ms < 0:
            raise ValueError("max_ahead_ms must be zero or positive")
        self._time = time_source
        self._max_ahead = max_ahead_ms
        self._l, self._c = unpack(last)

    @property
    def last(self) -> int:
        """The most recent stamp issued or observed (persist it to resume the clock)."""
        return pack(self._l, self._c)

    def _set(self, physical: int, logical: int) -> int:
        if logical > MAX_LOGICAL:
            # Borrow a millisecond rather than wrap: stamps must stay increasing.
            physical, logical = physical + 1, 0
        self._l, self._c = physical, logical
        return pack(physical, logical)

    def now(self) -> int:
        """Issue a stamp for a local event or a send (the HLC send rule)."""
        pt = self._time()
        if pt > self._l:
            return self._set(pt, 0)
        return self._set(self._l, self._c + 1)

    def observe(self, remote: int) -> int:
        """Merge a received stamp (the HLC receive rule, bounded) and return a new stamp.

        The remote physical time is capped at ``physical + max_ahead_ms`` so that a
        far-future stamp cannot drag this clock along; the stamp itself is never refused.
        """
        pt = self._time()
        rl, rc = unpack(remote)
        cap = pt + self._max_ahead
        if rl > cap:
            rl, rc = cap, 0
        top = max(self._l, rl, pt)
        if top == self._l and top == rl:
            logical = max(self._c, rc) + 1
        elif top == self._l:
            logical = self._c + 1
        elif top == rl:
            logical = rc + 1
        else:
            logical = 0
        return self._set(top, logical)
