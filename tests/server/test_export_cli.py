"""`cairn keygen` and `cairn export` from the command line."""

from __future__ import annotations

import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from server.cli import main
from server.datadir import DataDir
from sync.age import read_identity_file
from sync.client import Device

PROJECT = "AZ-DASHALTI"


@pytest.mark.parametrize(("flags", "prefix"), [([], "age1"), (["--pq"], "age1pq1")])
def test_keygen_writes_a_0600_identity_and_prints_only_the_recipient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], prefix: str
) -> None:
    key = tmp_path / "key.txt"
    assert main(["keygen", *flags, "--out", str(key)]) == 0
    out, err = capsys.readouterr()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    (identity,) = read_identity_file(key)
    assert out == f"public key: {identity.recipient()}\n"
    assert str(identity.recipient()).startswith(prefix)
    assert "SECRET" not in out + err


def test_keygen_refuses_to_overwrite_and_prints_the_secret_only_to_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key.txt"
    key.write_text("precious\n")
    assert main(["keygen", "--out", str(key)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert key.read_text() == "precious\n"
    assert main(["keygen", "--out", "-"]) == 0
    assert "AGE-SECRET-KEY-1" in capsys.readouterr().out


@pytest.mark.skipif(not shutil.which("age"), reason="needs Debian's age")
def test_keygen_identity_works_with_the_age_tool(tmp_path: Path) -> None:
    key = tmp_path / "key.txt"
    assert main(["keygen", "--out", str(key)]) == 0
    (identity,) = read_identity_file(key)
    sealed = subprocess.run(
        ["age", "-r", str(identity.recipient())], input=b"evidence", capture_output=True, check=True
    ).stdout
    opened = subprocess.run(["age", "-d", "-i", str(key)], input=sealed, capture_output=True)
    assert opened.stdout == b"evidence"


def test_cli_export_then_verify(
    data: DataDir,
    make_device: Callable[[str], Device],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dev = make_device("team-a")
    dev.new("site_grave", {"site_code": "DSH-01", "grave_no": 1, "status": "reported"})
    dev.push()
    key = tmp_path / "key.txt"
    main(["keygen", "--pq", "--out", str(key)])
    recipient = capsys.readouterr().out.split()[-1]
    out = tmp_path / "dashalti.age"
    argv = ["export", "--data", str(data.path), "--project", PROJECT, "-r", recipient]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "records 1" in printed.out and "ops 1" in printed.out
    assert "ops: 1 done" in printed.err  # progress goes to stderr
    assert main(["archive", "pubkey", "--data", str(data.path)]) == 0
    pinned = tmp_path / "server.pub"
    pinned.write_text(capsys.readouterr().out)
    assert main(["archive", "verify", str(out), "-i", str(key), "--pubkey", str(pinned)]) == 0
    assert "(checked with the pinned key)" in capsys.readouterr().out
    assert main([*argv[:-2], "-r", "age1nope", "--out", str(tmp_path / "b.age")]) == 2
    assert "recipient 1" in capsys.readouterr().err
    assert not (tmp_path / "b.age").exists()
