"""Hybrid logical clock: monotonic stamps, bounded skew, suspect detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import vv
from sync.clock import DEFAULT_MAX_AHEAD_MS, HybridClock, is_suspect, pack, unpack

T0 = 1_750_000_000_000


class FakeTime:
    """A settable millisecond clock."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


@given(st.integers(0, 2**48 - 1), st.integers(0, 2**16 - 1))
def test_pack_and_unpack_round_trip_and_keep_order(ms: int, logical: int) -> None:
    assert unpack(pack(ms, logical)) == (ms, logical)
    if ms:
        assert pack(ms - 1, 65535) < pack(ms, logical)


@pytest.mark.parametrize("ms, logical", [(-1, 0), (2**48, 0), (0, 2**16)])
def test_pack_refuses_out_of_range_parts(ms: int, logical: int) -> None:
    with pytest.raises(ValueError):
        pack(ms, logical)


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(-3000, 3000), st.integers(-(10**7), 10**7)), max_size=50))
def test_stamps_always_increase_even_when_the_wall_clock_steps_back(
    steps: list[tuple[int, int]],
) -> None:
    now = FakeTime(T0)
    clock = HybridClock(now)
    last = clock.now()
    for tick, remote_offset in steps:
        now.ms = max(0, now.ms + tick)
        stamp = clock.observe(pack(max(0, T0 + remote_offset), 3)) if tick % 2 else clock.now()
        assert stamp > last
        last = stamp


def test_same_millisecond_events_use_the_logical_counter() -> None:
    clock = HybridClock(FakeTime(T0))
    assert [unpack(clock.now()) for _ in range(3)] == [(T0, 0), (T0, 1), (T0, 2)]


def test_logical_overflow_borrows_a_millisecond() -> None:
    clock = HybridClock(FakeTime(T0), last=pack(T0, 65535))
    assert unpack(clock.now()) == (T0 + 1, 0)


def test_observe_follows_a_remote_clock_slightly_ahead() -> None:
    clock = HybridClock(FakeTime(T0))
    assert unpack(clock.observe(pack(T0 + 2000, 5))) == (T0 + 2000, 6)


def test_a_far_future_stamp_is_accepted_flagged_and_cannot_drag_the_clock() -> None:
    clock = HybridClock(FakeTime(T0), max_ahead_ms=60_000)
    years_ahead = pack(T0 + 5 * 365 * 86_400_000, 0)
    stamp = clock.observe(years_ahead)
    assert unpack(stamp)[0] == T0 + 60_000
    assert is_suspect(years_ahead, T0, 60_000)
    assert not is_suspect(stamp, T0, 60_000)
    assert not is_suspect(pack(T0 + DEFAULT_MAX_AHEAD_MS, 0), T0)
    assert is_suspect(pack(T0 + DEFAULT_MAX_AHEAD_MS + 1, 0), T0)


def test_the_clock_resumes_after_its_last_stamp() -> None:
    first = HybridClock(FakeTime(T0))
    stamp = first.now()
    resumed = HybridClock(FakeTime(T0 - 10_000), last=first.last)
    assert resumed.now() > stamp


@pytest.mark.parametrize(
    "a, b, order",
    [
        ({"x": 1}, {"x": 1, "y": 0}, vv.Order.EQUAL),
        ({"x": 1}, {"x": 2}, vv.Order.BEFORE),
        ({"x": 2, "y": 1}, {"x": 2}, vv.Order.AFTER),
        ({"x": 2}, {"y": 1}, vv.Order.CONCURRENT),
    ],
)
def test_version_vectors_compare_causally(
    a: dict[str, int], b: dict[str, int], order: vv.Order
) -> None:
    assert vv.compare(a, b) is order


def test_version_vector_merge_covers_both_and_leaves_inputs_alone() -> None:
    a, b = {"x": 3}, {"x": 1, "y": 2}
    merged = vv.merge(a, b)
    assert merged == {"x": 3, "y": 2} and a == {"x": 3} and b == {"x": 1, "y": 2}
    assert vv.covers(merged, "y", 2) and not vv.covers(merged, "y", 3)
    assert vv.from_dots([("x", 1), ("x", 3), ("y", 2)]) == merged
    assert vv.with_dot(a, "z", 1) == {"x": 3, "z": 1} and a == {"x": 3}
