"""Issue 19: an archive of one project carries nothing of another, and its audit chain
re-hashes in another language; on a fresh data directory and on one made before the
change (tests/testdata/before_chains, written by the previous release)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server import admin
from server.audit import legacy
from server.audit.chain import SERVER, project_chain
from server.cli import main
from server.datadir import open_data_dir
from server.store import admin as admin_rows
from server.store import audit_log
from server.store import sync_tables as st
from sync.age import decrypt_bytes, generate_x25519, write_identity_file
from sync.receipt import verify_receipt
from tests.testdata.before_chains.make_datadir import DSH, EDL, build

TESTDATA = Path(__file__).parent.parent / "testdata"
NODE = shutil.which("node")
AFTER_LABEL = "EDL night shift after the upgrade"


class Made:
    """A data directory holding projects DSH and EDL, and the EDL strings to look for."""

    def __init__(self, path: Path, upgraded: bool) -> None:
        self.path = path
        self.upgraded = upgraded
        raw = json.loads((path / "markers.json").read_text())
        self.comment, self.value, self.record = raw["comment"], raw["value"], raw["edl_record"]
        self.markers: list[str] = []
        for value in raw.values():
            self.markers.extend(value if isinstance(value, list) else [value])


@pytest.fixture(params=["fresh", "upgraded"])
def made(request: pytest.FixtureRequest, tmp_path: Path) -> Made:
    if request.param == "fresh":
        return Made(build(tmp_path / "fresh"), upgraded=False)
    with tarfile.open(TESTDATA / "before_chains" / "datadir.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    upgraded = Made(tmp_path / "cairn-data", upgraded=True)
    # Life goes on after the upgrade, in both projects.
    data = open_data_dir(upgraded.path, create=False)
    admin.issue_enroll_code(data.store, DSH, 3600, "cli:admin")
    admin.issue_token(data.store, "supervisor", EDL, "cli:admin", label=AFTER_LABEL)
    data.store.close()
    upgraded.markers.append(AFTER_LABEL)
    return upgraded


@pytest.fixture
def exported(made: Made, tmp_path: Path) -> Iterator[tuple[Path, Path, bytes]]:
    """`cairn export --project DSH`: (the .age file, the identity file, the plain tar)."""
    identity = generate_x25519()
    key = tmp_path / "key.txt"
    write_identity_file(key, identity)
    out = tmp_path / "dsh.age"
    args = ["export", "--data", str(made.path), "--project", DSH]
    assert main([*args, "--recipient", str(identity.recipient()), "--out", str(out)]) == 0
    yield out, key, decrypt_bytes(out.read_bytes(), [identity])


def _members(tar_bytes: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for info in tar:
            f = tar.extractfile(info)
            if f is not None:
                out[info.name.split("/", 1)[1]] = f.read()
    return out


def test_cairn_verify_checks_every_chain(made: Made, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--data", str(made.path)]) == 0
    printed = capsys.readouterr().out
    assert "in 3 chains" in printed  # the server's, DSH's and EDL's
    assert ("+ 22 in the frozen format-1 log" if made.upgraded else "+ 0 in") in printed
    assert "OK: everything verifies" in printed


def test_an_archive_of_dsh_names_nothing_of_edl_and_verifies(
    made: Made, exported: tuple[Path, Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    out, key, plain = exported
    members = _members(plain)
    assert "audit.jsonl" in members
    assert ("audit-v1.jsonl" in members) is made.upgraded
    for marker in made.markers:
        needle = marker.encode()
        assert needle not in plain, f"the tar names {marker!r}"
        leaks = [path for path, data in members.items() if needle in data]
        assert leaks == [], f"{marker!r} is in {leaks}"
    assert main(["archive", "verify", str(out), "-i", str(key)]) == 0
    assert "OK" in capsys.readouterr().out
    # The search is a real one: EDL's own archive holds its comment, value and ids.
    identity = generate_x25519()
    edl = made.path.parent / "edl.age"
    args = ["export", "--data", str(made.path), "--project", EDL, "-o", str(edl)]
    assert main([*args, "--recipient", str(identity.recipient())]) == 0
    theirs = _members(decrypt_bytes(edl.read_bytes(), [identity]))
    for marker in (made.comment, made.value, made.record):
        assert any(marker.encode() in data for data in theirs.values()), marker


@pytest.mark.skipif(NODE is None, reason="node is not installed (Debian package nodejs)")
def test_node_re_hashes_the_archive_chain_from_the_written_spec(
    made: Made, exported: tuple[Path, Path, bytes], tmp_path: Path
) -> None:
    _, _, plain = exported
    root = tmp_path / "x"
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        tar.extractall(root, filter="data")
    (archive,) = root.iterdir()
    manifest = json.loads((archive / "manifest.json").read_bytes())
    done = _node(archive)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["head"] == manifest["audit"]["head"]
    assert result["chain"] == project_chain(DSH)
    assert result["entries"] == manifest["audit"]["last"] > 1
    assert (result["legacy_end"] is not None) is made.upgraded
    # And it is a real check: one changed character is caught.
    audit = archive / "audit.jsonl"
    audit.write_bytes(audit.read_bytes().replace(b'"enroll.code"', b'"enroll.cod!"', 1))
    failed = _node(archive)
    assert failed.returncode == 1 and "hash differs" in failed.stdout


def _node(archive: Path) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    script = TESTDATA / "audit_rehash.mjs"
    return subprocess.run(
        [NODE, str(script), str(archive)], capture_output=True, text=True, timeout=60
    )


def test_upgrading_anchors_every_chain_to_the_frozen_head(tmp_path: Path) -> None:
    with tarfile.open(TESTDATA / "before_chains" / "datadir.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    data = open_data_dir(tmp_path / "cairn-data", create=False)
    try:
        conn = data.store.reader()
        frozen = audit_log.legacy_head_of(conn)
        assert frozen[0] == 22
        assert audit_log.chains(conn) == [SERVER, project_chain(DSH), project_chain(EDL)]
        for name in audit_log.chains(conn):
            first = next(audit_log.entries(conn, name))
            assert first.kind == "chain.open"
            assert first.data["legacy"] == {"seq": frozen[0], "head": frozen[1]}
            assert first.data["keys"] == data.keys.public().key_ids()
        # Receipts handed out before the upgrade still verify; they carry the old head.
        for batch in st.iter_batches(conn, DSH):
            receipt = verify_receipt(batch.receipt, data.keys.public().signing_public)
            assert receipt.audit_seq == 0 and len(receipt.audit_head) == 64
        # Reduced for DSH: its entries whole, every EDL entry inside a withheld run.
        devices = {d.device_id: d.project for d in st_devices(conn)}
        lines = list(legacy.reduce(audit_log.legacy_entries(conn), DSH, devices.get))
        whole = [json.loads(x.body)[2] for x in lines if x.body is not None]
        assert whole == [
            "server.init",
            "project.create",
            "token.issue",  # DSH's supervisor token
            "enroll.code",
            "device.enroll",
            "batch.accept",
            "keys.rotate",
            "batch.accept",
            "export",
        ]
        problems, end = legacy.verify_lines(lines, DSH, lambda d: devices.get(d))
        assert (problems, end) == ([], frozen)
    finally:
        data.store.close()


def st_devices(conn: Any) -> list[admin_rows.DeviceRow]:
    """Every device row."""
    return admin_rows.list_devices(conn)


def test_a_reduced_format_1_log_that_was_edited_or_names_edl_fails(tmp_path: Path) -> None:
    with tarfile.open(TESTDATA / "before_chains" / "datadir.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    data = open_data_dir(tmp_path / "cairn-data", create=False)
    try:
        conn = data.store.reader()
        devices = {d.device_id: d.project for d in st_devices(conn)}
        entries = list(audit_log.legacy_entries(conn))
    finally:
        data.store.close()
    own = list(legacy.reduce(entries, DSH, devices.get))
    edited = [
        x
        if x.body is None or "device.enroll" not in x.body
        else type(x)(**{**_fields(x), "body": x.body.replace("device.enroll", "device.enrol!")})
        for x in own
    ]
    problems, _ = legacy.verify_lines(edited, DSH, devices.get)
    assert [p.message for p in problems] == ["content does not match its hash (edited?)"]
    # EDL's own reduction, presented as DSH's: its whole entries name AZ-EDILLI.
    theirs = list(legacy.reduce(entries, EDL, devices.get))
    problems, _ = legacy.verify_lines(theirs, DSH, devices.get)
    assert any(f"names project {EDL!r}" in p.message for p in problems)


def _fields(line: legacy.LegacyLine) -> dict[str, Any]:
    return {f: getattr(line, f) for f in line.__struct_fields__}


def test_an_archive_made_before_the_change_still_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with tarfile.open(TESTDATA / "before_chains" / "datadir.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    old, key = tmp_path / "old-dsh.age", tmp_path / "old-dsh.key"
    assert main(["archive", "verify", str(old), "-i", str(key)]) == 0
    printed = capsys.readouterr().out
    assert "format 1: made before per-project chains" in printed and "OK" in printed
