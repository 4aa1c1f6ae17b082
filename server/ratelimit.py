"""Failed-authentication rate limit: a sliding window of wrong tokens per client address.

Policy (documented in README "Security" and bench/README.md): a client address that sends
`max_failures` wrong or revoked bearer tokens within `window_s` seconds is locked out of
every token-authenticated route until the oldest of those failures leaves the window. While
locked out, it gets 429 with a `Retry-After` header, and its tokens are not even looked at,
so a locked-out guesser learns nothing, not even whether a guess was right. Requests without
a token, and device routes (signed, not token-based), are not counted.

Tokens carry 256 random bits, so the limit is not what keeps them safe; it keeps a guesser
from loading the server, and makes guessing visible in the logs. The table is bounded
(`max_clients` addresses, the least recently failing dropped first), so a flood of spoofed
addresses cannot exhaust memory. The address is the client's as uvicorn reports it: the
TCP peer, or, when the peer is a trusted reverse proxy (`cairn serve
--forwarded-allow-ips`, default 127.0.0.1), the address the proxy names in
X-Forwarded-For. Behind a proxy that is not trusted, every client shares the proxy's
address, so one guesser there locks out everyone. With `cairn serve --workers N` the
failures are counted where every worker sees them (`SharedFailedAuthLimiter`), so a
guesser gains nothing from landing on another worker.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from server.runtime import SharedState

DEFAULT_MAX_FAILURES = 30
DEFAULT_WINDOW_S = 60.0
DEFAULT_MAX_CLIENTS = 10_000


class FailedAuthLimiter:
    """Counts failed token checks per client address in a sliding window."""

    def __init__(
        self,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        window_s: float = DEFAULT_WINDOW_S,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds this client must wait before trying a token again, or None if it may."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now)
            if times is None or len(times) < self.max_failures:
                return None
            oldest_that_counts = times[len(times) - self.max_failures]
            return max(1, math.ceil(oldest_that_counts + self.window_s - now))

    def record_failure(self, client: str) -> None:
        """Count one wrong or revoked token from this client."""
        with self._lock:
            now = self._clock()
            times = self._recent(client, now)
            if times is None:
                times = self._failures[client] = deque(maxlen=self.max_failures)
            times.append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)


class SharedFailedAuthLimiter:
    """The same policy as `FailedAuthLimiter`, counted in the runtime directory's state
    database (server/runtime.py), so that every worker of `cairn serve --workers N` sees
    every failure: a guesser gains nothing by landing on another worker.

    The clock must be one every worker shares: `time.monotonic` is the system's (Linux's
    CLOCK_MONOTONIC), and the state lives only as long as the supervising `cairn serve`."""

    def __init__(
        self,
        state: SharedState,
        *,
        max_failures: int = DEFAULT_MAX_FAILURES,
        window_s: float = DEFAULT_WINDOW_S,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock

    def retry_after(self, client: str) -> int | None:
        """Seconds this client must wait before trying a token again, or None if it may."""
        now = self._clock()
        times = [
            at
            for (at,) in self.state.conn().execute(
                "SELECT at FROM auth_failures WHERE client = ? AND at > ? ORDER BY at DESC LIMIT ?",
                (client, now - self.window_s, self.max_failures),
            )
        ]
        if len(times) < self.max_failures:
            return None
        oldest_that_counts: float = times[-1]
        return max(1, math.ceil(oldest_that_counts + self.window_s - now))

    def record_failure(self, client: str) -> None:
        """Count one wrong or revoked token from this client."""
        now = self._clock()
        with self.state.write() as conn:
            conn.execute("DELETE FROM auth_failures WHERE at <= ?", (now - self.window_s,))
            conn.execute("INSERT INTO auth_failures (client, at) VALUES (?, ?)", (client, now))
            # Only the last `max_failures` of a client count (a deque of that length).
            conn.execute(
                "DELETE FROM auth_failures WHERE client = ? AND rowid NOT IN (SELECT rowid"
                " FROM auth_failures WHERE client = ? ORDER BY at DESC LIMIT ?)",
                (client, client, self.max_failures),
            )
            (clients,) = conn.execute("SELECT COUNT(DISTINCT client) FROM auth_failures").fetchone()
            if clients > self.max_clients:
                # Bounded like the table in memory: the least recently failing go first.
                conn.execute(
                    "DELETE FROM auth_failures WHERE client IN (SELECT client FROM"
                    " auth_failures WHERE client != ? GROUP BY client ORDER BY MAX(at)"
                    " LIMIT ?)",
                    (client, clients - self.max_clients),
                )
