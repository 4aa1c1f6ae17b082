"""The data directory: created once, reused after, never silently re-initialised."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from server.auth import authenticate
from server.datadir import open_data_dir
from server.errors import DataDirError


def test_first_open_creates_database_keys_and_one_admin_token(tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "d", create=True)
    try:
        assert data.first_admin_token is not None
        principal = authenticate(data.store.reader(), f"Bearer {data.first_admin_token.token}")
        assert principal.role == "admin"
        for key_file in data.keys_dir.iterdir():
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, key_file
        assert stat.S_IMODE(data.keys_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(data.path.stat().st_mode) == 0o700
        for db_file in data.path.glob("cairn.db*"):
            assert stat.S_IMODE(db_file.stat().st_mode) == 0o600, db_file
    finally:
        data.store.close()
    again = open_data_dir(tmp_path / "d", create=True)
    try:
        assert again.first_admin_token is None
        assert again.instance_id == data.instance_id
        assert again.keys.public() == data.keys.public()
    finally:
        again.store.close()


def test_a_foreign_non_empty_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "IMG_0001.jpg").write_bytes(b"jpeg")
    with pytest.raises(DataDirError, match="not a Cairn data directory"):
        open_data_dir(tmp_path / "photos", create=True)
    assert [p.name for p in (tmp_path / "photos").iterdir()] == ["IMG_0001.jpg"]


def test_a_missing_database_is_reported_as_damage(tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "d", create=True)
    data.store.close()
    (tmp_path / "d" / "cairn.db").unlink()
    with pytest.raises(DataDirError, match="damaged"):
        open_data_dir(tmp_path / "d", create=True)
    assert not (tmp_path / "d" / "cairn.db").exists()


def test_commands_other_than_serve_do_not_create_a_directory(tmp_path: Path) -> None:
    with pytest.raises(DataDirError, match="cairn serve --data"):
        open_data_dir(tmp_path / "typo", create=False)
    assert not (tmp_path / "typo").exists()


def test_a_file_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataDirError):
        open_data_dir(tmp_path / "f", create=True)


def test_unreadable_keys_are_reported(tmp_path: Path) -> None:
    data = open_data_dir(tmp_path / "d", create=True)
    data.store.close()
    for key_file in data.keys_dir.iterdir():
        key_file.chmod(0o644)
    with pytest.raises(DataDirError, match="keys"):
        open_data_dir(tmp_path / "d", create=False)


def test_an_export_spool_left_by_a_dead_process_is_swept_and_a_live_one_kept(
    tmp_path: Path,
) -> None:
    data = open_data_dir(tmp_path / "d", create=True)
    data.store.close()
    dead = tmp_path / "d" / ".export-dead"
    dead.mkdir()
    (dead / "records.jsonl").write_text("plaintext evidence")
    (dead / ".owner-pid").write_text("999999999")
    live = tmp_path / "d" / ".export-live"
    live.mkdir()
    (live / ".owner-pid").write_text(str(os.getpid()))
    again = open_data_dir(tmp_path / "d", create=False)
    again.store.close()
    assert not dead.exists()
    assert live.exists()


def test_an_export_spool_from_before_a_reboot_is_swept_even_if_its_pid_is_alive(
    tmp_path: Path,
) -> None:
    data = open_data_dir(tmp_path / "d", create=True)
    data.store.close()
    before_cut = tmp_path / "d" / ".export-before-cut"
    before_cut.mkdir()
    # After a power cut the recorded pid may well belong to a new, live process.
    (before_cut / ".owner-pid").write_text(f"{os.getpid()} 00000000-dead-boot-0000-000000000000")
    again = open_data_dir(tmp_path / "d", create=False)
    again.store.close()
    assert not before_cut.exists()
