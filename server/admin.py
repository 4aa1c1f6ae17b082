"""Administrative actions, shared by the `cairn admin` commands and the HTTP admin routes.

Each action runs in one write transaction together with its audit entry, so an action is
never stored without its audit trail (nor the other way round).
"""

from __future__ import annotations

import re
import sqlite3

import msgspec

from server import auth
from server.audit.chain import SERVER, project_chain
from server.clock import now_ms
from server.errors import BadRequest, Conflict, NotFound
from server.store import Store, audit_log
from server.store import admin as rows
from server.store import sync_tables as st

# Matched whole with fullmatch: `$` would also match before a final newline ("DSH\n").
PROJECT_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}")
ROLES = ("admin", "supervisor", auth.METRICS_ROLE)
MAX_ENROLL_SECONDS = 30 * 24 * 3600
MIN_TOKEN_SECONDS = 60
MAX_TOKEN_SECONDS = 10 * 366 * 24 * 3600  # ten years: beyond that, say "never"


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """A token as handed out once: the secret is never stored."""

    token: str
    token_id: str
    role: str
    project: str | None
    # None: the token never expires (until revoked).
    expires_at_ms: int | None = None


class IssuedCode(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time enrollment code as handed out once."""

    code: str
    project: str
    expires_at_ms: int


def _require_project(conn: sqlite3.Connection, code: str) -> rows.ProjectRow:
    project = rows.get_project(conn, code)
    if project is None:
        raise NotFound(f"no project {code!r}; create it first", code="unknown_project")
    return project


def create_project(store: Store, code: str, name: str, actor: str) -> rows.ProjectRow:
    """Create a project; its code is upper-case letters, digits, '-' and '_'."""
    if PROJECT_CODE.fullmatch(code) is None:
        raise BadRequest(
            f"project code {code!a} must be 2-32 upper-case letters, digits, '-' or '_' "
            "(for example AZ-DASHALTI)",
            code="bad_project_code",
        )
    if not name.strip():
        raise BadRequest("a project needs a name", code="bad_project_name")
    now = now_ms()
    with store.write() as conn:
        if rows.get_project(conn, code) is not None:
            raise Conflict(f"project {code!r} already exists", code="project_exists")
        project = rows.insert_project(conn, code, name.strip(), now)
        audit_log.append(
            conn,
            chain=SERVER,
            at_ms=now,
            kind="project.create",
            actor=actor,
            subject=code,
            data={"name": name},
        )
        keys = audit_log.keys_in_force(conn)
        audit_log.open_chain(conn, project_chain(code), at_ms=now, actor=actor, keys=keys)
    return project


def issue_enroll_code(store: Store, project: str, expires_s: int, actor: str) -> IssuedCode:
    """A one-time device enrollment code for a project, valid for `expires_s` seconds."""
    if not 60 <= expires_s <= MAX_ENROLL_SECONDS:
        raise BadRequest(
            "an enrollment code must expire between 1 minute and 30 days from now",
            code="bad_expiry",
        )
    code, code_hash = auth.new_enroll_code()
    now = now_ms()
    expires = now + expires_s * 1000
    with store.write() as conn:
        _require_project(conn, project)
        rows.insert_enroll_code(conn, code_hash, project, now, expires)
        audit_log.append(
            conn,
            chain=project_chain(project),
            at_ms=now,
            kind="enroll.code",
            actor=actor,
            subject=project,
            data={"code_id": code_hash[:12], "expires_at_ms": expires},
        )
    return IssuedCode(code=code, project=project, expires_at_ms=expires)


def issue_token(
    store: Store,
    role: str,
    project: str | None,
    actor: str,
    label: str = "",
    expires_s: int | None = None,
) -> IssuedToken:
    """A new bearer token; supervisors are bound to one project, admins and metrics
    readers to none. With `expires_s` it is refused from that many seconds on."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}", code="bad_role")
    if role == "supervisor" and not project:
        raise BadRequest(
            "a supervisor token is bound to one project: name the project", code="project_required"
        )
    if role != "supervisor" and project:
        raise BadRequest(
            f"{'an' if role == 'admin' else 'a'} {role} token covers every project: "
            "leave the project out",
            code="bad_scope",
        )
    if expires_s is not None and not MIN_TOKEN_SECONDS <= expires_s <= MAX_TOKEN_SECONDS:
        raise BadRequest(
            "a token must expire between 1 minute and 10 years from now (or never)",
            code="bad_expiry",
        )
    token, token_id, digest = auth.new_token()
    now = now_ms()
    expires = None if expires_s is None else now + expires_s * 1000
    with store.write() as conn:
        if project is not None:
            _require_project(conn, project)
        rows.insert_token(
            conn,
            rows.TokenRow(
                token_id=token_id,
                token_hash=digest,
                role=role,
                project=project,
                label=label,
                created_at_ms=now,
                revoked_at_ms=None,
                expires_at_ms=expires,
            ),
        )
        audit_log.append_to_project(
            conn,
            project,
            at_ms=now,
            kind="token.issue",
            actor=actor,
            subject=token_id,
            data={"role": role, "project": project, "label": label, "expires_at_ms": expires},
        )
    return IssuedToken(
        token=token, token_id=token_id, role=role, project=project, expires_at_ms=expires
    )


def list_tokens(store: Store) -> list[rows.TokenRow]:
    """Every token (ids, roles, scopes, labels, times; never a secret), oldest first."""
    return rows.list_tokens(store.reader())


def list_devices(store: Store, project: str | None) -> list[rows.DeviceRow]:
    """Devices, of one project or all."""
    conn = store.reader()
    if project is not None:
        _require_project(conn, project)
    return rows.list_devices(conn, project)


def revoke_device(store: Store, device_id: str, actor: str) -> rows.DeviceRow:
    """Revoke a device: its batches are refused from now on; what it sent stays."""
    now = now_ms()
    with store.write() as conn:
        device = rows.get_device(conn, device_id)
        if device is None:
            raise NotFound(f"no device {device_id!r}", code="unknown_device")
        if not rows.revoke_device(conn, device_id, now):
            raise Conflict(f"device {device_id!r} is already revoked", code="already_revoked")
        audit_log.append(
            conn,
            chain=project_chain(device.project),
            at_ms=now,
            kind="device.revoke",
            actor=actor,
            subject=device_id,
            data={"project": device.project},
        )
        revoked = rows.get_device(conn, device_id)
    assert revoked is not None
    return revoked


SERVER_URL_KEY = "server_url"


def record_server_url(store: Store, url: str) -> None:
    """Remember where `cairn serve` last listened, for the commands that name the server."""
    with store.write() as conn:
        st.set_meta(conn, SERVER_URL_KEY, url)


def recorded_server_url(store: Store) -> str | None:
    """The URL `cairn serve` last listened on, if it ever ran on this data directory."""
    return st.get_meta(store.reader(), SERVER_URL_KEY)


def revoke_token(store: Store, token_id: str, actor: str) -> rows.TokenRow:
    """Revoke a token: it is refused on its next request, API and console alike."""
    now = now_ms()
    with store.write() as conn:
        token = rows.get_token(conn, token_id)
        if token is None:
            raise NotFound(f"no token {token_id!r}", code="unknown_token")
        if not rows.revoke_token(conn, token_id, now):
            raise Conflict(f"token {token_id!r} is already revoked", code="already_revoked")
        audit_log.append_to_project(
            conn,
            token.project,
            at_ms=now,
            kind="token.revoke",
            actor=actor,
            subject=token_id,
            data={"project": token.project},
        )
        revoked = rows.get_token(conn, token_id)
    assert revoked is not None
    return revoked
