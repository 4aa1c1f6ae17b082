"""Projects, devices, enrollment codes and tokens: rows and queries."""

from __future__ import annotations

import sqlite3

import msgspec


class ProjectRow(msgspec.Struct, frozen=True, kw_only=True):
    """A project as stored."""

    code: str
    name: str
    created_at_ms: int


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    """An enrolled device as stored."""

    device_id: str
    project: str
    label: str
    signing_public: bytes
    encryption_recipient: str
    enrolled_at_ms: int
    revoked_at_ms: int | None
    last_seq: int
    last_seen_ms: int | None


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token as stored (its hash only, never the token)."""

    token_id: str
    token_hash: str
    role: str
    project: str | None
    label: str
    created_at_ms: int
    revoked_at_ms: int | None
    # None: never expires. Refused from this instant on.
    expires_at_ms: int | None = None
    # When a request last authenticated with it (written at most once a minute).
    last_used_ms: int | None = None

    def state(self, now_ms: int) -> str:
        """`revoked`, `expired` or `active` at `now_ms`."""
        if self.revoked_at_ms is not None:
            return "revoked"
        if self.expires_at_ms is not None and now_ms >= self.expires_at_ms:
            return "expired"
        return "active"


class EnrollCodeRow(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time enrollment code as stored (hashed)."""

    code_hash: str
    project: str
    created_at_ms: int
    expires_at_ms: int
    used_at_ms: int | None
    device_id: str | None


_DEVICE_COLS = (
    "device_id, project, label, signing_public, encryption_recipient, enrolled_at_ms,"
    " revoked_at_ms, last_seq, last_seen_ms"
)
_TOKEN_COLS = (
    "token_id, token_hash, role, project, label, created_at_ms, revoked_at_ms, expires_at_ms,"
    " last_used_ms"
)


def insert_project(conn: sqlite3.Connection, code: str, name: str, now_ms: int) -> ProjectRow:
    """Insert a project row."""
    conn.execute(
        "INSERT INTO projects (code, name, created_at_ms) VALUES (?, ?, ?)", (code, name, now_ms)
    )
    return ProjectRow(code=code, name=name, created_at_ms=now_ms)


def get_project(conn: sqlite3.Connection, code: str) -> ProjectRow | None:
    """One project, or None."""
    row = conn.execute(
        "SELECT code, name, created_at_ms FROM projects WHERE code = ?", (code,)
    ).fetchone()
    return None if row is None else ProjectRow(code=row[0], name=row[1], created_at_ms=row[2])


def list_projects(conn: sqlite3.Connection) -> list[ProjectRow]:
    """All projects by code."""
    rows = conn.execute("SELECT code, name, created_at_ms FROM projects ORDER BY code")
    return [ProjectRow(code=r[0], name=r[1], created_at_ms=r[2]) for r in rows]


def insert_enroll_code(
    conn: sqlite3.Connection, code_hash: str, project: str, now_ms: int, expires_at_ms: int
) -> None:
    """Store a new one-time enrollment code (hashed)."""
    conn.execute(
        "INSERT INTO enroll_codes (code_hash, project, created_at_ms, expires_at_ms)"
        " VALUES (?, ?, ?, ?)",
        (code_hash, project, now_ms, expires_at_ms),
    )


def get_enroll_code(conn: sqlite3.Connection, code_hash: str) -> EnrollCodeRow | None:
    """An enrollment code by its hash, or None."""
    row = conn.execute(
        "SELECT code_hash, project, created_at_ms, expires_at_ms, used_at_ms, device_id"
        " FROM enroll_codes WHERE code_hash = ?",
        (code_hash,),
    ).fetchone()
    if row is None:
        return None
    return EnrollCodeRow(
        code_hash=row[0],
        project=row[1],
        created_at_ms=row[2],
        expires_at_ms=row[3],
        used_at_ms=row[4],
        device_id=row[5],
    )


def use_enroll_code(conn: sqlite3.Connection, code_hash: str, device_id: str, now_ms: int) -> bool:
    """Mark a code used; False if it was already used (a race lost)."""
    cur = conn.execute(
        "UPDATE enroll_codes SET used_at_ms = ?, device_id = ?"
        " WHERE code_hash = ? AND used_at_ms IS NULL",
        (now_ms, device_id, code_hash),
    )
    return cur.rowcount == 1


def insert_device(conn: sqlite3.Connection, device: DeviceRow) -> None:
    """Store a newly enrolled device."""
    conn.execute(
        f"INSERT INTO devices ({_DEVICE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        msgspec.structs.astuple(device),
    )


def _device(row: tuple[object, ...]) -> DeviceRow:
    return msgspec.convert(
        dict(zip(_DEVICE_COLS.replace(" ", "").split(","), row, strict=True)), DeviceRow
    )


def get_device(conn: sqlite3.Connection, device_id: str) -> DeviceRow | None:
    """One device, or None."""
    row = conn.execute(
        f"SELECT {_DEVICE_COLS} FROM devices WHERE device_id = ?", (device_id,)
    ).fetchone()
    return None if row is None else _device(row)


def device_with_keys(
    conn: sqlite3.Connection, signing_public: bytes, encryption_recipient: str
) -> DeviceRow | None:
    """A device (of any project, revoked or not) enrolled with either of these keys."""
    row = conn.execute(
        f"SELECT {_DEVICE_COLS} FROM devices WHERE signing_public = ? OR encryption_recipient = ?"
        " LIMIT 1",
        (signing_public, encryption_recipient),
    ).fetchone()
    return None if row is None else _device(row)


def list_devices(conn: sqlite3.Connection, project: str | None = None) -> list[DeviceRow]:
    """Devices, optionally of one project, in enrollment order."""
    if project is None:
        rows = conn.execute(f"SELECT {_DEVICE_COLS} FROM devices ORDER BY enrolled_at_ms")
    else:
        rows = conn.execute(
            f"SELECT {_DEVICE_COLS} FROM devices WHERE project = ? ORDER BY enrolled_at_ms",
            (project,),
        )
    return [_device(r) for r in rows]


def revoke_device(conn: sqlite3.Connection, device_id: str, now_ms: int) -> bool:
    """Revoke a device; False if it was already revoked."""
    cur = conn.execute(
        "UPDATE devices SET revoked_at_ms = ? WHERE device_id = ? AND revoked_at_ms IS NULL",
        (now_ms, device_id),
    )
    return cur.rowcount == 1


def touch_device(conn: sqlite3.Connection, device_id: str, seq: int, now_ms: int) -> None:
    """Record a device's highest batch sequence number and when it was last seen."""
    conn.execute(
        "UPDATE devices SET last_seq = MAX(last_seq, ?), last_seen_ms = ? WHERE device_id = ?",
        (seq, now_ms, device_id),
    )


def insert_token(conn: sqlite3.Connection, token: TokenRow) -> None:
    """Store a token (its hash)."""
    conn.execute(
        f"INSERT INTO tokens ({_TOKEN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        msgspec.structs.astuple(token),
    )


def _token(row: tuple[object, ...]) -> TokenRow:
    return msgspec.convert(
        dict(zip(_TOKEN_COLS.replace(" ", "").split(","), row, strict=True)), TokenRow
    )


def get_token_by_hash(conn: sqlite3.Connection, token_hash: str) -> TokenRow | None:
    """A token by the hash of its secret, or None."""
    row = conn.execute(
        f"SELECT {_TOKEN_COLS} FROM tokens WHERE token_hash = ?", (token_hash,)
    ).fetchone()
    return None if row is None else _token(row)


def get_token(conn: sqlite3.Connection, token_id: str) -> TokenRow | None:
    """A token by its id."""
    row = conn.execute(
        f"SELECT {_TOKEN_COLS} FROM tokens WHERE token_id = ?", (token_id,)
    ).fetchone()
    return None if row is None else _token(row)


def list_tokens(conn: sqlite3.Connection) -> list[TokenRow]:
    """All tokens (hashes only) in creation order."""
    return [
        _token(r) for r in conn.execute(f"SELECT {_TOKEN_COLS} FROM tokens ORDER BY created_at_ms")
    ]


def revoke_token(conn: sqlite3.Connection, token_id: str, now_ms: int) -> bool:
    """Revoke a token by id; False if unknown or already revoked."""
    cur = conn.execute(
        "UPDATE tokens SET revoked_at_ms = ? WHERE token_id = ? AND revoked_at_ms IS NULL",
        (now_ms, token_id),
    )
    return cur.rowcount == 1


def touch_token(conn: sqlite3.Connection, token_id: str, now_ms: int, every_ms: int) -> bool:
    """Record a use of a token, unless one was recorded less than `every_ms` ago."""
    cur = conn.execute(
        "UPDATE tokens SET last_used_ms = ? WHERE token_id = ?"
        " AND (last_used_ms IS NULL OR last_used_ms <= ?)",
        (now_ms, token_id, now_ms - every_ms),
    )
    return cur.rowcount == 1
