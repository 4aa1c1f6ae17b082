"""Attachment routes: devices upload and fetch; supervisors and admins read.

Device routes (signed by the device, msgpack): ``POST /v1/device/attachments`` takes one
chunk of a sealed upload (or asks where the upload stands) and answers an
`UploadState`; ``POST /v1/device/attachments/fetch`` answers a file of the device's
project as an age file encrypted to the device's own key, streamed.

Human routes (bearer token): the file with Range support, its thumbnail, and the
project's list of files still missing. The file and its thumbnail also take the
console's session cookie when no token is sent, so the console's record page shows a
photo from this very route (same host, same access rule); the cookie is SameSite=Strict,
so no other site's page can make a signed-in browser load one.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from server import openapi, review
from server.attachments import access, thumbs, upload
from server.attachments.files import AttachmentFiles
from server.auth import Caller, Principal
from server.context import Cairn
from server.errors import (
    BadRequest,
    CairnServerError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from server.store import admin as admin_rows
from server.store import attachments as rows
from server.streaming import threaded
from sync import attachment as fmt
from sync.age import Encryptor, parse_recipient

MSGPACK = "application/msgpack"
READ_CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiable(CairnServerError):
    """A Range header outside the file."""

    status = 416
    code = "range_not_satisfiable"


async def _body(request: Request[Any, Any, Any], limit: int) -> bytearray:
    """The request body, read into one buffer of the declared length as it arrives (no
    list of pieces joined afterwards: one copy of an upload chunk in memory, not two)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"an upload request of {declared} bytes is over the limit of {limit} bytes; "
            "send smaller chunks",
            limit_bytes=limit,
        )
    size = int(declared) if declared is not None and declared.isdigit() else 0
    body = bytearray(size)
    got = 0
    async for piece in request.stream():
        if got + len(piece) > limit:
            raise PayloadTooLarge(f"an upload request is over the limit of {limit} bytes")
        if got + len(piece) <= size:
            body[got : got + len(piece)] = piece
        else:
            del body[got:]
            body += piece
        got += len(piece)
    del body[got:]  # a body cut off short: the chunk's own check answers
    if not body:
        raise BadRequest("empty body", code="empty_body")
    return body


def request_limit(cairn_chunk: int) -> int:
    """Largest upload request body: one chunk and its signed header."""
    return cairn_chunk + 8192


def _encrypted(path: Any, recipient: str) -> Iterator[bytes]:
    buffer = io.BytesIO()
    enc = Encryptor(buffer, [parse_recipient(recipient)])
    with open(path, "rb") as f:
        while data := f.read(READ_CHUNK):
            enc.write(data)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    enc.close()
    yield buffer.getvalue()


def _read(path: Any, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = length
        while left > 0 and (data := f.read(min(READ_CHUNK, left))):
            left -= len(data)
            yield data


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single `bytes=` range; None for the whole file."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match[1] and not match[2]):
        return None  # not a single byte range: RFC 9110 §14.2 lets us send it whole
    if not match[1]:
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable("the range asks for no byte of the file", size=size)
        return max(0, size - suffix), size - 1
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(f"the range starts beyond the file's {size} bytes", size=size)
    return start, min(end, size - 1)


FILE_404 = (
    "The file is not held by a project this caller sees, or was never sent "
    "(`attachment_not_found`, the same either way)"
)
SIGNED_403 = (
    "Not signed by a device enrolled here (`unknown_signer`), or by a revoked one "
    "(`revoked_signer`)"
)


class MissingAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A reference whose file the project has not received."""

    sha256: str
    record_id: str
    path: str
    device_id: str
    device_label: str = ""


class MissingAttachmentsResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The project's references still waiting for their files, by device."""

    project: str
    missing: list[MissingAttachment]


class DeviceAttachmentController(Controller):
    """Routes for field devices (signed, no bearer token)."""

    path = "/v1/device/attachments"
    tags = ["device"]  # noqa: RUF012
    security = openapi.DEVICE_SIGNED

    @post(
        "/",
        status_code=200,
        opt=openapi.doc(
            body=openapi.binary(
                "application/octet-stream",
                "One framed upload request: a chunk header signed by the device (its "
                "upload, offset, length and the chunk's SHA-256), then the chunk's bytes; "
                f"the first chunk starts with the sealed file's signed header "
                f"({openapi.PROTOCOL} section 8b)",
            ),
            answer=openapi.msgpack(
                fmt.UploadState,
                "Where the upload stands: the offset the server holds, and once the file "
                "is whole the server's signed AttachmentReceipt",
            ),
            errors={
                400: "An empty or malformed request, a chunk whose bytes do not match its "
                "signed header (`chunk_mismatch`), clear routing that differs from the "
                "signed one (`routing_mismatch`)",
                403: SIGNED_403,
                409: "A chunk at another offset than the server holds (`offset_mismatch`, "
                "`details.offset` says where to resume), or a file no op of the device's "
                "project references (`unreferenced_attachment`)",
                413: "A request over the chunk limit, or a file over the attachment limit "
                "(`too_large`)",
                422: "The finished file does not decrypt, or does not hash to its signed "
                "SHA-256 and size; nothing was stored",
            },
        ),
    )
    async def upload(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """One chunk of a sealed attachment (or an offset query) → msgpack UploadState.

        Uploads resume: after a dropped connection the device asks for the offset and
        sends the rest. The file counts as delivered only with the signed receipt.
        """
        body = await _body(request, request_limit(cairn.config.max_chunk_bytes))
        state = await sync_to_thread(upload.receive, cairn, body)
        return Response(state, media_type=MSGPACK)

    @post(
        "/fetch",
        status_code=200,
        opt=openapi.doc(
            body=openapi.msgpack(fmt.FetchRequest, "The file's SHA-256, signed by the device"),
            answer=openapi.binary(
                "application/octet-stream",
                "The file as an age file encrypted to the device's own key",
            ),
            errors={
                400: "An empty body, or one that does not decode (`malformed_request`)",
                403: SIGNED_403,
                404: FILE_404,
                413: "A body over the route's limit (`too_large`)",
            },
        ),
    )
    async def fetch(self, request: Request[Any, Any, Any], cairn: Cairn) -> Stream:
        """A signed FetchRequest → the file as an age file encrypted to the device.

        Only a file that a record of the device's own project references.
        """
        body = await _body(request, cairn.config.max_json_bytes)
        try:
            message = fmt.FETCH_REQUEST.decode(body)
        except msgspec.DecodeError as exc:
            raise BadRequest(f"malformed fetch request: {exc}", code="malformed_request") from exc
        conn = cairn.store.reader()
        device = admin_rows.get_device(conn, message.device_id)
        if device is None or not message.verify(device.signing_public):
            raise Forbidden(
                "this request is not signed by a device enrolled here", code="unknown_signer"
            )
        if device.revoked_at_ms is not None:
            raise Forbidden(f"device {device.device_id!r} was revoked", code="revoked_signer")
        blob = access.device_may_read(conn, device.project, message.sha256)
        path = AttachmentFiles(cairn.config.data_dir).blobs.path(blob.sha256)
        chunks = _encrypted(path, device.encryption_recipient)
        return Stream(threaded(chunks), media_type="application/octet-stream")


def _token_or_session(request: Request[Any, Any, Any], cairn: Cairn) -> Principal:
    """The bearer token's principal (as every API route); without an Authorization
    header, the console session's (its token re-read, so revoking it ends access)."""
    from server.app import token_principal
    from server.web.guard import SignInNeeded, signed_in
    from server.web.sessions import COOKIE

    if request.headers.get("authorization") or COOKIE not in request.cookies:
        return token_principal(request, cairn)
    try:
        principal, _session = signed_in(request)
    except SignInNeeded:
        raise Unauthorized(
            "your console session has ended; sign in again (or send a bearer token)"
        ) from None
    return principal


_VIEWER = {"principal": Provide(_token_or_session, sync_to_thread=True)}


class AttachmentController(Controller):
    """Routes for supervisors and admins."""

    path = "/v1"
    tags = ["attachments"]  # noqa: RUF012

    @get(
        "/attachments/{sha256:str}",
        dependencies=_VIEWER,
        security=openapi.BEARER_OR_SESSION,
        opt=openapi.doc(
            answer=openapi.binary(
                "*/*",
                "The file's bytes, with the media type sniffed from them when it arrived",
                ETag="The file's SHA-256, quoted",
                **{"Accept-Ranges": "bytes"},
            ),
            more_answers={
                206: "One byte range of the file (`Range: bytes=…`), with `Content-Range`",
                304: "`If-None-Match` named this file's ETag: not sent again",
            },
            errors={
                401: "No token and no live console session (`unauthorized`)",
                404: FILE_404,
                416: "A range outside the file (`range_not_satisfiable`)",
            },
        ),
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        cairn: Cairn,
        principal: Caller,
        sha256: FromPath[str],
    ) -> Stream:
        """The file's bytes: Content-Type, Content-Length, ETag (its hash), Range."""
        conn = cairn.store.reader()
        access.visible_project(conn, principal, sha256)
        blob = rows.get_blob(conn, sha256)
        if blob is None:
            raise NotFound("the file is not on this server", code="attachment_not_found")
        etag = f'"{sha256}"'
        headers = {
            "ETag": etag,
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == etag:
            return Stream(iter(()), status_code=304, headers=headers)
        path = AttachmentFiles(cairn.config.data_dir).blobs.path(sha256)
        wanted = _range(request.headers.get("range"), blob.size)
        if wanted is None:
            headers["Content-Length"] = str(blob.size)
            return Stream(
                threaded(_read(path, 0, blob.size)), media_type=blob.media_type, headers=headers
            )
        start, end = wanted
        headers["Content-Length"] = str(end - start + 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{blob.size}"
        return Stream(
            threaded(_read(path, start, end - start + 1)),
            media_type=blob.media_type,
            headers=headers,
            status_code=206,
        )

    @get(
        "/attachments/{sha256:str}/thumbnail",
        sync_to_thread=True,
        dependencies=_VIEWER,
        security=openapi.BEARER_OR_SESSION,
        opt=openapi.doc(
            answer=openapi.binary("image/jpeg", "The thumbnail, a JPEG", ETag="Hash and size"),
            errors={
                400: "A size not offered (`bad_thumbnail_size`), or a file that is not an "
                "image (`not_an_image`)",
                401: "No token and no live console session (`unauthorized`)",
                404: FILE_404,
            },
        ),
    )
    def thumbnail(
        self,
        cairn: Cairn,
        principal: Caller,
        sha256: FromPath[str],
        size: FromQuery[int] = thumbs.DEFAULT_SIZE,
    ) -> Response[bytes]:
        """A JPEG thumbnail of an image attachment (`size` 128, 256 or 512; cached)."""
        if size not in thumbs.SIZES:
            raise BadRequest(
                f"size {size} is not offered; use one of {', '.join(map(str, thumbs.SIZES))}",
                code="bad_thumbnail_size",
            )
        conn = cairn.store.reader()
        access.visible_project(conn, principal, sha256)
        files = AttachmentFiles(cairn.config.data_dir)
        try:
            made = thumbs.thumbnail(files.blobs.path(sha256), files.thumb(sha256, size), size)
        except thumbs.NotAnImage as exc:
            raise BadRequest(str(exc), code="not_an_image") from exc
        return Response(
            made.read_bytes(),
            media_type="image/jpeg",
            headers={"ETag": f'"{sha256}-{size}"', "Cache-Control": "private, max-age=86400"},
        )

    @get(
        "/projects/{code:str}/attachments/missing",
        sync_to_thread=True,
        security=openapi.BEARER_ONLY,
        opt=openapi.doc(errors={404: "No such project, or not this token's (`not_found`)"}),
    )
    def missing(
        self, cairn: Cairn, principal: Caller, code: FromPath[str]
    ) -> MissingAttachmentsResponse:
        """Every reference of the project whose file has not arrived, with the device."""
        conn = cairn.store.reader()
        review.require_visible_project(conn, principal, code)
        labels = {d.device_id: d.label for d in admin_rows.list_devices(conn, code)}
        return MissingAttachmentsResponse(
            project=code,
            missing=[
                MissingAttachment(
                    sha256=sha,
                    record_id=rid,
                    path=path,
                    device_id=actor,
                    device_label=labels.get(actor, ""),
                )
                for sha, rid, path, actor in rows.project_missing(conn, code)
            ],
        )
