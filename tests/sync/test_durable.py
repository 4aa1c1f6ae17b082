"""Durable writes: a name holds the whole old file or the whole new one, never a torn one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sync import durable
from sync.keys import DeviceKeys


def test_a_write_replaces_the_file_with_a_new_one_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "keys.json"
    target.write_text("old")
    inode = target.stat().st_ino
    durable.write_file(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_ino != inode  # renamed over, not rewritten in place
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


def test_a_write_that_fails_half_way_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "cairn.json"
    target.write_text("old and whole")
    with pytest.raises(RuntimeError), durable.writing(target) as f:
        f.write(b"half")
        raise RuntimeError("cut")
    assert target.read_text() == "old and whole"
    assert [p.name for p in tmp_path.iterdir()] == ["cairn.json"]


def test_temporary_names_are_recognised(tmp_path: Path) -> None:
    with durable.writing(tmp_path / "x.agekey") as f:
        (tmp_path_name,) = [p.name for p in tmp_path.iterdir()]
        f.write(b"k")
    assert durable.is_temporary(tmp_path_name) and tmp_path_name.startswith(".x.agekey.")
    assert not durable.is_temporary("x.agekey")


def test_directories_are_made_with_their_parents_and_mode(tmp_path: Path) -> None:
    durable.make_dir(tmp_path / "a" / "b", 0o700)
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    durable.make_dir(tmp_path / "a" / "b")  # already there: nothing to do


def test_an_empty_file_is_created_once_with_its_mode(tmp_path: Path) -> None:
    durable.create_empty(tmp_path / "device.db", 0o600)
    assert stat.S_IMODE((tmp_path / "device.db").stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        durable.create_empty(tmp_path / "device.db")


def test_new_device_keys_appear_both_at_once(tmp_path: Path) -> None:
    keys = DeviceKeys.generate()
    keys.save(tmp_path / "home" / "keys")
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["keys"]  # no staging left
    assert stat.S_IMODE((tmp_path / "home" / "keys").stat().st_mode) == 0o700
    assert DeviceKeys.load(tmp_path / "home" / "keys").public() == keys.public()
