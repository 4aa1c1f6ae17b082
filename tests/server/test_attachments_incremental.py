"""An upload checked as its chunks arrive: the final chunk does not read the file again;
after a server restart the full check takes over; after a reboot the part is cut back to
what was fsynced, so the offset the server reports never covers bytes a power cut lost."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.attachments import upload
from server.attachments.files import AttachmentFiles
from server.datadir import DataDir
from server.store import attachments as rows
from sync import attachment as fmt
from sync.client import Device
from sync.keys import signing_public
from tests.server.test_attachments_upload import (
    MakeDevice,
    _chunks,
    _photo,
    _photo_record,
    _post,
    _push_batches,
    _seal,
)

CHUNK = 64 * 1024


def _prepared(
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> tuple[Device, str, bytes, list[bytes]]:
    device = make_device("team-a")
    photo = _photo(tmp_path, size=(1200, 900))
    _record, value = _photo_record(device, photo)
    _push_batches(client, device)
    sealed, head = _seal(device, photo.read_bytes())
    return device, value["sha256"], sealed, _chunks(device, sealed, head, CHUNK)


def test_an_upload_checked_as_it_arrives_needs_no_second_reading(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device, sha, sealed, chunks = _prepared(client, make_device, tmp_path)
    assert len(chunks) > 3

    def no_full_check(*_a: object) -> None:
        raise AssertionError("the final chunk read the whole upload again")

    monkeypatch.setattr(upload, "_full_check", no_full_check)
    for body in chunks:
        answer = _post(client, body)
        assert answer.status_code == 200, answer.text
    done = rows.get_upload(data.store.reader(), device.device_id, sha)
    assert done is not None and done.sealed_sha256 == hashlib.sha256(sealed).hexdigest()
    files = AttachmentFiles(data.path)
    assert hashlib.sha256(files.blobs.path(sha).read_bytes()).hexdigest() == sha
    assert files.sealed(device.device_id, sha).read_bytes() == sealed
    assert files.blobs.path(sha).stat().st_mode & 0o777 == 0o400
    left = sorted(p.name for p in (files.root / "uploads").iterdir())
    assert left == []  # no part, plaintext or mark stays behind


def test_after_a_restart_the_upload_resumes_and_the_full_check_decides(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device, sha, sealed, chunks = _prepared(client, make_device, tmp_path)
    for body in chunks[:2]:
        assert _post(client, body).status_code == 200
    with upload._locks_guard:  # what a restart of the server forgets (its files stay)
        state = upload._progress.pop((device.device_id, sha))
    state.close()
    for body in chunks[2:]:
        assert _post(client, body).status_code == 200
    done = rows.get_upload(data.store.reader(), device.device_id, sha)
    assert done is not None and done.sealed_sha256 == hashlib.sha256(sealed).hexdigest()
    files = AttachmentFiles(data.path)
    assert files.sealed(device.device_id, sha).read_bytes() == sealed
    assert hashlib.sha256(files.blobs.path(sha).read_bytes()).hexdigest() == sha
    assert list((files.root / "uploads").iterdir()) == []  # the stale plaintext went too


def test_a_tampered_chunk_seen_as_it_arrives_is_refused_at_the_end_and_nothing_kept(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device, sha, sealed, _chunks_ok = _prepared(client, make_device, tmp_path)
    bad = bytearray(sealed)
    bad[-100] ^= 1  # inside the last age chunk: signed by the device, but does not open
    head = fmt.parse_head(bytes(bad))
    for body in _chunks(device, bytes(bad), head, CHUNK)[:-1]:
        assert _post(client, body).status_code == 200
    answer = _post(client, _chunks(device, bytes(bad), head, CHUNK)[-1])
    assert answer.status_code == 422 and answer.json()["error"] == "tampered_payload"
    files = AttachmentFiles(data.path)
    assert not files.blobs.has(sha)
    assert list((files.root / "uploads").iterdir()) == []


def test_after_a_reboot_the_offset_is_only_what_was_fsynced(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(upload, "SYNC_BYTES", 2 * CHUNK)
    device, sha, sealed, chunks = _prepared(client, make_device, tmp_path)
    for body in chunks[:3]:
        assert _post(client, body).status_code == 200
    state = upload._get(device.device_id, sha)
    assert state is not None
    state.settle()
    files = AttachmentFiles(data.path)
    mark = upload._read_mark(files.synced_mark(device.device_id, sha))
    assert mark is not None and mark[0] == 2 * CHUNK  # fsynced in the background at 128 KiB
    upload._drop(device.device_id, sha)

    ask = fmt.seal_chunk(
        b"",
        device_id=device.device_id,
        upload=hashlib.sha256(fmt.parse_head(sealed).frame()).digest(),
        sha256=bytes.fromhex(sha),
        offset=0,
        final=False,
        device_signing_key=device.keys().signing_key,
    )
    same_boot = fmt.decode_state(_post(client, ask).content)
    assert same_boot.offset == 3 * CHUNK  # the page cache still holds every byte

    monkeypatch.setattr(upload, "boot_id", lambda: "another-boot")
    rebooted = fmt.decode_state(_post(client, ask).content)
    assert rebooted.offset == 2 * CHUNK  # cut back to what surely reached the disk
    assert files.partial(device.device_id, sha).stat().st_size == 2 * CHUNK
    for body in chunks[2:]:
        assert _post(client, body).status_code == 200
    done = rows.get_upload(data.store.reader(), device.device_id, sha)
    assert done is not None and done.sealed_sha256 == hashlib.sha256(sealed).hexdigest()


def test_the_device_sends_bytes_made_from_its_plan_equal_to_one_sealing(
    data: DataDir, make_device: MakeDevice, tmp_path: Path
) -> None:
    """The plan reproduces the same sealed bytes at every offset, so a resumed upload
    continues the very sealing the server holds the start of; they open to the file."""
    device = make_device("team-a")
    photo = _photo(tmp_path, size=(1200, 900))
    value = device.attachments.attach(photo)
    plan = device.attachments._plan(value["sha256"], value["size"], value["media_type"])
    assert device.attachments._plan(value["sha256"], value["size"], "image/jpeg") == plan
    plan_file = device.attachments.outbox / f"{value['sha256']}.plan"
    assert plan_file.stat().st_mode & 0o777 == 0o600
    assert not (device.attachments.outbox / f"{value['sha256']}.sealed").exists()
    with device.attachments.blobs.open(value["sha256"]) as f:
        whole = fmt.PlanReader(plan, f).read_at(0, plan.sealed_size)
    assert len(whole) == plan.sealed_size
    for offset in (0, 1, 100, plan.prefix_length, 70_000, plan.sealed_size - 5):
        with device.attachments.blobs.open(value["sha256"]) as f:
            assert fmt.PlanReader(plan, f).read_at(offset, 150_000) == whole[offset:][:150_000]
    src = io.BytesIO(whole)
    head = fmt.read_head(src)
    assert (
        fmt.verify_attachment_header(head, signing_public(device.keys().signing_key)).size
        == value["size"]
    )
    out = io.BytesIO()
    fmt.open_payload(src, head, list(data.keys.batch_identities().values()), out)
    assert out.getvalue() == photo.read_bytes()
