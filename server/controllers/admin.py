"""Admin routes: the HTTP face of `cairn admin …` (projects, enrollment codes, tokens, devices)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from server import admin, key_changes
from server.auth import Caller, require_admin
from server.context import Cairn
from server.store import admin as rows


class ProjectCreateRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A new project."""

    code: str
    name: str


class ProjectResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A project."""

    code: str
    name: str
    created_at_ms: int


class EnrollCodeRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Ask for a one-time enrollment code; it expires after `expires_s` seconds."""

    expires_s: int = 24 * 3600


class TokenRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Ask for a new bearer token."""

    role: str
    # The project code a supervisor token is bound to (admins: none).
    project: str | None = None
    label: str = ""


class DeviceResponse(msgspec.Struct, frozen=True, kw_only=True):
    """An enrolled device (public keys only)."""

    device_id: str
    project: str
    label: str
    encryption_recipient: str
    enrolled_at_ms: int
    revoked_at_ms: int | None
    last_seq: int
    last_seen_ms: int | None


def device_response(row: rows.DeviceRow) -> DeviceResponse:
    """The public view of a device row."""
    return DeviceResponse(
        device_id=row.device_id,
        project=row.project,
        label=row.label,
        encryption_recipient=row.encryption_recipient,
        enrolled_at_ms=row.enrolled_at_ms,
        revoked_at_ms=row.revoked_at_ms,
        last_seq=row.last_seq,
        last_seen_ms=row.last_seen_ms,
    )


class AdminController(Controller):
    """Administration; every route needs an admin token."""

    path = "/v1"
    tags = ["admin"]  # noqa: RUF012

    @post("/projects", status_code=201, sync_to_thread=True)
    def create_project(
        self, data: JSONBody[ProjectCreateRequest], cairn: Cairn, principal: Caller
    ) -> ProjectResponse:
        """Create a project."""
        require_admin(principal)
        row = admin.create_project(cairn.store, data.code, data.name, principal.actor)
        return ProjectResponse(code=row.code, name=row.name, created_at_ms=row.created_at_ms)

    @get("/projects", sync_to_thread=True)
    def list_projects(self, cairn: Cairn, principal: Caller) -> list[ProjectResponse]:
        """Projects this token may see."""
        projects = rows.list_projects(cairn.store.reader())
        return [
            ProjectResponse(code=p.code, name=p.name, created_at_ms=p.created_at_ms)
            for p in projects
            if principal.role == "admin" or p.code == principal.project
        ]

    @post("/projects/{code:str}/enroll-codes", status_code=201, sync_to_thread=True)
    def enroll_code(
        self,
        code: FromPath[str],
        data: JSONBody[EnrollCodeRequest],
        cairn: Cairn,
        principal: Caller,
    ) -> admin.IssuedCode:
        """Issue a one-time device enrollment code for a project."""
        require_admin(principal)
        return admin.issue_enroll_code(cairn.store, code, data.expires_s, principal.actor)

    @post("/tokens", status_code=201, sync_to_thread=True)
    def issue_token(
        self, data: JSONBody[TokenRequest], cairn: Cairn, principal: Caller
    ) -> admin.IssuedToken:
        """Issue a supervisor or admin token (shown once, stored hashed)."""
        require_admin(principal)
        return admin.issue_token(cairn.store, data.role, data.project, principal.actor, data.label)

    @get("/devices", sync_to_thread=True)
    def devices(
        self, cairn: Cairn, principal: Caller, project: FromQuery[str | None] = None
    ) -> list[DeviceResponse]:
        """Enrolled devices, of one project (?project=CODE) or all."""
        require_admin(principal)
        return [device_response(d) for d in admin.list_devices(cairn.store, project)]

    @post("/devices/{device_id:str}/revoke", status_code=200, sync_to_thread=True)
    def revoke(self, device_id: FromPath[str], cairn: Cairn, principal: Caller) -> DeviceResponse:
        """Revoke a device: its future batches are refused; what it sent stays."""
        require_admin(principal)
        return device_response(admin.revoke_device(cairn.store, device_id, principal.actor))


class KeyRotationRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Rotate the server batch key; post-quantum hybrid unless `hybrid` is false."""

    hybrid: bool = True


class KeysResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The server's public keys after a rotation."""

    signing_key_id: str
    batch_key_id: str
    batch_recipient: str
    retired_key_ids: list[str]


class KeysController(Controller):
    """Server key management; admins only."""

    path = "/v1/keys"
    tags = ["admin"]  # noqa: RUF012

    @post("/rotate", status_code=200, sync_to_thread=True)
    def rotate(
        self, data: JSONBody[KeyRotationRequest], cairn: Cairn, principal: Caller
    ) -> KeysResponse:
        """Make a new current batch key; devices learn it on their next pull."""
        require_admin(principal)
        keys_dir = cairn.config.data_dir / "keys"
        cairn.keys = key_changes.rotate_batch_key(
            cairn.store, keys_dir, principal.actor, data.hybrid
        )
        public = cairn.keys.public()
        return KeysResponse(
            signing_key_id=public.signing_key_id,
            batch_key_id=public.batch_key_id,
            batch_recipient=public.batch_recipient,
            retired_key_ids=[k.key_id for k in public.retired],
        )
