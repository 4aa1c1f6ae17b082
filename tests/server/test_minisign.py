"""Our minisign signatures verify with the real `minisign` tool, and tampering fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server import minisign

needs_tool = pytest.mark.skipif(shutil.which("minisign") is None, reason="minisign not installed")


def _write(tmp_path: Path, message: bytes) -> tuple[Path, Path, Path]:
    key = Ed25519PrivateKey.generate()
    pub = tmp_path / "cairn.pub"
    msg = tmp_path / "manifest.json"
    sig = tmp_path / "manifest.json.minisig"
    pub.write_text(minisign.public_key_file(key.public_key()))
    msg.write_bytes(message)
    sig.write_text(minisign.sign(key, message, "cairn export P1 2026-11-22"))
    return pub, msg, sig


def _tool_verifies(pub: Path, msg: Path, sig: Path) -> bool:
    result = subprocess.run(
        ["minisign", "-V", "-p", str(pub), "-m", str(msg), "-x", str(sig)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


@needs_tool
def test_minisign_tool_verifies_our_signature(tmp_path: Path) -> None:
    pub, msg, sig = _write(tmp_path, b'{"files": []}\n')
    assert _tool_verifies(pub, msg, sig)


@needs_tool
def test_minisign_tool_rejects_a_changed_message(tmp_path: Path) -> None:
    pub, msg, sig = _write(tmp_path, b'{"files": []}\n')
    msg.write_bytes(b'{"files": [1]}\n')
    assert not _tool_verifies(pub, msg, sig)


@needs_tool
def test_minisign_tool_rejects_an_edited_trusted_comment(tmp_path: Path) -> None:
    pub, msg, sig = _write(tmp_path, b"data")
    sig.write_text(sig.read_text().replace("cairn export P1", "cairn export P2"))
    assert not _tool_verifies(pub, msg, sig)


@needs_tool
def test_we_verify_signatures_made_by_the_minisign_tool(tmp_path: Path) -> None:
    keydir = tmp_path / "k"
    keydir.mkdir()
    subprocess.run(
        ["minisign", "-G", "-W", "-p", str(keydir / "k.pub"), "-s", str(keydir / "k.key")],
        check=True,
        capture_output=True,
    )
    (tmp_path / "m").write_bytes(b"hello archive")
    subprocess.run(
        ["minisign", "-S", "-s", str(keydir / "k.key"), "-m", str(tmp_path / "m"), "-t", "tc"],
        check=True,
        capture_output=True,
    )
    trusted = minisign.verify(
        (keydir / "k.pub").read_text(), b"hello archive", (tmp_path / "m.minisig").read_text()
    )
    assert trusted == "tc"
    with pytest.raises(minisign.MinisignError):
        minisign.verify(
            (keydir / "k.pub").read_text(), b"hello archivE", (tmp_path / "m.minisig").read_text()
        )


def test_signature_from_another_key_is_refused() -> None:
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    sig = minisign.sign(a, b"m", "c")
    with pytest.raises(minisign.MinisignError, match="another key"):
        minisign.verify(minisign.public_key_file(b.public_key()), b"m", sig)


def test_round_trip_returns_trusted_comment() -> None:
    key = Ed25519PrivateKey.generate()
    sig = minisign.sign(key, b"m", "exported by admin")
    assert minisign.verify(minisign.public_key_file(key.public_key()), b"m", sig) == (
        "exported by admin"
    )
