"""`cairn archive verify`: passes a good archive, names every kind of tampering."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server import minisign
from server.cli import main
from server.datadir import DataDir
from server.export.archive import ExportSource, export_to_file
from server.export.manifest import FileEntry, decode_manifest, encode_manifest, sha256sums
from server.export.verify import verify_archive
from sync.age import (
    AnyIdentity,
    decrypt_bytes,
    encrypt_bytes,
    generate_hybrid,
    generate_x25519,
    write_identity_file,
)
from sync.client import Device

PROJECT = "AZ-DASHALTI"
GRAVE = {
    "site_code": "DSH-01",
    "grave_no": 1,
    "legal_authority_ref": "Court order 17/2026",
    "grave_type": "mass",
    "deposition": "primary",
    "datum_point": {"lat": 40.1, "lon": 46.9, "h_acc_m": 2.0},
    "status": "excavating",
}
Edit = Callable[[dict[str, bytes]], None]


@pytest.fixture
def pushed(make_device: Callable[[str], Device]) -> None:
    """Two devices that each pushed a batch."""
    for name in ("team-a", "team-b"):
        dev = make_device(name)
        dev.new("site_grave", {**GRAVE, "grave_no": len(name)})
        dev.push()


def _export(data: DataDir, tmp_path: Path, identity: AnyIdentity) -> Path:
    out = tmp_path / "archive.age"
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    export_to_file(source, PROJECT, [str(identity.recipient())], out, actor="admin:test")
    return out


def _server_pub(data: DataDir, tmp_path: Path) -> Path:
    path = tmp_path / "server.pub"
    path.write_text(minisign.public_key_file(data.keys.signing_key.public_key()))
    return path


def _rewrite(archive: Path, identity: AnyIdentity, edit: Edit) -> None:
    """What an attacker holding a recipient key can do: decrypt, change, re-encrypt."""
    plain = decrypt_bytes(archive.read_bytes(), [identity])
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
        top = tar.getmembers()[0].name
        for member in tar.getmembers():
            if member.isfile():
                raw = tar.extractfile(member)
                assert raw is not None
                files[member.name[len(top) + 1 :]] = raw.read()
    edit(files)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    archive.write_bytes(encrypt_bytes(out.getvalue(), [identity.recipient()]))


def _verify(archive: Path, identity: AnyIdentity, pinned: Path | None = None) -> list[str]:
    with archive.open("rb") as f:
        pin = pinned.read_text() if pinned else None
        return verify_archive(f, [identity], pinned_pubkey=pin).problems


@pytest.mark.parametrize("make_identity", [generate_x25519, generate_hybrid])
def test_a_good_archive_verifies_with_its_own_and_a_pinned_key(
    data: DataDir, pushed: None, tmp_path: Path, make_identity: Callable[[], AnyIdentity]
) -> None:
    identity = make_identity()
    archive = _export(data, tmp_path, identity)
    assert _verify(archive, identity) == []
    assert _verify(archive, identity, _server_pub(data, tmp_path)) == []


def test_cli_verify_exits_0_on_a_good_archive_and_1_on_an_edited_manifest(
    data: DataDir, pushed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    identity = generate_x25519()
    key = tmp_path / "key.txt"
    write_identity_file(key, identity)
    archive = _export(data, tmp_path, identity)
    assert main(["archive", "verify", str(archive), "--identity", str(key)]) == 0
    assert "OK: the archive verifies" in capsys.readouterr().out

    def forge(files: dict[str, bytes]) -> None:
        files["manifest.json"] = files["manifest.json"].replace(b'"admin:test"', b'"nobody"')

    _rewrite(archive, identity, forge)
    assert main(["archive", "verify", str(archive), "--identity", str(key)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out
    assert "manifest.json: the signature does not verify with cairn.pub" in out


def _resign(files: dict[str, bytes], change: Callable[[bytes], bytes]) -> None:
    """Change records.jsonl, fix every hash, sign with a key of one's own, swap cairn.pub."""
    forger = Ed25519PrivateKey.generate()
    files["cairn.pub"] = minisign.public_key_file(forger.public_key()).encode()
    files["records.jsonl"] = change(files["records.jsonl"])
    manifest = decode_manifest(files["manifest.json"])
    entries = [_entry(f.path, files[f.path]) for f in manifest.files]
    files["manifest.json"] = encode_manifest(msgspec.structs.replace(manifest, files=entries))
    files["manifest.json.minisig"] = minisign.sign(forger, files["manifest.json"], "x").encode()
    files["SHA256SUMS"] = sha256sums([*entries, _entry("manifest.json", files["manifest.json"])])


def _entry(path: str, body: bytes) -> FileEntry:
    return FileEntry(path=path, size=len(body), sha256=hashlib.sha256(body).hexdigest())


def test_only_a_pinned_key_catches_a_re_signed_archive_with_a_swapped_cairn_pub(
    data: DataDir, pushed: None, tmp_path: Path
) -> None:
    identity = generate_x25519()
    archive = _export(data, tmp_path, identity)
    _rewrite(archive, identity, lambda f: _resign(f, lambda b: b.replace(b"DSH-01", b"DSH-99")))
    assert _verify(archive, identity) == []  # consistent with itself: that is the danger
    problems = _verify(archive, identity, _server_pub(data, tmp_path))
    assert any("does not verify with the pinned key" in p for p in problems)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda f: f.update({"records.jsonl": f["records.jsonl"] + b"{}\n"}),
            "records.jsonl: SHA-256 differs",
        ),
        (lambda f: f.pop("ops.jsonl"), "ops.jsonl: listed in the manifest but missing"),
        (
            lambda f: f.update({"extra.txt": b"hi"}),
            "extra.txt: in the archive but not in the manifest",
        ),
        (
            lambda f: f.update(
                {"audit.jsonl": f["audit.jsonl"].replace(b"device.enroll", b"device.enrol!")}
            ),
            "content does not match its hash",
        ),
    ],
)
def test_each_kind_of_tampering_is_named(
    data: DataDir, pushed: None, tmp_path: Path, edit: Edit, expected: str
) -> None:
    identity = generate_x25519()
    archive = _export(data, tmp_path, identity)
    _rewrite(archive, identity, edit)
    problems = _verify(archive, identity)
    assert any(expected in p for p in problems), problems


def test_a_batch_whose_device_signature_fails_is_named(
    data: DataDir, pushed: None, tmp_path: Path
) -> None:
    identity = generate_x25519()
    archive = _export(data, tmp_path, identity)

    def flip(files: dict[str, bytes]) -> None:
        name = next(n for n in files if n.endswith(".signed"))
        blob = bytearray(files[name])
        blob[-1] ^= 1
        files[name] = bytes(blob)

    _rewrite(archive, identity, flip)
    problems = _verify(archive, identity)
    assert any(".signed: device signature does not verify" in p for p in problems), problems


def test_wrong_key_or_a_flipped_byte_is_an_age_failure(
    data: DataDir, pushed: None, tmp_path: Path
) -> None:
    identity = generate_x25519()
    archive = _export(data, tmp_path, identity)
    assert _verify(archive, generate_x25519())[0].startswith("age: ")
    blob = bytearray(archive.read_bytes())
    blob[len(blob) // 2] ^= 1
    archive.write_bytes(bytes(blob))
    assert _verify(archive, identity)[0].startswith("age: ")


def _add_members(archive: Path, identity: AnyIdentity, names: list[str]) -> None:
    """Re-write the archive's tar with extra members under raw names (top not prefixed)."""
    plain = decrypt_bytes(archive.read_bytes(), [identity])
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as src,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        top = src.getmembers()[0].name
        for member in src.getmembers():
            raw = src.extractfile(member) if member.isfile() else None
            tar.addfile(member, raw)
        for name in names:
            info = tarfile.TarInfo(name.replace("TOP", top))
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    archive.write_bytes(encrypt_bytes(out.getvalue(), [identity.recipient()]))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TOP/batches/../../../../outside/x.sealed", "'..' part"),
        ("/etc/cairn-x", "absolute name"),
        ("TOP/batches/" + "B" * 300 + ".sealed", "over 255 bytes"),
        ("TOP/" + "b/" * 600 + "x", "over 1024 bytes"),
        ("TOP/batches/a\nb.sealed", "control character"),
        ("TOP/records.jsonl", "two members have this name"),
    ],
)
def test_verify_refuses_member_names_tar_and_sha256sum_would_not_take(
    data: DataDir, pushed: None, tmp_path: Path, name: str, expected: str
) -> None:
    identity = generate_x25519()
    archive = _export(data, tmp_path, identity)
    assert _verify(archive, identity) == []
    _add_members(archive, identity, [name])
    problems = _verify(archive, identity)
    assert any(expected in p for p in problems), problems


def test_cli_verify_with_a_wrong_pinned_key_does_not_also_claim_it_was_not_pinned(
    data: DataDir, pushed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    identity = generate_x25519()
    key = tmp_path / "key.txt"
    write_identity_file(key, identity)
    archive = _export(data, tmp_path, identity)
    wrong = tmp_path / "wrong.pub"
    wrong.write_text(minisign.public_key_file(Ed25519PrivateKey.generate().public_key()))
    args = ["archive", "verify", str(archive), "--identity", str(key)]
    assert main([*args, "--pubkey", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "manifest signature: not verified (FAILED: see below)" in out
    assert "does not verify with the pinned key" in out
    assert "not pinned" not in out and "enclosed cairn.pub only" not in out
    assert main([*args, "--pubkey", str(_server_pub(data, tmp_path))]) == 0
    assert "(checked with the pinned key)" in capsys.readouterr().out
    assert main(args) == 0
    assert "checked with the enclosed cairn.pub only; pin a key with --pubkey" in (
        capsys.readouterr().out
    )
