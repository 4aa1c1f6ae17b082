"""Device enrollment and pull: the device-facing actions other than push (see ingest)."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from server import auth
from server.audit.chain import project_chain
from server.clock import now_ms
from server.context import ServerContext
from server.errors import BadRequest, Conflict, Forbidden, Gone, Unauthorized
from server.store import admin as rows
from server.store import audit_log
from server.store import sync_tables as st
from sync import age, sealed, wire
from sync.errors import CairnCryptoError
from sync.ops import Op

MAX_PULL_LIMIT = 20_000
_OP = msgspec.msgpack.Decoder(Op)  # type: ignore[arg-type]


def _dot(blob: bytes) -> tuple[str, int]:
    """The dot of a stored op (decoded only for the rare clock-suspect ones)."""
    op = _OP.decode(blob)
    return (op.dot.actor, op.dot.counter)


def actor_labels(conn: Any, project: str) -> dict[str, str]:
    """Labels of everyone who can write to a project's records: its devices, its
    supervisors' and the administrators' tokens (as `sup-ID` / `adm-ID` actors)."""
    out = {d.device_id: d.label for d in rows.list_devices(conn, project) if d.label}
    for token in rows.list_tokens(conn):
        if token.role == "admin" or token.project == project:
            prefix = "adm" if token.role == "admin" else "sup"
            out[f"{prefix}-{token.token_id}"] = token.label or token.role
    return out


def enroll(ctx: ServerContext, request: wire.EnrollRequest) -> wire.EnrollResponse:
    """Trade a one-time code and a device's public keys for a device id and our keys."""
    try:
        Ed25519PublicKey.from_public_bytes(request.signing_public)
    except ValueError as exc:
        raise BadRequest(
            "signing_public must be a 32-byte Ed25519 public key", code="bad_device_key"
        ) from exc
    try:
        age.parse_recipient(request.encryption_recipient)
    except (CairnCryptoError, ValueError) as exc:
        raise BadRequest(
            f"encryption_recipient is not an age recipient ({exc})", code="bad_device_key"
        ) from exc
    digest = auth.hash_secret(auth.normalize_code(request.code))
    now = now_ms()
    device_id = "dev-" + secrets.token_hex(8)
    with ctx.store.write() as conn:
        code = rows.get_enroll_code(conn, digest)
        if code is None:
            raise Unauthorized(
                "unknown enrollment code; check it or ask an administrator for a new one",
                code="unknown_code",
            )
        if code.used_at_ms is not None:
            raise Gone(
                "this enrollment code was already used; each code enrolls one device",
                code="code_used",
            )
        if code.expires_at_ms <= now:
            raise Gone("this enrollment code has expired; ask for a new one", code="code_expired")
        if rows.device_with_keys(conn, request.signing_public, request.encryption_recipient):
            # One key, one device: a tablet's key signs for one device of one project.
            raise Conflict(
                "these device keys are enrolled already; a device enrolls once, with keys "
                "of its own (make a new device home to enroll another device)",
                code="device_key_enrolled",
            )
        rows.insert_device(
            conn,
            rows.DeviceRow(
                device_id=device_id,
                project=code.project,
                label=request.label[:200],
                signing_public=request.signing_public,
                encryption_recipient=request.encryption_recipient,
                enrolled_at_ms=now,
                revoked_at_ms=None,
                last_seq=0,
                last_seen_ms=now,
            ),
        )
        rows.use_enroll_code(conn, digest, device_id, now)
        audit_log.append(
            conn,
            chain=project_chain(code.project),
            at_ms=now,
            kind="device.enroll",
            actor=f"device:{device_id}",
            subject=code.project,
            data={"code_id": digest[:12], "recipient": request.encryption_recipient},
        )
    public = ctx.keys.public()
    return wire.EnrollResponse(
        device_id=device_id,
        project=code.project,
        server_signing_public=public.signing_public,
        server_signing_key_id=public.signing_key_id,
        batch_recipient=public.batch_recipient,
        batch_key_id=public.batch_key_id,
        server_time_ms=now,
    )


def pull(ctx: ServerContext, request: wire.PullRequest) -> bytes:
    """A sealed page of the project's ops after the request's cursor."""
    conn = ctx.store.reader()
    device = rows.get_device(conn, request.device_id)
    if device is None or not request.verify(device.signing_public):
        raise Unauthorized(
            "pull request not signed by an enrolled device; enroll again", code="unknown_signer"
        )
    if device.revoked_at_ms is not None:
        raise Forbidden("this device was revoked by an administrator", code="revoked_signer")
    if request.cursor < 0 or not 1 <= request.limit <= MAX_PULL_LIMIT:
        raise BadRequest(
            f"cursor must be >= 0 and limit between 1 and {MAX_PULL_LIMIT}", code="bad_pull"
        )
    limit = min(request.limit, ctx.config.pull_page_ops)
    page = list(st.iter_ops(conn, device.project, request.cursor, limit + 1))
    more = len(page) > limit
    page = page[:limit]
    body = wire.encode(
        wire.PullPage(
            ops=[msgspec.Raw(blob) for _, _, blob, _ in page],
            cursor=page[-1][0] if page else request.cursor,
            more=more,
            server_time_ms=now_ms(),
            suspect=[_dot(blob) for _, _, blob, flagged in page if flagged],
            batch_key_id=ctx.keys.current.key_id,
            batch_recipient=ctx.keys.current.recipient,
            labels=actor_labels(conn, device.project),
        )
    )
    return sealed.seal_pull(
        body,
        device_id=device.device_id,
        cursor=request.cursor,
        device_recipient=device.encryption_recipient,
        server_signing_key=ctx.keys.signing_key,
        server_key_id=ctx.keys.signing_key_id,
    )
