"""The device side of attachments: keep files, upload them sealed and resumably, fetch.

- ``attach``: a file is copied into the device home's content-addressed store
  (``attachments/``, `sync.blobs`) and becomes the value ``{sha256, filename, media_type,
  size}`` of an attachment field; the media type is sniffed from the bytes.
- ``upload``: after its ops' batch is receipted, each file is sealed once to
  ``outbox/SHA.sealed`` (streamed: memory stays flat) and sent in chunks from the offset
  the server reports. A dropped connection is resumed from the server's offset, so no
  byte is sent twice beyond the chunk in flight. Only the server's signed receipt marks
  the file delivered; then the sealed copy is removed (the file itself stays).
- ``fetch``: the bytes of a file a record references, asked for with a signed request and
  received encrypted to this device's key; kept only if they hash to the name asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from sync import attachment as fmt
from sync import durable
from sync.age import decrypt
from sync.blobs import BlobMismatch, BlobStore
from sync.errors import CairnCryptoError

if TYPE_CHECKING:
    from sync.client import Device

CHUNK_BYTES = 4 * 1024 * 1024
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
    they are sent.
    """

    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        body, self._body = self._body, b""
        yield body


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

    def _sealed(self, sha: str, size: int, media_type: str) -> tuple[Path, fmt.SealedHead]:
        """The sealed copy of a file for the current batch key (made now if needed)."""
        store = self.device.store
        key_id = str(store.get("batch_key_id"))
        target = self.outbox / f"{sha}.sealed"
        if target.is_file():
            with open(target, "rb") as f:
                try:
                    head = fmt.read_head(f)
                except CairnCryptoError:
                    head = None
            if head is not None and head.header.key_id == key_id:
                return target, head
        durable.make_dir(self.outbox, 0o700)
        keys = self.device.keys()
        with self.blobs.open(sha) as src, durable.writing(target) as dst:
            head = fmt.seal_attachment(
                src,
                dst,
                sha256=sha,
                size=size,
                media_type=media_type,
                device_id=self.device.device_id,
                device_signing_key=keys.signing_key,
                server_recipient=str(store.get("batch_recipient")),
                server_key_id=key_id,
            )
        return target, head

    def _send(self, body: bytes) -> fmt.UploadState | int:
        """POST one upload request: the state, or the offset a 409 names."""
        from sync.client import Refused, _server_message

        response = self.device._http().post(
            "/v1/device/attachments/",
            content=_Once(body),
            headers={"content-type": MSGPACK, "content-length": str(len(body))},
        )
        del body
        if response.status_code == 409:
            try:
                details = response.json().get("details", {})
            except ValueError:
                details = {}
            if isinstance(details.get("offset"), int):
                return int(details["offset"])
        if response.status_code >= 500 or response.status_code == 429:
            raise httpx.TransportError(_server_message(response))
        if response.status_code >= 400:
            raise Refused(_server_message(response))
        return fmt.decode_state(response.content)

    def upload_one(
        self, sha: str, size: int, media_type: str, progress: UploadProgress | None = None
    ) -> fmt.AttachmentReceipt:
        """Upload one file until the server receipts it (resuming after drops)."""
        from sync.client import Unreachable

        path, head = self._sealed(sha, size, media_type)
        total = path.stat().st_size
        keys = self.device.keys()
        device_id = self.device.device_id

        def request(offset: int, data: bytes, final: bool) -> bytes:
            return fmt.seal_chunk(
                data,
                device_id=device_id,
                upload=head.upload_id,
                sha256=head.header.sha256,
                offset=offset,
                final=final,
                device_signing_key=keys.signing_key,
            )

        drops = 0
        offset: int | None = None  # unknown: ask the server
        last_error: Exception | None = None
        with open(path, "rb") as f:
            while True:
                try:
                    if offset is None:
                        answer = self._send(request(0, b"", False))
                    else:
                        f.seek(offset)
                        data = f.read(CHUNK_BYTES)
                        final = offset + len(data) >= total
                        answer = self._send(request(offset, data, final))
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
                    return self._keep_receipt(sha, size, answer.receipt, path)
                offset = answer.offset
                if progress:
                    progress(sha, offset, total)

    def _keep_receipt(
        self, sha: str, size: int, receipt: bytes, sealed: Path
    ) -> fmt.AttachmentReceipt:
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
        sealed.unlink(missing_ok=True)
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
