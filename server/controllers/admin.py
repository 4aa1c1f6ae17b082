"""Admin routes: the HTTP face of `cairn admin …` (projects, enrollment codes, tokens, devices)."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from server import admin, key_changes, openapi
from server.auth import Caller, require_admin
from server.clock import now_ms
from server.context import Cairn
from server.errors import Conflict
from server.store import admin as rows

ADMIN_ONLY = "A supervisor token (`forbidden`: this action needs an administrator token)"


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

    role: Literal["admin", "supervisor", "metrics"]
    # The project code a supervisor token is bound to (admins and metrics readers: none).
    project: str | None = None
    label: str = ""
    # Seconds until the token is refused (60 s to 10 years); none: until revoked.
    expires_s: int | None = None


class TokenResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A token as listed: never its secret, which only its holder has."""

    token_id: str
    role: str
    project: str | None
    label: str
    created_at_ms: int
    expires_at_ms: int | None
    revoked_at_ms: int | None
    # When a request last used it (recorded at most once a minute); none: never.
    last_used_ms: int | None
    state: Literal["active", "expired", "revoked"]


def token_response(row: rows.TokenRow, now: int) -> TokenResponse:
    """The listed view of a token row."""
    return TokenResponse(
        token_id=row.token_id,
        role=row.role,
        project=row.project,
        label=row.label,
        created_at_ms=row.created_at_ms,
        expires_at_ms=row.expires_at_ms,
        revoked_at_ms=row.revoked_at_ms,
        last_used_ms=row.last_used_ms,
        state=row.state(now),  # type: ignore[arg-type]
    )


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
    security = openapi.BEARER_ONLY

    @post(
        "/projects",
        status_code=201,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                400: "A code or name that is not allowed (`bad_project_code`, `bad_project_name`)",
                403: ADMIN_ONLY,
                409: "A project with this code exists (`project_exists`)",
            }
        ),
    )
    def create_project(
        self, data: JSONBody[ProjectCreateRequest], cairn: Cairn, principal: Caller
    ) -> ProjectResponse:
        """Create a project (an investigation).

        `code` is its short stable name (letters, digits, dashes), used in every route.
        """
        require_admin(principal)
        row = admin.create_project(cairn.store, data.code, data.name, principal.actor)
        return ProjectResponse(code=row.code, name=row.name, created_at_ms=row.created_at_ms)

    @get("/projects", sync_to_thread=True)
    def list_projects(self, cairn: Cairn, principal: Caller) -> list[ProjectResponse]:
        """Projects this token may see: all for an admin, a supervisor's own."""
        projects = rows.list_projects(cairn.store.reader())
        return [
            ProjectResponse(code=p.code, name=p.name, created_at_ms=p.created_at_ms)
            for p in projects
            if principal.role == "admin" or p.code == principal.project
        ]

    @post(
        "/projects/{code:str}/enroll-codes",
        status_code=201,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                400: "An expiry out of range (`bad_expiry`)",
                403: ADMIN_ONLY,
                404: "No such project (`unknown_project`)",
            }
        ),
    )
    def enroll_code(
        self,
        code: FromPath[str],
        data: JSONBody[EnrollCodeRequest],
        cairn: Cairn,
        principal: Caller,
    ) -> admin.IssuedCode:
        """Issue a one-time device enrollment code for a project.

        The code (16 characters in groups, read aloud or scanned) enrolls one device with
        `POST /v1/device/enroll` before it expires; only its hash is stored.
        """
        require_admin(principal)
        return admin.issue_enroll_code(cairn.store, code, data.expires_s, principal.actor)

    @post(
        "/tokens",
        status_code=201,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                400: "An unknown role (`bad_role`); a supervisor token without a project, "
                "or another token with one (`project_required`, `bad_scope`); an expiry "
                "out of range (`bad_expiry`)",
                403: ADMIN_ONLY,
                404: "No such project (`unknown_project`)",
            }
        ),
    )
    def issue_token(
        self, data: JSONBody[TokenRequest], cairn: Cairn, principal: Caller
    ) -> admin.IssuedToken:
        """Issue a supervisor, admin or metrics token (shown once, stored hashed).

        A supervisor token is bound to one project; an admin token sees every project; a
        metrics token reads only /metrics. `expires_s` makes it expire.
        """
        require_admin(principal)
        return admin.issue_token(
            cairn.store, data.role, data.project, principal.actor, data.label, data.expires_s
        )

    @get("/tokens", sync_to_thread=True, opt=openapi.doc(errors={403: ADMIN_ONLY}))
    def list_tokens(self, cairn: Cairn, principal: Caller) -> list[TokenResponse]:
        """Every token: id, role, project, label, created, expires, last used, state."""
        require_admin(principal)
        now = now_ms()
        return [token_response(t, now) for t in admin.list_tokens(cairn.store)]

    @post(
        "/tokens/{token_id:str}/revoke",
        status_code=200,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                403: ADMIN_ONLY,
                404: "No such token (`unknown_token`)",
                409: "The token is revoked already (`already_revoked`), or is the one "
                "making the request (`own_token`)",
            }
        ),
    )
    def revoke_token(
        self, token_id: FromPath[str], cairn: Cairn, principal: Caller
    ) -> TokenResponse:
        """Revoke a token: refused on its next request, its console sessions end (audited)."""
        require_admin(principal)
        if token_id == principal.token_id:
            raise Conflict(
                "this is the token making the request; revoke it with another admin token "
                "or 'cairn admin token revoke' on the server",
                code="own_token",
            )
        row = admin.revoke_token(cairn.store, token_id, principal.actor)
        return token_response(row, now_ms())

    @get(
        "/devices",
        sync_to_thread=True,
        opt=openapi.doc(errors={403: ADMIN_ONLY, 404: "No such project (`unknown_project`)"}),
    )
    def devices(
        self, cairn: Cairn, principal: Caller, project: FromQuery[str | None] = None
    ) -> list[DeviceResponse]:
        """Enrolled devices, of one project (?project=CODE) or all.

        Public keys only, with the last sequence number and last sync of each.
        """
        require_admin(principal)
        return [device_response(d) for d in admin.list_devices(cairn.store, project)]

    @post(
        "/devices/{device_id:str}/revoke",
        status_code=200,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                403: ADMIN_ONLY,
                404: "No such device (`unknown_device`)",
                409: "The device is revoked already (`already_revoked`)",
            }
        ),
    )
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
    security = openapi.BEARER_ONLY

    @post(
        "/rotate", status_code=200, sync_to_thread=True, opt=openapi.doc(errors={403: ADMIN_ONLY})
    )
    def rotate(
        self, data: JSONBody[KeyRotationRequest], cairn: Cairn, principal: Caller
    ) -> KeysResponse:
        """Make a new current batch key; devices learn it on their next pull.

        Retired keys are kept, so batches sealed to them before the news still open.
        """
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
