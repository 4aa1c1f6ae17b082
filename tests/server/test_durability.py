"""Power cuts lose nothing and brick nothing: each kind of damage a cut (or a slip) can
leave is refused with a message that says what to do, nothing is deleted, and `cairn
verify` names it; the explicit repairs bring the directory back with every record."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from server import admin, key_changes
from server.audit.chain import SERVER
from server.cli import main
from server.datadir import DataDir, open_data_dir
from server.errors import DataDirError
from server.store import audit_log
from server.verify import verify
from sync.keys import ServerKeys
from tests.server.conftest import PROJECT


def _fingerprint(path: Path) -> dict[str, str]:
    """SHA-256 of every file under `path` (SQLite's -shm index left out: it is not data)."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def _closed(data: DataDir) -> dict[str, str]:
    data.store.close()  # checkpoints the WAL: the files are now what a stopped server leaves
    return _fingerprint(data.path)


def _verify_output(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["verify", "--data", str(path)])
    return status, capsys.readouterr().out


def _records(path: Path) -> int:
    data = open_data_dir(path, create=False)
    try:
        report = verify(data.store, data.keys, data.forms)
        assert report.ok, report.problems
        return report.records
    finally:
        data.store.close()


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_a_lost_marker_beside_a_database_is_refused_and_restored_from_it(
    synced: DataDir, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = synced.path
    instance_id = synced.instance_id
    _closed(synced)
    marker = path / "cairn.json"
    if damage == "empty":
        marker.write_bytes(b"")
    else:
        marker.unlink()
    before = _fingerprint(path)
    for create in (True, False):  # `cairn serve` (create) used to delete cairn.db here
        with pytest.raises(DataDirError, match="restore-marker") as refused:
            open_data_dir(path, create=create)
        assert "nothing was changed" in refused.value.message
        assert _fingerprint(path) == before
    status, out = _verify_output(path, capsys)
    assert status == 1 and "FAILED" in out and "cairn.json" in out and "restore-marker" in out
    assert main(["admin", "restore-marker", "--data", str(path)]) == 0
    assert json.loads(marker.read_text())["instance_id"] == instance_id
    assert _records(path) == 2


@pytest.mark.parametrize("name", ["signing.pem", "keys.json", "batch"])
def test_an_empty_key_file_is_refused_and_nothing_is_deleted(
    synced: DataDir, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = synced.path
    _closed(synced)
    if name == "batch":
        (key_file,) = (path / "keys").glob("batch-*.agekey")
    else:
        key_file = path / "keys" / name
    key_file.write_bytes(b"")
    before = _fingerprint(path)
    with pytest.raises(DataDirError, match="empty; restore it from backup") as refused:
        open_data_dir(path, create=True)
    assert key_file.name in refused.value.message
    assert _fingerprint(path) == before
    status, out = _verify_output(path, capsys)
    assert status == 1 and key_file.name in out and "empty" in out


def test_a_current_key_without_its_audit_entry_is_refused_and_named_by_verify(
    synced: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    path = synced.path
    _closed(synced)
    # What the old rotate-keys left after a cut between its key files and its audit entry.
    keys = ServerKeys.load(path / "keys")
    unaudited = keys.rotate()
    keys.save(path / "keys")
    before = _fingerprint(path)
    with pytest.raises(DataDirError, match="no audit entry") as refused:
        open_data_dir(path, create=False)
    assert unaudited.key_id in refused.value.message and "current" in refused.value.message
    assert _fingerprint(path) == before
    status, out = _verify_output(path, capsys)
    assert status == 1 and unaudited.key_id in out and "no audit entry" in out


def test_verify_names_an_unaudited_key_of_a_running_server(synced: DataDir) -> None:
    data_keys = synced.keys
    store = synced.store
    forms = synced.forms
    unaudited = data_keys.rotate()
    report = verify(store, data_keys, forms)
    assert any(unaudited.key_id in p and "no audit entry" in p for p in report.problems)


def test_a_rotation_cut_after_its_audit_entry_is_completed_on_the_next_open(
    synced: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = synced.path
    store = synced.store
    old = ServerKeys.load(path / "keys").current.key_id

    def cut(self: ServerKeys, directory: Path) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(ServerKeys, "save_manifest", cut)
    with pytest.raises(OSError, match="power cut"):
        key_changes.rotate_batch_key(store, path / "keys", "test")
    monkeypatch.undo()
    assert ServerKeys.load(path / "keys").current.key_id == old  # keys.json untouched
    [*_, entry] = audit_log.of_kinds(store.reader(), SERVER, ("keys.rotate",))
    store.close()
    reopened = open_data_dir(path, create=False)
    try:
        assert reopened.keys.current.key_id == entry.subject
        assert [k.key_id for k in reopened.keys.public().retired] == [old]
        assert verify(reopened.store, reopened.keys, reopened.forms).ok
    finally:
        reopened.store.close()


def test_a_rotation_cut_before_its_audit_entry_changes_nothing(
    synced: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = synced.path
    store = synced.store
    old = ServerKeys.load(path / "keys").current.key_id

    def cut(*args: object, **kwargs: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(audit_log, "append", cut)
    with pytest.raises(OSError, match="power cut"):
        key_changes.rotate_batch_key(store, path / "keys", "test")
    monkeypatch.undo()
    assert len(list((path / "keys").glob("batch-*.agekey"))) == 2  # staged, never current
    store.close()
    reopened = open_data_dir(path, create=False)
    try:
        assert reopened.keys.current.key_id == old
        assert verify(reopened.store, reopened.keys, reopened.forms).ok
    finally:
        reopened.store.close()


def test_key_files_are_replaced_never_rewritten_in_place(synced: DataDir) -> None:
    path = synced.path
    store = synced.store
    manifest = path / "keys" / "keys.json"
    inode = manifest.stat().st_ino
    key_changes.rotate_batch_key(store, path / "keys", "test")
    assert manifest.stat().st_ino != inode  # a new file took the name
    assert not [p for p in (path / "keys").iterdir() if p.name.endswith(".tmp")]


def test_an_unfinished_first_start_is_refused_until_discarded_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d"

    def cut(*args: object, **kwargs: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr("server.datadir.issue_token", cut)
    with pytest.raises(OSError, match="power cut"):
        open_data_dir(path, create=True)
    monkeypatch.undo()
    assert json.loads((path / "cairn.json").read_text())["state"] == "initialising"
    before = _fingerprint(path)
    with pytest.raises(DataDirError, match="discard-first-start"):
        open_data_dir(path, create=True)
    assert _fingerprint(path) == before
    status, out = _verify_output(path, capsys)
    assert status == 1 and "did not finish" in out
    assert main(["admin", "restore-marker", "--data", str(path)]) == 2  # not for this case
    assert main(["admin", "discard-first-start", "--data", str(path)]) == 0
    assert list(path.iterdir()) == []
    fresh = open_data_dir(path, create=True)
    try:
        assert fresh.first_admin_token is not None
    finally:
        fresh.store.close()


def test_a_directory_with_data_is_never_discarded(
    synced: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    path = synced.path
    before = _closed(synced)
    assert main(["admin", "discard-first-start", "--data", str(path)]) == 2
    assert "not an unfinished first start" in capsys.readouterr().err
    marker = json.loads((path / "cairn.json").read_text())
    (path / "cairn.json").write_text(json.dumps({**marker, "state": "initialising"}))
    assert main(["admin", "discard-first-start", "--data", str(path)]) == 2
    assert "records more than a first start" in capsys.readouterr().err
    assert {k: v for k, v in _fingerprint(path).items() if k != "cairn.json"} == {
        k: v for k, v in before.items() if k != "cairn.json"
    }


def test_a_cut_while_the_first_marker_was_written_leaves_a_directory_that_starts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d"
    path.mkdir()
    (path / ".cairn.json.k2j4h1x0.tmp").write_bytes(b"")  # the rename never reached the disk
    data = open_data_dir(path, create=True)
    try:
        assert data.first_admin_token is not None
        assert sorted(p.name for p in path.iterdir() if p.name.startswith(".")) == []
        admin.create_project(data.store, PROJECT, "Dashalti", "test")
    finally:
        data.store.close()
