"""Receiving sealed attachments: chunked, resumable, verified, then receipted.

The flow of one request (format in docs/protocol.md §8):

1. Parse the signed chunk header and check the device's signature over it (one answer,
   403 `unknown_signer`, for an unknown device and a bad signature), that the device is
   not revoked, and that the chunk's bytes are whole (length and SHA-256 signed).
2. The file must be referenced by an op of this very device (409
   `unreferenced_attachment`): nobody uploads what no record of theirs names.
3. An upload already receipted answers its receipt again (replays change nothing); a
   file the device's project already holds is receipted without a byte sent.
4. A chunk is appended only at the offset the server holds (else 409 `offset_mismatch`
   with the offset to resume from), only whole, and fsynced; the first chunk must carry
   the signed attachment header, checked at once (signature, device, hash, size limit).
5. The final chunk triggers verification: the sealed file is read once, its age payload
   decrypted with the batch keys into a temporary blob while hashing, and only bytes of
   exactly the signed size and SHA-256 are kept (blob renamed to its hash, the sealed
   form kept as received); then one transaction records the upload, its audit entry and
   its signed receipt. A failed check throws the upload away (422, nothing stored); a
   full disk answers 507 with nothing half-written (the blob is removed again, the
   sealed file goes back to being an upload in progress).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from server.attachments import exif
from server.attachments.files import AttachmentFiles
from server.audit.chain import project_chain
from server.clock import now_ms
from server.context import ServerContext
from server.errors import (
    BadRequest,
    CairnServerError,
    Conflict,
    Forbidden,
    PayloadTooLarge,
    StorageFull,
    Unprocessable,
)
from server.store import admin as admin_rows
from server.store import attachments as rows
from server.store import audit_log
from sync import attachment as fmt
from sync import errors as crypto_errors
from sync.age.stream import CHUNK_SIZE, ENC_CHUNK_SIZE
from sync.media import sniff

# The age header of a post-quantum file is under 2 KiB; one stanza per recipient.
_AGE_HEADER_BOUND = 4096
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def sealed_size_bound(size: int) -> int:
    """The most bytes a sealed attachment of a ``size``-byte file can take."""
    chunks = max(1, -(-size // CHUNK_SIZE))
    return (
        fmt.head_length_bound()
        + _AGE_HEADER_BOUND
        + 16
        + size
        + chunks * (ENC_CHUNK_SIZE - CHUNK_SIZE)
    )


@contextmanager
def _upload_lock(device_id: str, sha256: str) -> Iterator[None]:
    with _locks_guard:
        lock = _locks.setdefault((device_id, sha256), threading.Lock())
    with lock:
        yield


def _full(exc: OSError) -> CairnServerError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _storage_full()
    raise exc


def _storage_full() -> StorageFull:
    return StorageFull(
        "the server's disk is full; nothing from this request was stored. Try again after "
        "the administrator frees space (the upload resumes where it stopped)"
    )


def _signer(ctx: ServerContext, chunk: fmt.Chunk) -> admin_rows.DeviceRow:
    device = admin_rows.get_device(ctx.store.reader(), chunk.header.device_id)
    unknown = Forbidden(
        "this upload is not signed by a device enrolled here (unknown device, or a "
        "signature that does not verify); enroll the device with a one-time code",
        code="unknown_signer",
    )
    if device is None:
        raise unknown
    try:
        fmt.verify_chunk(chunk, device.signing_public)
    except crypto_errors.BadSignature:
        raise unknown from None
    if device.revoked_at_ms is not None:
        raise Forbidden(
            f"device {device.device_id!r} was revoked; its uploads are refused",
            code="revoked_signer",
        )
    return device


def receive(ctx: ServerContext, body: bytes) -> bytes:
    """Handle one upload request; return the msgpack `UploadState` (or raise a 4xx/507)."""
    try:
        chunk = fmt.parse_chunk(body)
    except crypto_errors.CairnCryptoError as exc:
        raise BadRequest(str(exc), code=exc.code) from exc
    device = _signer(ctx, chunk)
    header = chunk.header
    data = body[chunk.data_offset :]
    if len(data) != header.length or hashlib.sha256(data).digest() != header.chunk_sha256:
        raise BadRequest(
            f"the chunk carries {len(data)} bytes that are not the {header.length} bytes "
            "its header signs (cut off or altered); send it again",
            code="chunk_mismatch",
        )
    sha = header.sha256.hex()
    reader = ctx.store.reader()
    if not rows.device_references(reader, device.device_id, sha):
        raise Conflict(
            f"no op of this device references the file {sha}; push the batch whose op "
            "attaches it first (only referenced files are accepted)",
            code="unreferenced_attachment",
        )
    files = AttachmentFiles(ctx.config.data_dir)
    with _upload_lock(device.device_id, sha):
        done = rows.get_upload(reader, device.device_id, sha)
        if done is not None:
            return fmt.encode_state(
                fmt.UploadState(sha256=sha, offset=done.sealed_size, receipt=done.receipt)
            )
        if rows.project_holds(reader, device.project, sha):
            return _receipt_without_bytes(ctx, device, sha)
        return _append(ctx, files, device, chunk, data)


def _current(part: Path, upload: bytes, offset: int) -> int:
    """The offset an upload stands at; a part of another sealing is dropped at offset 0."""
    try:
        size = part.stat().st_size
    except FileNotFoundError:
        return 0
    with open(part, "rb") as f:
        try:
            same = fmt.read_head(f).upload_id == upload
        except crypto_errors.CairnCryptoError:
            same = False
    if same:
        return size
    if offset == 0:
        part.unlink()  # the device sealed the file anew (e.g. after a key rotation)
        return 0
    raise Conflict(
        "this upload is not the one in progress here; start it again from offset 0",
        code="offset_mismatch",
        offset=0,
    )


def _check_head(
    ctx: ServerContext, device: admin_rows.DeviceRow, chunk: fmt.Chunk, data: bytes
) -> fmt.SealedHead:
    try:
        head = fmt.parse_head(data)
        fmt.verify_attachment_header(head, device.signing_public)
    except crypto_errors.BadSignature as exc:
        raise Forbidden(str(exc), code="unknown_signer") from exc
    except crypto_errors.CairnCryptoError as exc:
        raise BadRequest(
            f"the first chunk must start with the signed attachment header: {exc}", code=exc.code
        ) from exc
    if (
        head.header.device_id != device.device_id
        or head.header.sha256 != chunk.header.sha256
        or head.upload_id != chunk.header.upload
    ):
        raise BadRequest(
            "the attachment header names another device, file or upload than its chunk",
            code="routing_mismatch",
        )
    limit = ctx.config.max_attachment_bytes
    if head.header.size > limit:
        raise PayloadTooLarge(
            f"the file is {head.header.size} bytes, over this server's limit of {limit} "
            "bytes per attachment",
            code="too_large",
            limit_bytes=limit,
        )
    return head


def _append(
    ctx: ServerContext,
    files: AttachmentFiles,
    device: admin_rows.DeviceRow,
    chunk: fmt.Chunk,
    data: bytes,
) -> bytes:
    header = chunk.header
    sha = header.sha256.hex()
    part = files.ensure(files.partial(device.device_id, sha))
    current = _current(part, header.upload, header.offset)
    if header.length == 0 and not header.final:
        return fmt.encode_state(fmt.UploadState(sha256=sha, offset=current))
    if header.offset != current:
        raise Conflict(
            f"this chunk starts at byte {header.offset}, but the upload stands at byte "
            f"{current}; resume from there",
            code="offset_mismatch",
            offset=current,
        )
    if current == 0:
        head = _check_head(ctx, device, chunk, data)
    else:
        with open(part, "rb") as f:
            head = fmt.read_head(f)
    if current + len(data) > sealed_size_bound(head.header.size):
        raise PayloadTooLarge(
            "the upload is longer than a sealed file of its size can be", code="too_large"
        )
    if data:
        if files.free_bytes() < ctx.config.min_free_bytes + len(data):
            raise _storage_full()
        try:
            with open(part, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            # Nothing half-written: the part goes back to the last whole chunk.
            with open(part, "r+b") as f:
                f.truncate(current)
                os.fsync(f.fileno())
            raise _full(exc) from exc
    total = current + len(data)
    if not header.final:
        return fmt.encode_state(fmt.UploadState(sha256=sha, offset=total))
    receipt = _finish(ctx, files, device, part, head)
    return fmt.encode_state(fmt.UploadState(sha256=sha, offset=total, receipt=receipt))


class _HashingReader:
    """Reads a file while hashing every byte read."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1, /) -> bytes:
        data = self._f.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _finish(
    ctx: ServerContext,
    files: AttachmentFiles,
    device: admin_rows.DeviceRow,
    part: Path,
    head: fmt.SealedHead,
) -> bytes:
    sha = head.header.sha256_hex
    existed = files.blobs.has(sha)
    try:
        with open(part, "rb") as raw:
            reader = _HashingReader(raw)
            fmt.read_head(reader)  # type: ignore[arg-type]
            with files.blobs.writing(expect=sha) as blob:
                fmt.open_payload(
                    reader,  # type: ignore[arg-type]
                    head,
                    list(ctx.keys.batch_identities().values()),
                    blob,
                )
    except fmt.AttachmentMismatch as exc:
        part.unlink(missing_ok=True)
        raise Unprocessable(
            f"{exc}; nothing was stored, upload the file again", code=exc.code
        ) from exc
    except crypto_errors.CairnCryptoError as exc:
        part.unlink(missing_ok=True)
        raise Unprocessable(
            f"the attachment's payload does not open: {exc} Nothing was stored; upload the "
            "file again",
            code=exc.code,
        ) from exc
    except OSError as exc:
        raise _full(exc) from exc
    media_type = sniff(blob.head)
    facts = exif.read_facts(files.blobs.path(sha)) if media_type == "image/jpeg" else {}
    sealed_path = files.sealed(device.device_id, sha)
    files.move(part, sealed_path)
    now = now_ms()
    try:
        with ctx.store.write() as conn:
            rows.insert_blob(
                conn,
                rows.BlobRow(
                    sha256=sha,
                    size=head.header.size,
                    media_type=media_type,
                    exif=json.dumps(facts, sort_keys=True),
                    stored_at_ms=now,
                ),
            )
            return _record_upload(
                ctx,
                conn,
                device,
                sha,
                head.header.size,
                reader.digest.hexdigest(),
                reader.size,
                now,
            )
    except BaseException:
        files.move(sealed_path, part)  # resumable again: only the final request is repeated
        if not existed:
            files.blobs.remove(sha)
        raise


def _record_upload(
    ctx: ServerContext,
    conn: object,
    device: admin_rows.DeviceRow,
    sha: str,
    size: int,
    sealed_sha256: str,
    sealed_size: int,
    now: int,
) -> bytes:
    entry = audit_log.append(
        conn,  # type: ignore[arg-type]
        chain=project_chain(device.project),
        at_ms=now,
        kind="attachment.accept",
        actor=f"device:{device.device_id}",
        subject=sha,
        data={"size": size, "sealed_sha256": sealed_sha256, "sealed_size": sealed_size},
    )
    receipt = fmt.sign_attachment_receipt(
        fmt.AttachmentReceipt(
            device_id=device.device_id,
            sha256=sha,
            size=size,
            sealed_sha256=sealed_sha256,
            received_at=now,
            audit_head=entry.hash,
            audit_seq=entry.seq,
        ),
        ctx.keys.signing_key,
        ctx.keys.signing_key_id,
    )
    rows.insert_upload(
        conn,  # type: ignore[arg-type]
        rows.UploadRow(
            project=device.project,
            device_id=device.device_id,
            sha256=sha,
            size=size,
            sealed_sha256=sealed_sha256,
            sealed_size=sealed_size,
            received_at_ms=now,
            receipt=receipt,
        ),
    )
    return receipt


def _receipt_without_bytes(ctx: ServerContext, device: admin_rows.DeviceRow, sha: str) -> bytes:
    """The project holds the file already (another of its devices sent it): receipt it."""
    blob = rows.get_blob(ctx.store.reader(), sha)
    assert blob is not None
    with ctx.store.write() as conn:
        again = rows.get_upload(conn, device.device_id, sha)
        receipt = (
            again.receipt
            if again is not None
            else _record_upload(ctx, conn, device, sha, blob.size, "", 0, now_ms())
        )
    return fmt.encode_state(fmt.UploadState(sha256=sha, offset=0, receipt=receipt))
