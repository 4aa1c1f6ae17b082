"""`cairn backup` and `cairn restore`: what a restore refuses (and that it then writes
nothing), what it rebuilds, and the recipients a backup takes."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from server import minisign
from server.backup.manifest import decode_manifest
from server.cli import main
from server.datadir import DataDir, open_data_dir
from server.export.archive import ExportSource, export_to_file
from server.verify import verify
from sync.age import (
    X25519Identity,
    decrypt_bytes,
    encrypt_bytes,
    generate_x25519,
    write_identity_file,
)
from sync.client import Device
from tests.server.conftest import PROJECT
from tests.server.test_attachments_upload import _photo, _photo_record

MakeDevice = Callable[[str], Device]


def _key(tmp_path: Path, name: str = "key.txt") -> tuple[X25519Identity, Path]:
    identity = generate_x25519()
    path = tmp_path / name
    write_identity_file(path, identity)
    return identity, path


@pytest.fixture
def made(
    data: DataDir, make_device: MakeDevice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, X25519Identity, Path]:
    """A backup of a data directory holding a record with a photo: (file, identity, key)."""
    device = make_device("team-a")
    _photo_record(device, _photo(tmp_path))
    assert device.push().attachments == 1
    identity, key = _key(tmp_path)
    out = tmp_path / "backup.age"
    assert (
        main(
            ["backup", "--data", str(data.path), "--out", str(out), "-r", str(identity.recipient())]
        )
        == 0
    )
    capsys.readouterr()
    return out, identity, key


def _refused(
    backup: Path, key: Path, target: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> str:
    before = sorted(p.name for p in target.parent.iterdir())
    assert main(["restore", str(backup), "-i", str(key), "--data", str(target), *extra]) == 2
    _out, err = capsys.readouterr()
    assert not target.exists() or list(target.iterdir()) == []
    assert sorted(p.name for p in target.parent.iterdir()) == before  # no staging left over
    return err


def _tar(backup: Path, identity: X25519Identity) -> bytes:
    return decrypt_bytes(backup.read_bytes(), [identity])


def _member_offset(tar: bytes, suffix: str) -> tuple[int, int]:
    with tarfile.open(fileobj=io.BytesIO(tar)) as opened:
        for info in opened:
            if info.name.endswith(suffix):
                return info.offset_data, info.size
    raise AssertionError(suffix)


def test_restore_rebuilds_a_data_directory_that_verifies(
    made: tuple[Path, X25519Identity, Path],
    data: DataDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backup, _identity, key = made
    target = tmp_path / "new" / "cairn-data"  # a missing parent is made
    assert main(["restore", str(backup), "-i", str(key), "--data", str(target)]) == 0
    out, _err = capsys.readouterr()
    assert f"restored {target}" in out and "cairn verify" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for path in (target / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes() == (data.path / "keys" / path.name).read_bytes()
    (blob,) = (target / "attachments" / "blobs").glob("??/*")
    assert stat.S_IMODE(blob.stat().st_mode) == 0o400
    assert blob.read_bytes() == (data.path / blob.relative_to(target)).read_bytes()
    (sealed,) = (target / "attachments" / "sealed").glob("*/*.sealed")
    assert sealed.read_bytes() == (data.path / sealed.relative_to(target)).read_bytes()
    assert stat.S_IMODE((target / "cairn.db").stat().st_mode) == 0o600
    assert sorted(p.name for p in target.iterdir()) == [
        "attachments",
        "cairn.db",
        "cairn.json",
        "keys",
    ]
    restored = open_data_dir(target, create=False)
    try:
        assert restored.instance_id == data.instance_id
        assert verify(restored.store, restored.keys, restored.forms).problems == []
        conn, live = restored.store.reader(), data.store.reader()
        for table in ("records", "ops", "batches", "attachment_uploads", "devices"):
            assert list(conn.execute(f"SELECT * FROM {table}")) == list(
                live.execute(f"SELECT * FROM {table}")
            )
        kinds = [
            r[0]
            for r in conn.execute("SELECT kind FROM audit_chain WHERE chain='server' ORDER BY seq")
        ]
        assert kinds[-1] == "restore" and "backup" not in kinds  # the snapshot predates its entry
    finally:
        restored.store.close()
    # An empty existing directory is taken too.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["restore", str(backup), "-i", str(key), "--data", str(empty)]) == 0


def test_a_wrong_identity_is_refused_and_nothing_is_written(
    made: tuple[Path, X25519Identity, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup, _identity, _key_file = made
    _other, other_key = _key(tmp_path, "other.txt")
    err = _refused(backup, other_key, tmp_path / "restored", capsys)
    assert "does not decrypt" in err and "not encrypted to any identity" in err


@pytest.mark.parametrize("where", [0.5, 0.999])
def test_a_tampered_file_is_refused_and_nothing_is_written(
    made: tuple[Path, X25519Identity, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: float,
) -> None:
    backup, _identity, key = made
    raw = bytearray(backup.read_bytes())
    raw[int(len(raw) * where)] ^= 0x01
    backup.write_bytes(bytes(raw))
    assert "does not decrypt" in _refused(backup, key, tmp_path / "restored", capsys)


@pytest.mark.parametrize("keep", [0.0, 0.5, -1, -17])
def test_a_truncated_file_is_refused_and_nothing_is_written(
    made: tuple[Path, X25519Identity, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keep: float,
) -> None:
    backup, _identity, key = made
    raw = backup.read_bytes()
    cut = raw[: int(len(raw) * keep)] if keep >= 0 else raw[: int(keep)]
    backup.write_bytes(cut)
    err = _refused(backup, key, tmp_path / "restored", capsys)
    assert "does not decrypt" in err


def test_content_changed_by_a_recipient_is_refused(
    made: tuple[Path, X25519Identity, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Whoever holds a recipient key can decrypt, change and re-encrypt: age cannot tell,
    # the signed manifest can.
    backup, identity, key = made
    tar = bytearray(_tar(backup, identity))
    offset, size = _member_offset(bytes(tar), "data/cairn.db")
    tar[offset + size // 2] ^= 0x01
    backup.write_bytes(encrypt_bytes(bytes(tar), [identity.recipient()]))
    err = _refused(backup, key, tmp_path / "restored", capsys)
    assert "data/cairn.db: its SHA-256 differs from the manifest's" in err


def test_a_manifest_changed_after_signing_is_refused(
    made: tuple[Path, X25519Identity, Path],
    data: DataDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backup, identity, key = made
    tar = bytearray(_tar(backup, identity))
    offset, size = _member_offset(bytes(tar), "manifest.json")
    manifest = json.loads(bytes(tar[offset : offset + size]))
    manifest["made_by"] = "admin:eve"  # same length: the tar stays valid
    body = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    assert len(body) == size
    tar[offset : offset + size] = body
    backup.write_bytes(encrypt_bytes(bytes(tar), [identity.recipient()]))
    err = _refused(backup, key, tmp_path / "restored", capsys)
    assert "signature does not verify with the enclosed cairn.pub" in err


def test_a_pinned_key_must_have_signed_it(
    made: tuple[Path, X25519Identity, Path],
    data: DataDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backup, _identity, key = made
    other = open_data_dir(tmp_path / "other-server", create=True)
    try:
        stranger = minisign.public_key_file(other.keys.signing_key.public_key())
    finally:
        other.store.close()
    pinned = tmp_path / "server.pub"
    pinned.write_text(stranger)
    err = _refused(backup, key, tmp_path / "restored", capsys, "--pubkey", str(pinned))
    assert "does not verify with the pinned key" in err
    pinned.write_text(minisign.public_key_file(data.keys.signing_key.public_key()))
    args = ["restore", str(backup), "-i", str(key), "--data", str(tmp_path / "ok")]
    assert main([*args, "--pubkey", str(pinned)]) == 0


def test_a_target_that_is_not_empty_is_refused_before_anything_is_read(
    made: tuple[Path, X25519Identity, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup, _identity, key = made
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me\n")
    assert main(["restore", str(backup), "-i", str(key), "--data", str(target)]) == 2
    assert "is not empty; nothing was changed" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    (tmp_path / "a-file").write_text("x")
    assert main(["restore", str(backup), "-i", str(key), "--data", str(tmp_path / "a-file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_an_export_archive_is_not_a_backup(
    data: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    identity, key = _key(tmp_path)
    archive = tmp_path / "project.age"
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    export_to_file(source, PROJECT, [str(identity.recipient())], archive, actor="test")
    err = _refused(archive, key, tmp_path / "restored", capsys)
    assert "not a Cairn backup" in err and "cairn archive verify" in err


def test_backup_recipients_from_a_file_and_bad_ones_refused(
    data: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, key_one = _key(tmp_path, "one.txt")
    two, key_two = _key(tmp_path, "two.txt")
    listed = tmp_path / "recipients.txt"
    listed.write_text(f"# the two backup holders\n{one.recipient()}\n\n{two.recipient()}\n")
    out = tmp_path / "b.age"
    assert main(["backup", "--data", str(data.path), "--out", str(out), "-R", str(listed)]) == 0
    capsys.readouterr()
    for number, key in enumerate((key_one, key_two)):
        target = tmp_path / f"restored-{number}"
        assert main(["restore", str(out), "-i", str(key), "--data", str(target)]) == 0
    # Bad input: a clear error and no file.
    bad = tmp_path / "bad.age"
    assert main(["backup", "--data", str(data.path), "--out", str(bad), "-r", "age1nope"]) == 2
    assert "recipient 1" in capsys.readouterr().err and not bad.exists()
    assert main(["backup", "--data", str(data.path), "--out", str(bad)]) == 2
    assert "at least one recipient" in capsys.readouterr().err and not bad.exists()
    assert list(tmp_path.glob(".bad.age*")) == [] and list(data.path.glob(".export-*")) == []


def test_the_manifest_lists_every_file_with_counts_and_heads(
    made: tuple[Path, X25519Identity, Path], data: DataDir
) -> None:
    backup, identity, _key_file = made
    tar = _tar(backup, identity)
    with tarfile.open(fileobj=io.BytesIO(tar)) as opened:
        names = [i.name.split("/", 1)[1] for i in opened if i.isfile()]
        top = opened.getmembers()[0].name
        offset, size = _member_offset(tar, "manifest.json")
    manifest = decode_manifest(tar[offset : offset + size])
    assert top.startswith("cairn-backup-")
    assert names[-4:] == ["manifest.json", "manifest.json.minisig", "cairn.pub", "SHA256SUMS"]
    assert sorted(f.path for f in manifest.files) == sorted(
        set(names) - {"manifest.json", "manifest.json.minisig", "SHA256SUMS"}
    )
    assert manifest.counts["records"] == 1 and manifest.counts["attachment_files"] == 2
    assert manifest.counts["attachment_files_missing"] == 0
    conn = data.store.reader()
    (_seq, digest) = conn.execute(
        "SELECT seq, hash FROM audit_chain WHERE chain = ? AND seq = ?",
        (f"project:{PROJECT}", manifest.audit_heads[f"project:{PROJECT}"].seq),
    ).fetchone()
    assert digest == manifest.audit_heads[f"project:{PROJECT}"].hash
    assert manifest.instance_id == data.instance_id


def test_a_stored_file_missing_from_disk_is_named_and_the_backup_still_written(
    data: DataDir,
    make_device: MakeDevice,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    device = make_device("team-a")
    _photo_record(device, _photo(tmp_path))
    assert device.push().attachments == 1
    (blob,) = (data.path / "attachments" / "blobs").glob("??/*")
    blob.unlink()  # damage: a backup is exactly what is wanted now, with the damage named
    identity, _key_file = _key(tmp_path)
    out = tmp_path / "b.age"
    args = ["backup", "--data", str(data.path), "--out", str(out), "-r", str(identity.recipient())]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert (
        f"attachments/blobs/{blob.parent.name}/{blob.name} is named by the database" in captured.err
    )
    assert "1 attachment files the database names were not on disk" in captured.out
    assert out.exists()
