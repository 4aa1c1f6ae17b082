"""Bearer tokens and enrollment codes: made here, stored only as SHA-256 hashes.

Tokens carry 256 random bits, so a plain SHA-256 is enough to store them (no password
stretching needed: nothing to brute-force). The database lookup is by hash, and the final
comparison uses `hmac.compare_digest`, so response time does not depend on how much of a
guessed token is right.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3

import msgspec
from litestar.di import NamedDependency

from server.clock import now_ms
from server.errors import CairnServerError, Forbidden, NotFound, Unauthorized
from server.store import Store
from server.store import admin as rows

log = logging.getLogger("cairn.server")

TOKEN_PREFIX = "cairn_"
METRICS_ROLE = "metrics"
# A token's last-used time is written at most this often (a read is not a write).
TOUCH_EVERY_MS = 60_000
# Crockford-style alphabet without look-alikes (no I, L, O, U), for codes read aloud.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making a request: an admin (all projects), a supervisor (one project) or a
    metrics reader (/metrics only)."""

    role: str
    token_id: str
    project: str | None

    @property
    def actor(self) -> str:
        """The actor id this principal's ops and audit entries carry."""
        return f"{self.role}:{self.token_id}"


# Handler parameter type for the authenticated caller (injected by name as `principal`).
Caller = NamedDependency[Principal]


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a token or code, the only form ever stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token: (token, token_id, token_hash)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = hash_secret(token)
    return token, digest[:12], digest


def new_enroll_code() -> tuple[str, str]:
    """A one-time enrollment code of 80 random bits, typed in groups: (code, hash)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    return code, hash_secret(normalize_code(code))


def normalize_code(code: str) -> str:
    """Codes are read aloud and typed: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def token_row(conn: sqlite3.Connection, authorization: str | None) -> rows.TokenRow:
    """The stored token an `Authorization: Bearer …` header names, usable now; or
    Unauthorized (`unauthorized` for none or an unknown one, `token_revoked`,
    `token_expired`)."""
    if not authorization:
        raise Unauthorized("this endpoint needs an 'Authorization: Bearer <token>' header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    digest = hash_secret(token)
    row = rows.get_token_by_hash(conn, digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise Unauthorized("unknown token; ask an administrator for a new one")
    check_usable(row, now_ms())
    return row


def check_usable(row: rows.TokenRow, now: int) -> None:
    """Refuse a revoked or expired token (the API, the console and /metrics alike)."""
    state = row.state(now)
    if state == "revoked":
        raise Unauthorized(
            "this token was revoked; ask an administrator for a new one", code="token_revoked"
        )
    if state == "expired":
        raise Unauthorized(
            "this token has expired; ask an administrator for a new one", code="token_expired"
        )


def principal_of(row: rows.TokenRow) -> Principal:
    """Who a stored token speaks for."""
    return Principal(role=row.role, token_id=row.token_id, project=row.project)


def authenticate(conn: sqlite3.Connection, authorization: str | None) -> Principal:
    """The principal behind an `Authorization: Bearer …` header, or Unauthorized."""
    return principal_of(token_row(conn, authorization))


def note_use(store: Store, row: rows.TokenRow, now: int | None = None) -> None:
    """Record that a token was used, at most once a minute per token, so that reading
    does not become writing on every request. Never fails the request it serves: a full
    disk costs the last-used time, not the answer."""
    now = now_ms() if now is None else now
    if row.last_used_ms is not None and now - row.last_used_ms < TOUCH_EVERY_MS:
        return
    try:
        with store.write() as conn:
            rows.touch_token(conn, row.token_id, now, TOUCH_EVERY_MS)
    except (CairnServerError, sqlite3.Error) as exc:
        log.warning("could not record the use of token %s: %s", row.token_id, type(exc).__name__)


def require_api_role(principal: Principal) -> None:
    """A metrics token reads /metrics only: no project, record or admin route."""
    if principal.role == METRICS_ROLE:
        raise Forbidden(
            "a metrics token reads only /metrics; use a supervisor or admin token here",
            code="metrics_token_only",
        )


def require_admin(principal: Principal) -> None:
    """Only administrators may go on."""
    if principal.role != "admin":
        raise Forbidden("this action needs an administrator token")


def require_project(principal: Principal, project: str) -> None:
    """Admins see every project; a supervisor only their own (others do not seem to exist)."""
    if principal.role == "admin":
        return
    if principal.project != project:
        raise NotFound(f"no project {project!r}")
