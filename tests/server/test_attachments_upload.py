"""Attachments through the app: attach on the device, sealed resumable upload, receipts,
and every bad input refused with its code while nothing is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server import admin
from server.attachments.files import AttachmentFiles
from server.datadir import DataDir
from server.store import attachments as rows
from server.verify import verify
from sync import attachment as fmt
from sync.client import Device, Refused
from tests.photos import jpeg
from tests.server.conftest import BASE, PROJECT, AppTransport

MakeDevice = Callable[[str], Device]
WHEN = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)


def _photo(tmp_path: Path, name: str = "P1.jpg", seed: int = 1, **kw: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(jpeg(seed=seed, taken=WHEN, **kw))
    return path


def _photo_record(device: Device, photo: Path, no: int = 1) -> tuple[str, dict[str, Any]]:
    value = device.attachments.attach(photo)
    record = device.new(
        "photo_log",
        {
            "photo_no": f"DSH-01-P{no:05d}",
            "file": value,
            "taken_at": "2026-05-01T10:00:00Z",
            "photographer": "A. Aliyev",
            "subject_type": "grave",
        },
    )
    return record, value


def _stored(data: DataDir) -> tuple[int, int, list[str]]:
    conn = data.store.reader()
    blobs = conn.execute("SELECT COUNT(*) FROM attachment_blobs").fetchone()[0]
    uploads = conn.execute("SELECT COUNT(*) FROM attachment_uploads").fetchone()[0]
    files = AttachmentFiles(data.path)
    return blobs, uploads, list(files.blobs.iter_hashes())


def test_attached_photo_is_stored_once_by_hash_and_uploaded_after_its_batch(
    data: DataDir, make_device: MakeDevice, tmp_path: Path
) -> None:
    device = make_device("team-a")
    photo = _photo(tmp_path)
    record, value = _photo_record(device, photo)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert value == {
        "sha256": digest,
        "filename": "P1.jpg",
        "media_type": "image/jpeg",
        "size": photo.stat().st_size,
    }
    # The same bytes attached again are kept once, read-only, in the device home.
    assert device.attachments.attach(photo) == value
    kept = device.attachments.blobs.path(digest)
    assert kept.read_bytes() == photo.read_bytes() and kept.stat().st_mode & 0o777 == 0o400

    summary = device.push()
    assert (summary.batches, summary.attachments) == (1, 1)
    assert device.status()["attachments"] == {"awaiting_receipt": 0, "delivered": 1}
    files = AttachmentFiles(data.path)
    assert files.blobs.path(digest).read_bytes() == photo.read_bytes()
    upload = rows.get_upload(data.store.reader(), device.device_id, digest)
    assert upload is not None and upload.size == photo.stat().st_size
    sealed = files.sealed(device.device_id, digest).read_bytes()
    assert hashlib.sha256(sealed).hexdigest() == upload.sealed_sha256
    receipt = fmt.verify_attachment_receipt(upload.receipt, data.keys.public().signing_public)
    assert (receipt.sha256, receipt.device_id) == (digest, device.device_id)
    blob = rows.get_blob(data.store.reader(), digest)
    assert blob is not None and blob.media_type == "image/jpeg"
    assert '"camera_model": "EOS R6"' in blob.exif
    # A second push sends nothing again.
    assert device.push().attachments == 0
    assert verify(data.store, data.keys, data.forms).problems == []
    del record


class _Cut(httpx.BaseTransport):
    """Passes requests on until `budget` body bytes were sent, then drops one mid-body."""

    def __init__(self, inner: httpx.BaseTransport, budget: int) -> None:
        self.inner = inner
        self.budget = budget
        self.sent = 0
        self.drops = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if self.sent + len(body) > self.budget and self.drops == 0:
            self.drops += 1
            self.sent += self.budget - self.sent
            raise httpx.WriteError("connection dropped mid-upload")
        self.sent += len(body)
        return self.inner.handle_request(request)


def test_a_dropped_upload_resumes_from_the_servers_offset(
    data: DataDir, make_device: MakeDevice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.uploads.CHUNK_BYTES", 64 * 1024)
    device = make_device("team-a")
    photo = _photo(tmp_path, size=(1200, 900))
    _record, value = _photo_record(device, photo)
    inner = device._http()._transport
    cut = _Cut(inner, budget=300 * 1024)
    device._http()._transport = cut
    summary = device.push()
    assert summary.attachments == 1 and cut.drops == 1
    assert AttachmentFiles(data.path).blobs.path(value["sha256"]).read_bytes() == photo.read_bytes()


def _chunks(device: Device, sealed: bytes, head: fmt.SealedHead, size: int) -> list[bytes]:
    keys = device.keys()
    out = []
    for offset in range(0, len(sealed), size):
        data = sealed[offset : offset + size]
        out.append(
            fmt.seal_chunk(
                data,
                device_id=device.device_id,
                upload=head.upload_id,
                sha256=head.header.sha256,
                offset=offset,
                final=offset + size >= len(sealed),
                device_signing_key=keys.signing_key,
            )
        )
    return out


def _seal(
    device: Device, payload: bytes, *, sha: str | None = None, size: int | None = None
) -> tuple[bytes, fmt.SealedHead]:
    """Seal like the device does, but under whatever hash and size the test claims."""
    out = io.BytesIO()
    store = device.store
    try:
        head = fmt.seal_attachment(
            io.BytesIO(payload),
            out,
            sha256=sha or hashlib.sha256(payload).hexdigest(),
            size=len(payload) if size is None else size,
            media_type="image/jpeg",
            device_id=device.device_id,
            device_signing_key=device.keys().signing_key,
            server_recipient=str(store.get("batch_recipient")),
            server_key_id=str(store.get("batch_key_id")),
        )
    except ValueError:  # the bytes are not what is claimed: exactly what the test wants
        head = fmt.parse_head(out.getvalue())
    return out.getvalue(), head


def _push_batches(client: TestClient, device: Device) -> None:  # type: ignore[type-arg]
    """Push the device's batches only (its files stay for the test to send)."""
    device.seal_pending()
    for batch in device.store.pending_batches():
        assert client.post("/v1/device/batches", content=batch.sealed).status_code == 200


def _post(client: TestClient, body: bytes) -> httpx.Response:  # type: ignore[type-arg]
    return client.post("/v1/device/attachments/", content=body)


def test_a_file_that_changed_on_the_device_is_refused_and_the_device_says_so(
    data: DataDir, make_device: MakeDevice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The device does not hash the file again as it sends it: the server's check refuses
    # it, and only then does the device look at its copy to say where the fault lies.
    monkeypatch.setattr("sync.uploads.CHUNK_BYTES", 64 * 1024)
    device = make_device("team-a")
    photo = _photo(tmp_path, size=(1200, 900))
    _record, value = _photo_record(device, photo)
    kept = device.attachments.blobs.path(value["sha256"])
    kept.chmod(0o600)
    altered = bytearray(kept.read_bytes())
    altered[len(altered) // 2] ^= 1  # one bit, the size unchanged
    kept.write_bytes(bytes(altered))
    before = _stored(data)
    with pytest.raises(Refused, match=r"changed on this device.*422 hash_mismatch"):
        device.push()
    assert _stored(data) == before
    assert device.status()["attachments"] == {"awaiting_receipt": 1, "delivered": 0}
    # The bytes put back, the same push delivers it.
    kept.write_bytes(photo.read_bytes())
    assert device.push().attachments == 1


@pytest.mark.parametrize(
    ("claim", "code"),
    [("sha", "hash_mismatch"), ("size_short", "size_mismatch"), ("size_long", "size_mismatch")],
)
def test_bytes_that_are_not_what_the_header_signs_are_refused_and_nothing_kept(
    claim: str,
    code: str,
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    photo = _photo(tmp_path)
    real = photo.read_bytes()
    _record, value = _photo_record(device, photo)
    _push_batches(client, device)
    payload = {"sha": real[:-1] + b"x", "size_short": real[:-10], "size_long": real + b"xx"}[claim]
    sealed, head = _seal(device, payload, sha=value["sha256"], size=len(real))
    before = _stored(data)
    *first, last = _chunks(device, sealed, head, 64 * 1024)
    for body in first:
        assert _post(client, body).status_code == 200
    answer = _post(client, last)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == code
    assert _stored(data) == before
    assert not AttachmentFiles(data.path).partial(device.device_id, value["sha256"]).exists()
    assert client.get("/v1/health").status_code == 200


def test_chunks_out_of_place_replayed_or_cut_are_refused_with_the_offset(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    photo = _photo(tmp_path)
    _record, value = _photo_record(device, photo)
    _push_batches(client, device)
    sealed, head = _seal(device, photo.read_bytes())
    chunks = _chunks(device, sealed, head, 64 * 1024)
    assert _post(client, chunks[0]).status_code == 200
    replay = _post(client, chunks[0])
    assert replay.status_code == 409
    assert replay.json()["error"] == "offset_mismatch"
    assert replay.json()["details"]["offset"] == 64 * 1024
    skipped = _post(client, chunks[2])
    assert skipped.status_code == 409 and skipped.json()["details"]["offset"] == 64 * 1024
    cut = _post(client, chunks[1][:-100])
    assert cut.status_code == 400 and cut.json()["error"] == "chunk_mismatch"
    tampered = bytearray(chunks[1])
    tampered[-1] ^= 1
    assert _post(client, bytes(tampered)).json()["error"] == "chunk_mismatch"
    part = AttachmentFiles(data.path).partial(device.device_id, value["sha256"])
    assert part.stat().st_size == 64 * 1024  # only whole, in-place chunks were appended
    for body in chunks[1:]:
        assert _post(client, body).status_code == 200
    assert rows.get_upload(data.store.reader(), device.device_id, value["sha256"]) is not None


def test_unreferenced_hash_unknown_and_revoked_devices_are_refused(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    photo = _photo(tmp_path)
    sealed, head = _seal(device, photo.read_bytes())
    (chunk,) = _chunks(device, sealed, head, len(sealed))
    answer = _post(client, chunk)
    assert answer.status_code == 409 and answer.json()["error"] == "unreferenced_attachment"

    _photo_record(device, photo)
    _push_batches(client, device)
    admin.revoke_device(data.store, device.device_id, "test")
    answer = _post(client, chunk)
    assert answer.status_code == 403 and answer.json()["error"] == "revoked_signer"

    forged = bytearray(chunk)
    forged[40] ^= 1  # inside the signed chunk header
    answer = _post(client, bytes(forged))
    assert answer.status_code in (400, 403)
    assert _stored(data) == (0, 0, [])


def test_a_file_over_the_limit_is_refused_with_413_before_its_bytes(
    data: DataDir, make_device: MakeDevice, tmp_path: Path
) -> None:
    from litestar.testing import TestClient as Client

    from server.app import create_app
    from server.config import load_config
    from tests.server.conftest import BASE, AppTransport

    app = create_app(load_config(data.path, max_attachment_bytes=100_000), data)
    with Client(app, base_url=BASE) as small:
        code = admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code
        device = Device(tmp_path / "dev", transport=AppTransport(small), sleep=lambda _s: None)
        device.enroll(BASE, code)
        photo = _photo(tmp_path)
        assert photo.stat().st_size > 100_000
        _photo_record(device, photo)
        with pytest.raises(Refused, match="413 too_large"):
            device.push()
        assert _stored(data) == (0, 0, [])
        device.close()


@pytest.mark.parametrize("held", [True, False], ids=["held-there", "only-referenced-there"])
def test_a_hash_only_another_projects_ops_reference_is_refused_and_nothing_stored(
    held: bool,
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    """A device cannot deposit (or get a receipt for) a file only another project names,
    whether that project holds the bytes already or still waits for them."""
    theirs = make_device("team-a")
    photo = _photo(tmp_path)
    _record, value = _photo_record(theirs, photo)
    if held:
        theirs.push()
    else:
        _push_batches(client, theirs)
    admin.create_project(data.store, "AZ-OTHER", "Other", "test")
    code = admin.issue_enroll_code(data.store, "AZ-OTHER", 3600, "test").code
    stranger = Device(tmp_path / "stranger", transport=AppTransport(client), sleep=lambda _s: None)
    stranger.enroll(BASE, code, label="stranger")
    before = _stored(data)
    sealed, head = _seal(stranger, photo.read_bytes())
    for body in (
        _chunks(stranger, sealed, head, len(sealed))[0],  # the whole file at once
        _chunks(stranger, sealed, head, 64 * 1024)[0],  # the first of several chunks
        fmt.seal_chunk(  # only asking where an upload stands
            b"",
            device_id=stranger.device_id,
            upload=head.upload_id,
            sha256=head.header.sha256,
            offset=0,
            final=False,
            device_signing_key=stranger.keys().signing_key,
        ),
    ):
        answer = _post(client, body)
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"] == "unreferenced_attachment"
        assert value["sha256"] in answer.json()["message"]
    assert _stored(data) == before
    files = AttachmentFiles(data.path)
    assert not files.partial(stranger.device_id, value["sha256"]).exists()
    assert not files.sealed(stranger.device_id, value["sha256"]).exists()
    assert rows.get_upload(data.store.reader(), stranger.device_id, value["sha256"]) is None
    assert not rows.project_holds(data.store.reader(), "AZ-OTHER", value["sha256"])
    assert client.get("/v1/health").status_code == 200
    stranger.close()
