"""The database file: migrations, foreign files, and what survives a reopen."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.errors import DataDirError
from server.store import APPLICATION_ID, Store
from server.store.schema import SCHEMA_VERSION


def test_new_database_is_marked_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "cairn.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "cairn.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_data(tmp_path: Path) -> None:
    store = Store(tmp_path / "cairn.db")
    with store.write() as conn:
        conn.execute("INSERT INTO projects VALUES ('P1', 'one', 1)")
    store.close()
    again = Store(tmp_path / "cairn.db")
    assert again.reader().execute("SELECT name FROM projects").fetchall() == [("one",)]
    again.close()


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DataDirError, match="not a Cairn database"):
        Store(path)
    assert path.read_bytes() == before


def test_garbage_file_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "cairn.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DataDirError, match="damaged"):
        Store(path)


def test_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "cairn.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "cairn.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(DataDirError, match="upgrade Cairn"):
        Store(tmp_path / "cairn.db")


def test_failed_write_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "cairn.db")
    with pytest.raises(RuntimeError), store.write() as conn:
        conn.execute("INSERT INTO projects VALUES ('P1', 'one', 1)")
        raise RuntimeError("boom")
    assert store.reader().execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 0
    store.close()


def test_a_record_row_takes_each_selected_column_by_its_name() -> None:
    """record_row unpacks by position: each value lands in the field its column names."""
    from server.store.sync_tables import RecordRow, record_row

    names = RecordRow.__struct_fields__
    values = [f"value of {n}" for n in names]
    values[names.index("retracted")] = 1
    row = record_row(values)
    for name, value in zip(names, values, strict=True):
        expected = True if name == "retracted" else value
        assert getattr(row, name) == expected, name
    with pytest.raises(ValueError):
        record_row(values[:-1])
