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
   with the offset to resume from), and only whole; the first chunk must carry the
   signed attachment header, checked at once (signature, device, hash, size limit).
5. Verification runs as the chunks arrive (`_Progress`; not with `cairn serve --workers N`,
   where the next chunk may reach another process): for an upload this process saw
   from its first byte, each appended chunk also goes through a running SHA-256 of the
   sealed file and a push-style age decryption (`sync.age.opener`) into the upload's
   plaintext file with a running SHA-256 and count, so the final chunk only opens the
   last 64 KiB and compares. Anything unusual there (a chunk that does not open, an
   upload resumed after a restart of the server, a state evicted) drops that state, and
   the final chunk falls back to the full check: the sealed file is read once, its age
   payload decrypted with the batch keys into a temporary blob while hashing. Either way
   only bytes of exactly the signed size and SHA-256 are kept (blob renamed to its hash,
   the sealed form kept as received, both fsynced first); then one transaction records
   the upload, its audit entry and its signed receipt. A failed check throws the upload
   away (422, nothing stored); a full disk answers 507 with nothing half-written (the
   blob is removed again, the sealed file goes back to being an upload in progress).

Durability of an upload in progress (docs/protocol.md §8b): chunks are written without
an fsync each; a background thread fsyncs the part (and its plaintext) every
`SYNC_BYTES` and then records the fsynced length in a small mark file, together with the
kernel's boot id. The offset the server reports is the part's length, which every
process sees as long as the machine did not go down; when the mark names another boot
(the machine crashed or restarted since), the part is first cut back to the fsynced
length, so a reported offset never covers bytes a power cut may have lost. Before the
receipt, everything is fsynced.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from server import runtime
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
from sync import durable
from sync import errors as crypto_errors
from sync.age.opener import PayloadOpener
from sync.age.stream import CHUNK_SIZE, ENC_CHUNK_SIZE
from sync.media import SNIFF_BYTES, sniff

# The age header of a post-quantum file is under 2 KiB; one stanza per recipient.
_AGE_HEADER_BOUND = 4096
# An upload in progress is fsynced (in the background) at least every this many bytes.
SYNC_BYTES = 64 * 1024 * 1024
# Uploads in progress whose check runs as they arrive (each: two open files, ~64 KiB).
PROGRESS_LIMIT = 16
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()
_progress: OrderedDict[tuple[str, str], _Progress] = OrderedDict()
_flusher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-upload-sync")
_verifier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-upload-check")


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


def _lock(device_id: str, sha256: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((device_id, sha256), threading.Lock())


@contextmanager
def _upload_lock(ctx: ServerContext, device_id: str, sha256: str) -> Iterator[None]:
    """One request at a time per upload: between this process's threads, and (several
    workers, server/runtime.py) between the worker processes, by a lock file each."""
    with _lock(device_id, sha256):
        if ctx.config.runtime_dir is None:
            yield
            return
        name = f"{device_id}.{sha256}.lock"  # an enrolled device id and a checked hash
        with runtime.locked_file(ctx.config.runtime_dir / runtime.LOCKS / name):
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


def receive(ctx: ServerContext, body: bytes | bytearray) -> bytes:
    """Handle one upload request; return the msgpack `UploadState` (or raise a 4xx/507)."""
    try:
        chunk = fmt.parse_chunk(bytes(memoryview(body)[: fmt.chunk_front_bound()]))
    except crypto_errors.CairnCryptoError as exc:
        raise BadRequest(str(exc), code=exc.code) from exc
    device = _signer(ctx, chunk)
    header = chunk.header
    data = memoryview(body)[chunk.data_offset :]
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
    with _upload_lock(ctx, device.device_id, sha):
        done = rows.get_upload(reader, device.device_id, sha)
        if done is not None:
            return fmt.encode_state(
                fmt.UploadState(sha256=sha, offset=done.sealed_size, receipt=done.receipt)
            )
        if rows.project_holds(reader, device.project, sha):
            return _receipt_without_bytes(ctx, device, sha)
        return _append(ctx, files, device, chunk, data)


# -- durability marks ---------------------------------------------------------------------


def boot_id() -> str:
    """The kernel's id of this boot ("" where there is none): page-cache bytes written
    under one boot id are lost only if the machine goes down, which changes it."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def _write_mark(path: Path, offset: int) -> None:
    with durable.writing(path) as f:
        f.write(json.dumps({"synced": offset, "boot": boot_id()}).encode())


def _read_mark(path: Path) -> tuple[int, str] | None:
    try:
        mark = json.loads(path.read_bytes())
        return int(mark["synced"]), str(mark["boot"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _discard(files: AttachmentFiles, device_id: str, sha: str) -> None:
    """Forget an upload in progress: its state, part, plaintext and mark."""
    _drop(device_id, sha)
    for path in (
        files.partial(device_id, sha),
        files.plain(device_id, sha),
        files.synced_mark(device_id, sha),
    ):
        path.unlink(missing_ok=True)


# -- uploads checked as they arrive -------------------------------------------------------


def _write_all(f: BinaryIO, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[f.write(view) :]


class _Unchecked(Exception):
    """The check as chunks arrive cannot go on; the full check at the end decides."""


class _Progress:
    """An upload this process received from its first byte, checked as chunks arrive.

    Holds the part file open for appending, a running SHA-256 of it (the receipt's
    ``sealed_sha256``), the age payload opened so far (`PayloadOpener`) into the upload's
    plaintext file, a running SHA-256 and count of that plaintext, and the length last
    fsynced. Used only under the upload's lock; its fsyncs run on `_flusher`.
    """

    def __init__(
        self, files: AttachmentFiles, device_id: str, head: fmt.SealedHead, ctx: ServerContext
    ) -> None:
        sha = head.header.sha256_hex
        self.head = head
        self.upload = head.upload_id
        self.part_path = files.partial(device_id, sha)
        self.plain_path = files.plain(device_id, sha)
        self.mark_path = files.synced_mark(device_id, sha)
        self.part = open(self.part_path, "xb", buffering=0)  # noqa: SIM115 (kept open)
        try:
            fd = os.open(self.plain_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self.plain = os.fdopen(fd, "wb", buffering=0)
        except BaseException:
            self.part.close()
            raise
        self.ino = os.fstat(self.part.fileno()).st_ino
        self.offset = 0
        self.synced = 0
        self.sealed = hashlib.sha256()
        self.digest = hashlib.sha256()
        self.size = 0
        self.first = b""
        self.opener = PayloadOpener(list(ctx.keys.batch_identities().values()), self)
        self.flushing: Future[None] | None = None
        self.checking: Future[None] | None = None

    def matches(self, upload: bytes) -> bool:
        """True while the part on disk is the one this state has written, whole."""
        try:
            st = self.part_path.stat()
        except FileNotFoundError:
            return False
        return upload == self.upload and st.st_ino == self.ino and st.st_size == self.offset

    def write(self, data: bytes) -> int:
        """The opener's output: the plaintext, hashed, counted, kept."""
        self.size += len(data)
        if self.size > self.head.header.size:
            raise fmt.AttachmentMismatch("longer than signed", code="size_mismatch")
        if len(self.first) < SNIFF_BYTES:
            self.first += data[: SNIFF_BYTES - len(self.first)]
        self.digest.update(data)
        _write_all(self.plain, data)
        return len(data)

    def append(self, data: memoryview) -> None:
        """Append a whole, checked chunk to the part; its check runs on `_verifier` while
        the next chunk travels (one chunk at most waits for it: memory stays bounded).

        An OSError (disk full) leaves the part as it was and is raised; when the check of
        an earlier chunk failed, `_Unchecked` is raised with this chunk appended (the
        full check at the end decides)."""
        start = self.offset
        try:
            _write_all(self.part, data)
        except OSError:
            self.part.truncate(start)
            raise
        self.offset += len(data)
        try:
            self._wait_check()
        except Exception as exc:
            raise _Unchecked from exc
        self.checking = _verifier.submit(self._check, data, start)
        if self.offset - self.synced >= SYNC_BYTES and (
            self.flushing is None or self.flushing.done()
        ):
            self.flushing = _flusher.submit(self._sync, self.offset)

    def _check(self, data: memoryview, start: int) -> None:
        """Hash a chunk into the sealed file's SHA-256 and open what it completes."""
        self.sealed.update(data)
        skip = max(0, self.head.length - start)
        if skip < len(data):
            self.opener.feed(data[skip:])

    def _wait_check(self) -> None:
        if self.checking is not None:
            checking, self.checking = self.checking, None
            checking.result()

    def _sync(self, offset: int) -> None:
        os.fdatasync(self.part.fileno())
        os.fdatasync(self.plain.fileno())
        _write_mark(self.mark_path, offset)
        self.synced = offset

    def settle(self) -> None:
        """Wait for the check and the fsync in flight (their error, if any, raised here)."""
        try:
            self._wait_check()
        finally:
            if self.flushing is not None:
                flushing, self.flushing = self.flushing, None
                flushing.result()

    def finish(self) -> None:
        """The whole file arrived: open the last chunk, compare, fsync both files.

        Raises when anything differs from the signed header (the caller falls back to
        the full check, whose error is the one to answer)."""
        self.settle()
        self.opener.finish()
        if self.size != self.head.header.size or self.digest.digest() != self.head.header.sha256:
            raise fmt.AttachmentMismatch("not what the header signs", code="hash_mismatch")
        os.fsync(self.part.fileno())
        os.fsync(self.plain.fileno())

    def close(self) -> None:
        """Close both files (after the check and any fsync in flight); the files stay."""
        with suppress(Exception):
            self.settle()
        self.part.close()
        self.plain.close()


def _get(device_id: str, sha: str) -> _Progress | None:
    with _locks_guard:
        found = _progress.get((device_id, sha))
        if found is not None:
            _progress.move_to_end((device_id, sha))
        return found


def _drop(device_id: str, sha: str) -> None:
    """Forget the state of an upload (caller holds its lock); its plaintext goes too."""
    with _locks_guard:
        found = _progress.pop((device_id, sha), None)
    if found is not None:
        found.close()
        found.plain_path.unlink(missing_ok=True)


def _keep(device_id: str, sha: str, progress: _Progress) -> None:
    """Remember a new state, evicting the least recently used ones over the limit."""
    with _locks_guard:
        _progress[(device_id, sha)] = progress
        victims = [key for key in _progress if key != (device_id, sha)]
    for key in victims[: max(0, len(victims) + 1 - PROGRESS_LIMIT)]:
        lock = _lock(*key)
        if lock.acquire(blocking=False):  # a state in use by a request stays
            try:
                _drop(*key)
            finally:
                lock.release()


# -- appending ----------------------------------------------------------------------------


def _current(files: AttachmentFiles, device_id: str, sha: str, upload: bytes, offset: int) -> int:
    """The offset an upload stands at (no state in memory); a part of another sealing is
    dropped at offset 0; after a reboot, a part is first cut back to what was fsynced."""
    part = files.partial(device_id, sha)
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
        mark_path = files.synced_mark(device_id, sha)
        mark = _read_mark(mark_path)
        if mark is not None and (not mark[1] or mark[1] != boot_id()):
            # The machine went down since: keep only what was fsynced, then say so under
            # this boot (from here on, appends without a state are fsynced one by one).
            size = min(size, mark[0])
            with open(part, "r+b") as f:
                f.truncate(size)
                os.fsync(f.fileno())
            _write_mark(mark_path, size)
        return size
    if offset == 0:
        _discard(files, device_id, sha)  # the device sealed the file anew (key rotation…)
        return 0
    raise Conflict(
        "this upload is not the one in progress here; start it again from offset 0",
        code="offset_mismatch",
        offset=0,
    )


def _check_head(
    ctx: ServerContext, device: admin_rows.DeviceRow, chunk: fmt.Chunk, data: memoryview
) -> fmt.SealedHead:
    try:
        head = fmt.parse_head(bytes(data[: fmt.head_length_bound()]))
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
    data: memoryview,
) -> bytes:
    header = chunk.header
    sha = header.sha256.hex()
    dev = device.device_id
    part = files.ensure(files.partial(dev, sha))
    progress = _get(dev, sha)
    if progress is not None and not progress.matches(header.upload):
        if progress.upload == header.upload or header.offset == 0:
            _drop(dev, sha)  # the part changed under it, or a new sealing starts over
        progress = None
    current = (
        progress.offset
        if progress is not None
        else _current(files, dev, sha, header.upload, header.offset)
    )
    if header.length == 0 and not header.final:
        return fmt.encode_state(fmt.UploadState(sha256=sha, offset=current))
    if header.offset != current:
        raise Conflict(
            f"this chunk starts at byte {header.offset}, but the upload stands at byte "
            f"{current}; resume from there",
            code="offset_mismatch",
            offset=current,
        )
    if progress is not None:
        head = progress.head
    elif current == 0:
        head = _check_head(ctx, device, chunk, data)
    else:
        with open(part, "rb") as f:
            head = fmt.read_head(f)
    if current + len(data) > sealed_size_bound(head.header.size):
        raise PayloadTooLarge(
            "the upload is longer than a sealed file of its size can be", code="too_large"
        )
    if data:
        # The plaintext grows beside the part while the upload is checked as it arrives.
        need = len(data) * (2 if progress is not None or current == 0 else 1)
        if files.free_bytes() < ctx.config.min_free_bytes + need:
            raise _storage_full()
        if current == 0:
            if ctx.config.runtime_dir is None:
                progress = _start(ctx, files, dev, head)
            else:
                # Several workers: the next chunk may reach another process, so no state
                # is kept in memory; each chunk is fsynced as it comes and the final one
                # checks the whole file (as after a restart).
                _discard(files, dev, sha)
        if progress is not None:
            _append_checked(files, dev, sha, progress, data)
        else:
            _append_plain(part, current, data)
    total = current + len(data)
    if not header.final:
        return fmt.encode_state(fmt.UploadState(sha256=sha, offset=total))
    receipt = _finish(ctx, files, device, part, head)
    return fmt.encode_state(fmt.UploadState(sha256=sha, offset=total, receipt=receipt))


def _start(
    ctx: ServerContext, files: AttachmentFiles, dev: str, head: fmt.SealedHead
) -> _Progress | None:
    """A new upload: its part and its first mark made durable, and its state kept."""
    sha = head.header.sha256_hex
    _discard(files, dev, sha)
    try:
        progress = _Progress(files, dev, head, ctx)
        try:
            _write_mark(progress.mark_path, 0)
            durable.fsync_dir(progress.part_path.parent)
        except BaseException:
            progress.close()
            raise
    except OSError as exc:
        _discard(files, dev, sha)
        raise _full(exc) from exc
    _keep(dev, sha, progress)
    return progress


def _append_checked(
    files: AttachmentFiles, dev: str, sha: str, progress: _Progress, data: memoryview
) -> None:
    try:
        progress.append(data)
    except OSError as exc:
        # Nothing half-written: the part is back at the last whole chunk; the check
        # as it arrives cannot go on without this chunk's plaintext, so it stops here.
        _drop(dev, sha)
        raise _full(exc) from exc
    except _Unchecked:
        _drop(dev, sha)  # the chunk is appended; the full check at the end answers


def _append_plain(part: Path, current: int, data: memoryview) -> None:
    try:
        with open(part, "ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if current == 0:
            durable.fsync_dir(part.parent)  # the part's name is durable too
    except OSError as exc:
        # Nothing half-written: the part goes back to the last whole chunk.
        with open(part, "r+b") as f:
            f.truncate(current)
            os.fsync(f.fileno())
        raise _full(exc) from exc


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


def _place_checked(files: AttachmentFiles, progress: _Progress, sha: str) -> bool:
    """Finish an upload checked as it arrived: its plaintext becomes the blob.

    False when the check does not hold (the full check decides); OSError raised."""
    try:
        progress.finish()
    except OSError:
        raise
    except Exception:  # anything else: not proven here, so the full check answers
        return False
    progress.close()
    target = files.blobs.path(sha)
    if target.is_file():
        progress.plain_path.unlink()  # the same bytes are stored already
    else:
        durable.make_dir(target.parent, 0o700)
        os.chmod(progress.plain_path, 0o400)
        os.replace(progress.plain_path, target)
        durable.fsync_dir(target.parent)
    return True


def _finish(
    ctx: ServerContext,
    files: AttachmentFiles,
    device: admin_rows.DeviceRow,
    part: Path,
    head: fmt.SealedHead,
) -> bytes:
    sha = head.header.sha256_hex
    dev = device.device_id
    existed = files.blobs.has(sha)
    with _locks_guard:
        progress = _progress.pop((dev, sha), None)
    try:
        checked = False
        if progress is not None:
            try:
                checked = progress.matches(head.upload_id) and _place_checked(files, progress, sha)
            finally:
                progress.close()
                progress.plain_path.unlink(missing_ok=True)
        if progress is not None and checked:
            sealed_sha256, sealed_size, first = (
                progress.sealed.hexdigest(),
                progress.offset,
                progress.first,
            )
        else:
            sealed_sha256, sealed_size, first = _full_check(ctx, files, part, head)
    except OSError as exc:
        if not existed:
            files.blobs.remove(sha)
        raise _full(exc) from exc
    media_type = sniff(first)
    facts = exif.read_facts(files.blobs.path(sha)) if media_type == "image/jpeg" else {}
    sealed_path = files.sealed(dev, sha)
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
            receipt = _record_upload(
                ctx, conn, device, sha, head.header.size, sealed_sha256, sealed_size, now
            )
    except BaseException:
        files.move(sealed_path, part)  # resumable again: only the final request is repeated
        if not existed:
            files.blobs.remove(sha)
        raise
    files.synced_mark(dev, sha).unlink(missing_ok=True)
    files.plain(dev, sha).unlink(missing_ok=True)  # one a restart left behind
    return receipt


def _full_check(
    ctx: ServerContext, files: AttachmentFiles, part: Path, head: fmt.SealedHead
) -> tuple[str, int, bytes]:
    """Read the whole sealed file once: decrypt into the blob store, checking hash and
    size; (sealed SHA-256, sealed size, the plaintext's first bytes). OSError raised."""
    sha = head.header.sha256_hex
    try:
        with open(part, "rb") as raw:
            os.fsync(raw.fileno())  # chunks may have come unsynced before a state was dropped
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
        _discard(files, head.header.device_id, sha)
        raise Unprocessable(
            f"{exc}; nothing was stored, upload the file again", code=exc.code
        ) from exc
    except crypto_errors.CairnCryptoError as exc:
        _discard(files, head.header.device_id, sha)
        raise Unprocessable(
            f"the attachment's payload does not open: {exc} Nothing was stored; upload the "
            "file again",
            code=exc.code,
        ) from exc
    return reader.digest.hexdigest(), reader.size, blob.head


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
