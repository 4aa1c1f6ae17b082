"""Console sessions: a token exchanged once for a cookie that names a server-side session.

The cookie holds 256 random bits; the server keeps only their SHA-256, with the token id
the session acts for, its CSRF secret and its expiry. Sessions live in the server's
memory, or with `cairn serve --workers N` in the state database every worker shares
(server/runtime.py); a restart signs everyone out either way (the safe side). Each
request re-reads the token, so a revoked token ends its sessions at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

import msgspec

from server.runtime import SharedState

COOKIE = "cairn_session"
LOGIN_COOKIE = "cairn_login"
LIFETIME_S = 8 * 3600  # a working day at the field base
MAX_SESSIONS = 10_000


class WebSession(msgspec.Struct, frozen=True, kw_only=True):
    """One signed-in browser: whose token, its CSRF secret, until when."""

    token_id: str
    csrf: str
    expires_at: float


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SessionStore:
    """Sessions by the hash of their cookie; thread-safe (handlers run in threads)."""

    def __init__(self, lifetime_s: int = LIFETIME_S) -> None:
        self.lifetime_s = lifetime_s
        self._now = time.time
        self._lock = threading.Lock()
        self._by_hash: dict[str, WebSession] = {}

    def create(self, token_id: str) -> tuple[str, WebSession]:
        """A new session for a token: (cookie value, session)."""
        cookie = secrets.token_urlsafe(32)
        session = WebSession(
            token_id=token_id,
            csrf=secrets.token_urlsafe(32),
            expires_at=self._now() + self.lifetime_s,
        )
        with self._lock:
            if len(self._by_hash) >= MAX_SESSIONS:
                self._sweep()
            self._by_hash[_digest(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None) -> WebSession | None:
        """The live session a cookie names, or None (unknown or expired)."""
        if not cookie:
            return None
        key = _digest(cookie)
        with self._lock:
            session = self._by_hash.get(key)
            if session is not None and session.expires_at <= self._now():
                del self._by_hash[key]
                return None
        return session

    def drop(self, cookie: str | None) -> None:
        """End a session (sign out)."""
        if cookie:
            with self._lock:
                self._by_hash.pop(_digest(cookie), None)

    def _sweep(self) -> None:
        now = self._now()
        for key in [k for k, s in self._by_hash.items() if s.expires_at <= now]:
            del self._by_hash[key]


def same_secret(a: str | None, b: str | None) -> bool:
    """Compare a form's CSRF value with the expected one in constant time."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class SharedSessionStore:
    """`SessionStore`'s interface over the runtime directory's state database
    (server/runtime.py): a session made by one worker of `cairn serve --workers N` is known
    to every worker. Kept as the SHA-256 of the cookie, as in memory; a restart of the
    supervising `cairn serve` removes them all (the safe side, as before)."""

    def __init__(self, state: SharedState, lifetime_s: int = LIFETIME_S) -> None:
        self.state = state
        self.lifetime_s = lifetime_s
        self._now = time.time

    def create(self, token_id: str) -> tuple[str, WebSession]:
        """A new session for a token: (cookie value, session)."""
        cookie = secrets.token_urlsafe(32)
        now = self._now()
        session = WebSession(
            token_id=token_id, csrf=secrets.token_urlsafe(32), expires_at=now + self.lifetime_s
        )
        with self.state.write() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM web_sessions").fetchone()
            if count >= MAX_SESSIONS:
                conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO web_sessions (digest, token_id, csrf, expires_at) VALUES (?, ?, ?, ?)",
                (_digest(cookie), session.token_id, session.csrf, session.expires_at),
            )
        return cookie, session

    def get(self, cookie: str | None) -> WebSession | None:
        """The live session a cookie names, or None (unknown or expired)."""
        if not cookie:
            return None
        key = _digest(cookie)
        row = (
            self.state.conn()
            .execute("SELECT token_id, csrf, expires_at FROM web_sessions WHERE digest = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        session = WebSession(token_id=row[0], csrf=row[1], expires_at=row[2])
        if session.expires_at <= self._now():
            self.drop(cookie)
            return None
        return session

    def drop(self, cookie: str | None) -> None:
        """End a session (sign out)."""
        if cookie:
            with self.state.write() as conn:
                conn.execute("DELETE FROM web_sessions WHERE digest = ?", (_digest(cookie),))
