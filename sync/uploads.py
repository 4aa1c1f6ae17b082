"""The device side of attachments: keep files, upload them sealed and resumably, fetch.

- ``attach``: a file is copied into the device home's content-addressed store
  (``attachments/``, `sync.blobs`) and becomes the value ``{sha256, filename, media_type,
  size}`` of an attachment field; the media type is sniffed from the bytes.
- ``upload``: after its ops' batch is receipted, each file's sealing is drawn once and
  kept as a small plan, ``outbox/SHA.plan`` (`sync.attachment.SealPlan`: header frame,
  age header, nonce, file key; 0600, durable), from which the sealed bytes at any offset
  are made again from the file, the same each time: no sealed copy of the file is
  written. The file is sent in chunks of ``CHUNK_BYTES`` from the offset the server
  reports, the next chunk made (read, encrypted, hashed, signed) on a helper thread while
  the current one is on the wire; memory holds two chunks whatever the file's size. A
  dropped connection is resumed from the server's offset, so no byte is sent twice
  beyond the chunk in flight. Only the server's signed receipt marks the file delivered;
  then the plan is removed (the file itself stays). A sealed copy an older release left
  in ``outbox/SHA.sealed`` is sent from as it is.
- ``fetch``: the bytes of a file a record references, asked for with a signed request and
  received encrypted to this device's key; kept only if they hash to the name asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import httpx

from sync import attachment as fmt
from sync import durable
from sync.age import decrypt
from sync.blobs import BlobMismatch, BlobStore, hash_file
from sync.errors import CairnCryptoError

if TYPE_CHECKING:
    from sync.client import Device

# Under the server's default request limit (Config.max_chunk_bytes, 8 MiB): two chunks are
# in memory (one sent, the next made); at 8 MiB a 500 MiB push's device and server peaks
# came to 1.17-1.21x a 5 MiB push's, at 6 MiB 1.13x and 1.04x, no slower (fsyncs are every
# 64 MiB, not per chunk; 4 MiB chunks were slower).
CHUNK_BYTES = 6 * 1024 * 1024
MIN_CHUNK_BYTES = 64 * 1024  # a server that takes less per request is not usable
RESUMES = 20  # dropped connections tolerated per file before giving up for now
MSGPACK = "application/msgpack"

UploadProgress = Callable[[str, int, int], None]


class _Stream:
    """A ``read(n)`` view of an HTTP response body being received."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, n: int = -1, /) -> bytes:
        while n < 0 or len(self._buf) < n:
            nxt = next(self._chunks, b"")
            if not nxt:
                break
            self._buf += nxt
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out


class _Once:
    """A request body httpx sends once and then lets go of.

    httpx keeps a request (and its body) reachable from its response through reference
    cycles that only the cyclic garbage collector frees, and it runs by object count, not
    bytes: 4 MiB chunks piled up until it did, so the device's memory grew with the file
    (bench/attachments.py). Handing the bytes over this way, they are dropped as soon as
    they are sent. The pieces go out one after another (no copy joins them).
    """

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces  # emptied as it is sent (the caller's list too)

    def __iter__(self) -> Iterator[bytes]:
        self._pieces.reverse()
        while self._pieces:
            yield self._pieces.pop()


class _SealedBytes(Protocol):
    """Where the bytes of a sealing come from: a plan, or an older release's copy."""

    total: int

    def pieces(self, offset: int, n: int) -> list[bytes]:
        """Up to ``n`` sealed bytes from ``offset``, in pieces."""
        ...


class _Copy:
    """A sealed copy on disk (``outbox/SHA.sealed``, written by an older release)."""

    def __init__(self, f: BinaryIO, total: int) -> None:
        self._f = f
        self.total = total

    def pieces(self, offset: int, n: int) -> list[bytes]:
        self._f.seek(offset)
        return [self._f.read(n)]


class _TooLong(Exception):
    """The server refused a request as longer than it takes (413 with a smaller limit)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class _NotAsSigned(Exception):
    """The server refused the finished file as not what its header signs (422)."""


class Attachments:
    """A device's files: its store, its outbox and its way to the server."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.blobs = BlobStore(device.home / "attachments")
        self.outbox = device.home / "outbox"

    # -- attaching ------------------------------------------------------------------------

    def attach(self, path: Path) -> dict[str, Any]:
        """Copy a file in and return the attachment value that names it."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is not a file")
        sha, size, media_type = self.blobs.add_file(path)
        with self.device.store.transaction() as conn:
            self.device.store.add_attachment(
                conn, sha, size, media_type, path.name, self.device._time()
            )
        return {"sha256": sha, "filename": path.name, "media_type": media_type, "size": size}

    # -- uploading ------------------------------------------------------------------------

    def _plan(self, sha: str, size: int, media_type: str) -> fmt.SealPlan:
        """The sealing of a file for the current batch key (drawn now if needed)."""
        store = self.device.store
        key_id = str(store.get("batch_key_id"))
        target = self.outbox / f"{sha}.plan"
        if target.is_file():
            try:
                plan = fmt.decode_plan(target.read_bytes())
            except CairnCryptoError:
                plan = None
            if plan is not None and plan.key_id == key_id and plan.size == size:
                return plan
        durable.make_dir(self.outbox, 0o700)
        plan = fmt.plan_attachment(
            sha256=sha,
            size=size,
            media_type=media_type,
            device_id=self.device.device_id,
            device_signing_key=self.device.keys().signing_key,
            server_recipient=str(store.get("batch_recipient")),
            server_key_id=key_id,
        )
        with durable.writing(target) as f:
            f.write(fmt.encode_plan(plan))
        durable.fsync_dir(self.outbox)
        return plan

    def _old_copy(self, sha: str) -> tuple[Path, fmt.SealedHead] | None:
        """A sealed copy an older release left for the current batch key, if any."""
        target = self.outbox / f"{sha}.sealed"
        if not target.is_file():
            return None
        with open(target, "rb") as f:
            try:
                head = fmt.read_head(f)
            except CairnCryptoError:
                return None
        if head.header.key_id != str(self.device.store.get("batch_key_id")):
            return None
        return target, head

    def _send(self, body: list[bytes]) -> fmt.UploadState | int:
        """POST one upload request (its pieces, let go of as sent): the state, or the
        offset a 409 names."""
        from sync.client import Refused, _server_message

        length = sum(len(piece) for piece in body)
        response = self.device._http().post(
            "/v1/device/attachments/",
            content=_Once(body),
            headers={"content-type": MSGPACK, "content-length": str(length)},
        )
        if response.status_code == 409:
            try:
                details = response.json().get("details", {})
            except ValueError:
                details = {}
            if isinstance(details.get("offset"), int):
                return int(details["offset"])
        if response.status_code == 413 and length > MIN_CHUNK_BYTES:
            try:
                limit = response.json().get("details", {}).get("limit_bytes")
            except ValueError:
                limit = None
            if isinstance(limit, int) and limit < length:
                raise _TooLong(limit)
        if response.status_code >= 500 or response.status_code == 429:
            raise httpx.TransportError(_server_message(response))
        if response.status_code == 422:
            raise _NotAsSigned(_server_message(response))
        if response.status_code >= 400:
            raise Refused(_server_message(response))
        return fmt.decode_state(response.content)

    def upload_one(
        self, sha: str, size: int, media_type: str, progress: UploadProgress | None = None
    ) -> fmt.AttachmentReceipt:
        """Upload one file until the server receipts it (resuming after drops)."""
        from sync.client import Refused

        old = self._old_copy(sha)
        try:
            if old is not None:
                path, head = old
                with open(path, "rb") as f:
                    source: _SealedBytes = _Copy(f, path.stat().st_size)
                    receipt = self._upload(sha, head, source, progress)
            else:
                plan = self._plan(sha, size, media_type)
                with self.blobs.open(sha) as f:
                    receipt = self._upload(sha, plan.head(), fmt.PlanReader(plan, f), progress)
        except _NotAsSigned as exc:
            # The file is not hashed again as it is sent (it was when it came in, and the
            # server checks): only now is it, to say where the fault lies.
            if hash_file(self.blobs.path(sha)) != (sha, size):
                raise Refused(
                    f"the file {sha[:12]}… on this device no longer has the bytes it was "
                    "attached with (it changed on this device: a disk fault?); the server "
                    f"kept nothing ({exc})"
                ) from exc
            raise Refused(str(exc)) from exc
        return self._keep_receipt(sha, size, receipt)

    def _upload(
        self,
        sha: str,
        head: fmt.SealedHead,
        source: _SealedBytes,
        progress: UploadProgress | None,
    ) -> bytes:
        """Send the sealed bytes from the server's offset on; the receipt's bytes."""
        from sync.client import Refused, Unreachable

        total = source.total
        keys = self.device.keys()
        device_id = self.device.device_id
        chunk_bytes = CHUNK_BYTES

        def request(offset: int, n: int) -> tuple[list[bytes], int]:
            """The request body (front, then the chunk's pieces) and where it ends."""
            pieces = source.pieces(offset, n) if n else []
            end = offset + sum(len(piece) for piece in pieces)
            front = fmt.chunk_frame(
                pieces,
                device_id=device_id,
                upload=head.upload_id,
                sha256=head.header.sha256,
                offset=offset,
                final=n > 0 and end >= total,  # an empty final one once all bytes are there
                device_signing_key=keys.signing_key,
            )
            pieces.insert(0, front)
            return pieces, end

        drops = 0
        offset: int | None = None  # unknown: ask the server
        last_error: Exception | None = None
        ahead: tuple[int, Future[tuple[list[bytes], int]]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-seal") as helper:
            while True:
                try:
                    if offset is None:
                        answer = self._send(request(0, 0)[0])
                    else:
                        if ahead is None or ahead[0] != offset:
                            ahead = (offset, helper.submit(request, offset, chunk_bytes))
                        body, end = ahead[1].result()
                        # The next chunk is made while this one is on the wire.
                        ahead = None
                        if end < total:
                            ahead = (end, helper.submit(request, end, chunk_bytes))
                        answer = self._send(body)
                except _TooLong as exc:
                    smaller = max(exc.limit - 8192, 0)
                    if smaller < MIN_CHUNK_BYTES or smaller >= chunk_bytes:
                        raise Refused(
                            f"the server takes requests of at most {exc.limit} bytes, too "
                            "few to upload files in chunks"
                        ) from exc
                    chunk_bytes, ahead = smaller, None
                    continue
                except httpx.TransportError as exc:
                    drops += 1
                    last_error = exc
                    if drops > RESUMES:
                        raise Unreachable(
                            f"uploading {sha[:12]}… failed {drops} times ({last_error}); it "
                            "stays on this device, push again later to resume"
                        ) from exc
                    self.device._sleep(min(0.25 * drops, 5.0))
                    offset = None  # the chunk in flight may or may not have landed
                    continue
                if isinstance(answer, int):
                    offset = answer
                    continue
                if answer.receipt:
                    return answer.receipt
                offset = answer.offset
                if progress:
                    progress(sha, offset, total)

    def _keep_receipt(self, sha: str, size: int, receipt: bytes) -> fmt.AttachmentReceipt:
        from sync.client import Refused

        public = self.device._server_public()
        try:
            verified = fmt.verify_attachment_receipt(receipt, public)
        except CairnCryptoError as exc:
            raise Refused(f"the server's attachment receipt does not verify ({exc})") from exc
        if (
            verified.sha256 != sha
            or verified.size != size
            or verified.device_id != self.device.device_id
        ):
            raise Refused("the server's receipt is for another file; file kept, retry later")
        with self.device.store.transaction() as conn:
            self.device.store.store_attachment_receipt(conn, sha, receipt, self.device._time())
        for left in (self.outbox / f"{sha}.plan", self.outbox / f"{sha}.sealed"):
            left.unlink(missing_ok=True)
        return verified

    def upload_all(self, progress: UploadProgress | None = None) -> list[fmt.AttachmentReceipt]:
        """Upload every file whose ops the server stored and that has no receipt yet."""
        return [
            self.upload_one(sha, size, media_type, progress)
            for sha, size, media_type in self.device.store.attachments_to_upload()
        ]

    # -- fetching -------------------------------------------------------------------------

    def fetch(self, sha: str) -> Path:
        """The file of that hash on this device, fetched from the server if missing."""
        from sync.client import Refused, Unreachable, _server_message

        if self.blobs.has(sha):
            return self.blobs.path(sha)
        keys = self.device.keys()
        request = fmt.FetchRequest(
            device_id=self.device.device_id, sha256=sha, signed_at=self.device._time()
        ).sign(keys.signing_key)
        try:
            with self.device._http().stream(
                "POST", "/v1/device/attachments/fetch", content=fmt.encode_fetch(request)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise Refused(_server_message(response))
                with self.blobs.writing(expect=sha) as out:
                    decrypt(_Stream(response.iter_bytes()), out, [keys.encryption])
        except httpx.TransportError as exc:
            raise Unreachable(f"could not fetch {sha[:12]}… ({exc}); try again later") from exc
        except BlobMismatch as exc:
            raise Refused(f"the server sent other bytes than {sha} ({exc}); nothing kept") from exc
        except CairnCryptoError as exc:
            raise Refused(f"the server's answer does not decrypt ({exc}); nothing kept") from exc
        return self.blobs.path(sha)
