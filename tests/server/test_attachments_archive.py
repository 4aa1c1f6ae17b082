"""Attachments in the project archive: every referenced file the project holds, with its
sealed forms as received, listed and hashed, checked by standard tools; missing files
named; nothing of another project; the bytes streamed, never copied or held in memory."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from server import admin, minisign
from server.attachments.files import AttachmentFiles
from server.cli import main
from server.datadir import DataDir
from server.export.archive import ExportSource, export_to_file, prepare_archive
from server.export.manifest import FileEntry, decode_manifest, encode_manifest, sha256sums
from server.export.verify import verify_archive
from server.verify import verify
from sync.age import AnyIdentity, generate_x25519, write_identity_file
from sync.client import Device
from tests.photos import jpeg
from tests.server.conftest import BASE, PROJECT, AppTransport
from tests.server.test_archive_verify import _rewrite

OTHER = "AZ-OTHER"
WHEN = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
TOOLS = shutil.which("age") and shutil.which("minisign") and shutil.which("sha256sum")
needs_tools = pytest.mark.skipif(not TOOLS, reason="needs Debian's age, minisign and sha256sum")
MakeDevice = Callable[[str], Device]


def _photo(tmp_path: Path, name: str, seed: int, **kw: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(jpeg(seed=seed, taken=WHEN, **kw))
    return path


def _record(device: Device, photo: Path, no: int) -> str:
    return device.new(
        "photo_log",
        {
            "photo_no": f"DSH-01-P{no:05d}",
            "file": device.attachments.attach(photo),
            "taken_at": "2026-05-01T10:00:00Z",
            "photographer": "A. Aliyev",
            "subject_type": "grave",
        },
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def other_device(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> Iterator[Device]:
    """A device of another project on the same server."""
    admin.create_project(data.store, OTHER, "Other", "test")
    code = admin.issue_enroll_code(data.store, OTHER, 3600, "test").code
    device = Device(
        tmp_path / "device-other", transport=AppTransport(client), sleep=lambda _s: None
    )
    device.enroll(BASE, code, label="other")
    yield device
    device.close()


@pytest.fixture
def photos(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    other_device: Device,
    tmp_path: Path,
) -> dict[str, Any]:
    """Project A: a photo received, a photo still on its device. Another project: the
    same bytes as A's received photo (uploaded by its own device) and a photo of its own."""
    a = make_device("team-a")
    shared = _photo(tmp_path, "P1.jpg", 1)
    kept_back = _photo(tmp_path, "P2.jpg", 2)
    theirs = _photo(tmp_path, "X1.jpg", 3)
    received = _record(a, shared, 1)
    a.push()
    pending = _record(a, kept_back, 2)
    a.seal_pending()  # the batch arrives, the file stays on the tablet
    for batch in a.store.pending_batches():
        assert client.post("/v1/device/batches", content=batch.sealed).status_code == 200
    _record(other_device, shared, 1)
    _record(other_device, theirs, 2)
    other_device.push()
    return {
        "device": a,
        "shared": shared,
        "kept_back": kept_back,
        "theirs": theirs,
        "received": received,
        "pending": pending,
    }


def _export(data: DataDir, tmp_path: Path, project: str = PROJECT) -> tuple[Path, Path]:
    identity = generate_x25519()
    key = tmp_path / "key.txt"
    write_identity_file(key, identity)
    out = tmp_path / f"{project}.age"
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    export_to_file(source, project, [str(identity.recipient())], out, actor="admin:test")
    return out, key


def _open(archive: Path, key: Path, into: Path) -> Path:
    into.mkdir()
    with subprocess.Popen(
        ["age", "-d", "-i", str(key), str(archive)], stdout=subprocess.PIPE
    ) as age:
        subprocess.run(["tar", "-x", "-C", str(into)], stdin=age.stdout, check=True)
    assert age.returncode == 0
    (top,) = into.iterdir()
    return top


@needs_tools
def test_the_archive_holds_each_received_photo_and_its_sealed_form_checked_by_sha256sum(
    data: DataDir, photos: dict[str, Any], other_device: Device, tmp_path: Path
) -> None:
    device: Device = photos["device"]
    shared, kept_back = _sha(photos["shared"]), _sha(photos["kept_back"])
    archive, key = _export(data, tmp_path)
    top = _open(archive, key, tmp_path / "x")
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=top, capture_output=True)
    assert sums.returncode == 0, sums.stdout
    assert f"attachments/{shared}: OK".encode() in sums.stdout
    signed = subprocess.run(
        ["minisign", "-V", "-p", "cairn.pub", "-m", "manifest.json"], cwd=top, capture_output=True
    )
    assert signed.returncode == 0, signed.stderr

    # The photo byte for byte, named by its hash; the device's sealed upload as received.
    assert (top / "attachments" / shared).read_bytes() == photos["shared"].read_bytes()
    sealed = top / "attachments" / "sealed" / shared / f"{device.device_id}.sealed"
    files = AttachmentFiles(data.path)
    assert sealed.read_bytes() == files.sealed(device.device_id, shared).read_bytes()
    # Only this project's: not the other project's photo, nor its device's upload of the
    # same bytes; the photo still on the tablet is not there.
    held = sorted(p.relative_to(top).as_posix() for p in (top / "attachments").rglob("*.*"))
    assert held == [f"attachments/sealed/{shared}/{device.device_id}.sealed"]
    assert sorted(p.name for p in (top / "attachments").iterdir()) == [shared, "sealed"]
    assert other_device.device_id not in archive.name
    everything = b"".join(p.read_bytes() for p in top.rglob("*") if p.is_file())
    assert _sha(photos["theirs"]).encode() not in everything
    assert other_device.device_id.encode() not in everything

    manifest = json.loads((top / "manifest.json").read_text())
    listed = {f["path"]: f for f in manifest["files"]}
    assert listed[f"attachments/{shared}"]["sha256"] == shared
    assert listed[f"attachments/{shared}"]["size"] == photos["shared"].stat().st_size
    assert f"attachments/sealed/{shared}/{device.device_id}.sealed" in listed
    assert manifest["missing_attachments"] == [
        {
            "sha256": kept_back,
            "reason": "not_received",
            "record_ids": [photos["pending"]],
            "devices": [device.device_id],
        }
    ]
    assert manifest["counts"]["attachments"] == 1
    assert manifest["counts"]["attachments_missing"] == 1

    index = [json.loads(line) for line in (top / "attachments.jsonl").read_text().splitlines()]
    by_sha = {e["sha256"]: e for e in index}
    assert set(by_sha) == {shared, kept_back}
    got = by_sha[shared]
    assert (got["received"], got["file"], got["media_type"]) == (
        True,
        f"attachments/{shared}",
        "image/jpeg",
    )
    assert got["exif"]["camera_model"] == "EOS R6"
    assert [s["device_id"] for s in got["sealed"]] == [device.device_id]
    assert got["references"][0]["record_id"] == photos["received"]
    assert got["references"][0]["filename"] == "P1.jpg"
    assert by_sha[kept_back]["received"] is False
    assert by_sha[kept_back]["missing"] == "not_received"

    # records.jsonl and the CSV name each file and its hash.
    records = {
        r["id"]: r
        for r in (json.loads(line) for line in (top / "records.jsonl").read_text().splitlines())
    }
    value = records[photos["received"]]["values"]["file"]
    assert (value["sha256"], value["filename"]) == (shared, "P1.jpg")
    with (top / "csv" / "photo_log.csv").open(newline="") as f:
        rows = {r["record_id"]: r for r in csv.DictReader(f)}
    assert rows[photos["received"]]["file.filename"] == "P1.jpg"
    assert rows[photos["received"]]["file.sha256"] == shared
    assert rows[photos["pending"]]["file.sha256"] == kept_back


@needs_tools
def test_the_other_projects_archive_holds_its_own_upload_of_the_shared_bytes_only(
    data: DataDir, photos: dict[str, Any], other_device: Device, tmp_path: Path
) -> None:
    archive, key = _export(data, tmp_path, OTHER)
    top = _open(archive, key, tmp_path / "x")
    shared, theirs = _sha(photos["shared"]), _sha(photos["theirs"])
    assert sorted(p.name for p in (top / "attachments").iterdir()) == sorted(
        [shared, theirs, "sealed"]
    )
    uploaders = {p.name for p in (top / "attachments" / "sealed").rglob("*.sealed")}
    assert uploaders == {f"{other_device.device_id}.sealed"}
    assert json.loads((top / "manifest.json").read_text())["missing_attachments"] == []
    everything = b"".join(p.read_bytes() for p in top.rglob("*") if p.is_file())
    assert photos["device"].device_id.encode() not in everything
    assert _sha(photos["kept_back"]).encode() not in everything


def test_a_stored_file_that_no_longer_hashes_to_its_name_is_left_out_as_damaged(
    data: DataDir, photos: dict[str, Any], tmp_path: Path
) -> None:
    shared = _sha(photos["shared"])
    blob = AttachmentFiles(data.path).blobs.path(shared)
    blob.chmod(0o600)
    damaged = bytearray(blob.read_bytes())
    damaged[len(damaged) // 2] ^= 1
    blob.write_bytes(bytes(damaged))
    identity = generate_x25519()
    said: list[str] = []
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    with prepare_archive(
        source, PROJECT, [str(identity.recipient())], actor="admin:test", progress=said.append
    ) as prepared:
        paths = {e.path for e in prepared.manifest.files}
        missing = {m.sha256: m.reason for m in prepared.manifest.missing_attachments}
    assert f"attachments/{shared}" not in paths
    assert missing[shared] == "damaged"
    assert any(shared in line and "does not hash to its name" in line for line in said)


def test_the_export_streams_attachments_without_copying_or_holding_them(
    data: DataDir, make_device: MakeDevice, tmp_path: Path
) -> None:
    device = make_device("team-a")
    big = _photo(tmp_path, "BIG.jpg", 7, size=(2400, 1800))
    size = big.stat().st_size
    assert size > 3 * 1024 * 1024
    _record(device, big, 1)
    device.push()
    identity = generate_x25519()
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    tracemalloc.start()
    try:
        with prepare_archive(
            source, PROJECT, [str(identity.recipient())], actor="admin:test"
        ) as prepared:
            spooled = sum(p.stat().st_size for p in prepared.spool._dir.rglob("*") if p.is_file())
            assert spooled < size  # neither the photo nor its sealed form was copied
            streamed = 0
            tracemalloc.reset_peak()
            for chunk in prepared.chunks():
                streamed += len(chunk)
            _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert streamed > 2 * size  # the photo and its sealed form went out
    assert peak < size / 4, peak


# -- verifying: the archive (cairn archive verify) and the data directory (cairn verify) --


def _verified(data: DataDir, tmp_path: Path) -> tuple[Path, AnyIdentity]:
    identity = generate_x25519()
    out = tmp_path / "v.age"
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    export_to_file(source, PROJECT, [str(identity.recipient())], out, actor="admin:test")
    return out, identity


def _archive_problems(archive: Path, identity: AnyIdentity, pin: str | None = None) -> list[str]:
    with archive.open("rb") as f:
        return verify_archive(f, [identity], pinned_pubkey=pin).problems


def test_an_archive_with_attachments_verifies_and_counts_them(
    data: DataDir, photos: dict[str, Any], tmp_path: Path
) -> None:
    archive, identity = _verified(data, tmp_path)
    pin = minisign.public_key_file(data.keys.signing_key.public_key())
    with archive.open("rb") as f:
        report = verify_archive(f, [identity], pinned_pubkey=pin)
    assert report.problems == []
    assert (report.attachments_verified, report.sealed_attachments_verified) == (1, 1)
    assert "attachments hashed against their names: 1" in report.lines()


def _flip(name_part: str, where: int = -1) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        name = next(n for n in files if n.startswith("attachments/") and name_part(n))  # type: ignore[operator]
        body = bytearray(files[name])
        body[where] ^= 1
        files[name] = bytes(body)

    return edit


def _is_blob(name: str) -> bool:
    return name.count("/") == 1


def _is_sealed(name: str) -> bool:
    return name.endswith(".sealed")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_flip(_is_blob, 1000), "its bytes hash to"),  # type: ignore[arg-type]
        (_flip(_is_sealed, 60), "device signature does not verify"),  # type: ignore[arg-type]
        (_flip(_is_sealed, -1), "does not hash to the SHA-256 its receipt names"),  # type: ignore[arg-type]
        (
            lambda f: f.pop(next(n for n in f if n.startswith("attachments/") and _is_blob(n))),
            "listed as received, but attachments/",
        ),
        (
            lambda f: f.update({"attachments.jsonl": b""}),
            "in the archive but not in attachments.jsonl",
        ),
        (
            lambda f: f.update({"attachments/notes.txt": b"hi"}),
            "attachments/notes.txt: not an attachment name",
        ),
    ],
)
def test_each_change_to_an_archived_attachment_is_named(
    data: DataDir,
    photos: dict[str, Any],
    tmp_path: Path,
    edit: Callable[[dict[str, bytes]], None],
    expected: str,
) -> None:
    archive, identity = _verified(data, tmp_path)
    _rewrite(archive, identity, edit)
    problems = _archive_problems(archive, identity)
    assert any(expected in p for p in problems), problems


def test_a_blob_swapped_for_other_bytes_under_its_name_is_named_even_with_hashes_fixed(
    data: DataDir, photos: dict[str, Any], tmp_path: Path
) -> None:
    """Whoever re-signs the manifest still cannot give a photo's name to other bytes."""
    shared = _sha(photos["shared"])
    archive, identity = _verified(data, tmp_path)

    def swap(files: dict[str, bytes]) -> None:
        files[f"attachments/{shared}"] = photos["theirs"].read_bytes()
        manifest = decode_manifest(files["manifest.json"])
        entries = [
            FileEntry(path=e.path, size=len(files[e.path]), sha256=_digest(files[e.path]))
            for e in manifest.files
        ]
        files["manifest.json"] = encode_manifest(msgspec.structs.replace(manifest, files=entries))
        files["SHA256SUMS"] = sha256sums(entries)

    _rewrite(archive, identity, swap)
    problems = _archive_problems(archive, identity)
    assert any(f"attachments/{shared}: its bytes hash to" in p for p in problems), problems


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_cairn_verify_names_a_changed_missing_or_altered_attachment(
    data: DataDir, photos: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    device: Device = photos["device"]
    shared = _sha(photos["shared"])
    files = AttachmentFiles(data.path)
    assert verify(data.store, data.keys, data.forms).problems == []
    report = verify(data.store, data.keys, data.forms)
    # Both projects: two files (one shared), three uploads (two of the shared bytes).
    assert (report.attachments, report.sealed_attachments) == (2, 3)

    blob = files.blobs.path(shared)
    original = blob.read_bytes()
    blob.chmod(0o600)
    blob.write_bytes(original[:500] + bytes([original[500] ^ 1]) + original[501:])
    assert main(["verify", "--data", str(data.path)]) == 1
    out = capsys.readouterr().out
    assert f"attachment {shared}: its bytes hash to" in out
    assert "attachments: 2 re-hashed, 3 sealed uploads checked" in out
    blob.write_bytes(original + b"x")
    assert any("not to its name" in p for p in verify(data.store, data.keys, data.forms).problems)
    blob.write_bytes(original)

    sealed = files.sealed(device.device_id, shared)
    body = sealed.read_bytes()
    sealed.write_bytes(body[:-1] + bytes([body[-1] ^ 1]))
    problems = verify(data.store, data.keys, data.forms).problems
    assert problems == [
        f"attachment {shared}: the sealed upload of {device.device_id} does not hash to the "
        "SHA-256 in its receipt"
    ]
    sealed.unlink()
    problems = verify(data.store, data.keys, data.forms).problems
    assert problems == [f"attachment {shared}: the sealed upload of {device.device_id} is missing"]
    blob.unlink()
    assert (
        f"attachment {shared}: the stored file is missing"
        in verify(data.store, data.keys, data.forms).problems
    )
