"""Bearer tokens and enrollment codes: made here, stored only as SHA-256 hashes.

Tokens carry 256 random bits, so a plain SHA-256 is enough to store them (no password
stretching needed: nothing to brute-force). The database lookup is by hash, and the final
comparison uses `hmac.compare_digest`, so response time does not depend on how much of a
guessed token is right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

import msgspec
from litestar.di import NamedDependency

from server.errors import Forbidden, NotFound, Unauthorized
from server.store import admin as rows

TOKEN_PREFIX = "cairn_"
# Crockford-style alphabet without look-alikes (no I, L, O, U), for codes read aloud.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making a request: an admin (all projects) or a supervisor (one project)."""

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


def authenticate(conn: sqlite3.Connection, authorization: str | None) -> Principal:
    """The principal behind an `Authorization: Bearer …` header, or Unauthorized."""
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
    if row.revoked_at_ms is not None:
        raise Unauthorized("this token was revoked; ask an administrator for a new one")
    return Principal(role=row.role, token_id=row.token_id, project=row.project)


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
