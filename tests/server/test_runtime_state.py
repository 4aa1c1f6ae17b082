"""The state several `cairn serve` workers share (server/runtime.py) keeps the policy of the
one-process state it replaces: the same lockout, the same sessions, seen from any worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server import runtime
from server.ratelimit import FailedAuthLimiter, SharedFailedAuthLimiter
from server.runtime import SharedState
from server.web.sessions import SessionStore, SharedSessionStore

Limiter = FailedAuthLimiter | SharedFailedAuthLimiter


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    made = runtime.create()
    yield made
    runtime.remove(made)


def _limiters(root: Path, clock: Callable[[], float]) -> dict[str, Limiter]:
    return {
        "memory": FailedAuthLimiter(max_failures=3, window_s=10, max_clients=2, clock=clock),
        "shared": SharedFailedAuthLimiter(
            SharedState(root), max_failures=3, window_s=10, max_clients=2, clock=clock
        ),
    }


@pytest.mark.parametrize("kind", ["memory", "shared"])
def test_the_lockout_is_per_address_ends_with_the_window_and_is_bounded(
    root: Path, kind: str
) -> None:
    now = [0.0]
    limiter = _limiters(root, lambda: now[0])[kind]
    for _ in range(3):
        limiter.record_failure("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 10
    assert limiter.retry_after("10.0.0.2") is None
    now[0] = 9.5
    assert limiter.retry_after("10.0.0.1") == 1
    now[0] = 10.0
    assert limiter.retry_after("10.0.0.1") is None
    for client in ("a", "b", "c"):  # two addresses are kept: the least recent goes
        limiter.record_failure(client)
        now[0] += 0.1
    limiter.record_failure("b")
    limiter.record_failure("b")
    assert limiter.retry_after("b") == 10  # ceil(10.1 + 10 - 10.3)
    limiter.record_failure("a")
    limiter.record_failure("a")
    assert limiter.retry_after("a") is None  # its first failure was forgotten


def test_failures_counted_by_one_worker_lock_out_on_another(root: Path) -> None:
    one = SharedFailedAuthLimiter(SharedState(root), max_failures=4)
    other = SharedFailedAuthLimiter(SharedState(root), max_failures=4)
    for limiter in (one, other, one, other):
        limiter.record_failure("10.0.0.9")
    assert one.retry_after("10.0.0.9") is not None
    assert other.retry_after("10.0.0.9") is not None


@pytest.mark.parametrize("kind", ["memory", "shared"])
def test_sessions_are_found_by_cookie_expire_and_end(root: Path, kind: str) -> None:
    store = (
        SessionStore(lifetime_s=60)
        if kind == "memory"
        else SharedSessionStore(SharedState(root), lifetime_s=60)
    )
    cookie, session = store.create("tok_1")
    assert store.get(cookie) == session
    assert store.get(cookie + "x") is None
    assert store.get(None) is None
    store._now = lambda: session.expires_at  # type: ignore[method-assign]
    assert store.get(cookie) is None  # expired
    store._now = lambda: 0.0  # type: ignore[method-assign]
    assert store.get(cookie) is None  # and gone, not revived
    cookie, session = store.create("tok_2")
    store.drop(cookie)
    assert store.get(cookie) is None


def test_a_session_made_by_one_worker_is_known_to_another_and_kept_hashed(root: Path) -> None:
    one, other = SharedSessionStore(SharedState(root)), SharedSessionStore(SharedState(root))
    cookie, session = one.create("tok_1")
    assert other.get(cookie) == session
    stored = b"".join(
        path.read_bytes() for path in root.iterdir() if path.name.startswith(runtime.STATE_DB)
    )
    assert cookie.encode() not in stored  # only its SHA-256
    other.drop(cookie)
    assert one.get(cookie) is None
