"""Storage: the only package that speaks SQL.

One SQLite file in WAL mode. Every write goes through the single write connection, under a
lock, in one `BEGIN IMMEDIATE` transaction, with `synchronous=FULL` so that what a receipt
promises is on disk before the receipt leaves. Reads use one connection per thread and see
the last committed state.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from server.errors import DataDirError, StorageFull
from server.store.schema import SchemaTooNew, migrate
from sync import durable

APPLICATION_ID = 0x43414952  # "CAIR": marks the file as a Cairn database.


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


class Store:
    """The database of one data directory: a write connection and per-thread readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        fresh = not path.exists() or path.stat().st_size == 0
        if not path.exists():
            # Decrypted evidence lives here: owner-only from the first byte (SQLite gives its
            # -wal and -shm files the same mode).
            # Its name is made durable too: SQLite syncs its -wal file's entry, not this one.
            durable.create_empty(path, 0o600)
        try:
            conn = _connect(path)
            (app_id,) = conn.execute("PRAGMA application_id").fetchone()
            if not fresh and app_id != APPLICATION_ID:
                raise DataDirError(
                    f"{path} is not a Cairn database (application id {app_id:#x}); "
                    "point --data at a Cairn data directory or an empty one"
                )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if fresh:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise DataDirError(
                f"cannot open the database {path}: {exc}. The file is damaged or not a "
                "Cairn database; restore it from a backup (nothing was changed)"
            ) from exc
        except SchemaTooNew as exc:
            raise DataDirError(f"{path}: {exc}; upgrade Cairn to open it") from exc
        self._writer = conn
        self.db = sqlite_utils.Database(conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: commits on success, rolls back on any error."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except sqlite3.OperationalError as exc:
                conn.rollback()
                raise _storage_error(exc) from exc
            except BaseException:
                conn.rollback()
                raise
            try:
                conn.commit()
            except sqlite3.OperationalError as exc:
                conn.rollback()
                raise _storage_error(exc) from exc

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (autocommit; each statement sees committed data)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement inside sees the same committed state."""
        conn = self.reader()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()

    def close(self) -> None:
        """Close every connection (checkpointing the WAL)."""
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()


def _storage_error(exc: sqlite3.OperationalError) -> Exception:
    if is_storage_full(exc):
        return StorageFull(
            "the server's disk or database is full; nothing from this request was stored. "
            "Try again after the administrator frees space"
        )
    return exc


def is_storage_full(exc: BaseException) -> bool:
    """True for SQLite's 'database or disk is full' family of errors."""
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()
