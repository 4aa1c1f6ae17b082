"""Storage: the only package that speaks SQL.

One SQLite file in WAL mode. Every write goes through the single write connection, under a
lock, in one `BEGIN IMMEDIATE` transaction, with `synchronous=FULL` so that what a receipt
promises is on disk before the receipt leaves. Reads use one connection per thread and see
the last committed state.

Group commit (`write_grouped`): concurrent writers that each need a durable commit (device
pushes) share one. Each waits for the writer; the first to get it takes every job queued
meanwhile and runs each in its own savepoint of one transaction (a job that fails is rolled
back alone and gets its own error), then commits once: every job's answer leaves only after
the commit that holds it. Many small pushes then pay one fsync between them, not one each.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlite_utils

from server.errors import DataDirError, StorageFull
from server.runtime import FileLock
from server.store.schema import SchemaTooNew, migrate
from sync import durable

APPLICATION_ID = 0x43414952  # "CAIR": marks the file as a Cairn database.
# At most this many jobs share one commit, and the group stops taking jobs once they have
# written this many ops' worth (`weight`): a group must not make its first job wait long.
GROUP_MAX_JOBS = 64
GROUP_MAX_WEIGHT = 500

T = TypeVar("T")


class _Job(Generic[T]):
    """One `write_grouped` call: its work, its weight, and (once run) its outcome."""

    __slots__ = ("done", "error", "fn", "result", "weight")

    def __init__(self, fn: Callable[[sqlite3.Connection], T], weight: int) -> None:
        self.fn = fn
        self.weight = weight
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


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
        self._depth_lock = threading.Lock()
        self._in_flight = 0
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
        self._queue: list[_Job[Any]] = []
        self._queue_lock = threading.Lock()
        self.group_commit = True
        self.groups = 0  # commits made by write_grouped (for tests and benchmarks)
        # Set by the app when several worker processes share this database (server/runtime.py):
        # a lock between them around the writer, and where the queue's depth is reported.
        self.process_lock: FileLock | None = None
        self.on_depth: Callable[[int], None] | None = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: commits on success, rolls back on any error."""
        self._depth(1)
        try:
            with self._write_lock, self._between_processes():
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
        finally:
            self._depth(-1)

    def _depth(self, change: int) -> None:
        with self._depth_lock:
            self._in_flight += change
            depth = self._in_flight
        if self.on_depth is not None:
            self.on_depth(depth)

    @contextmanager
    def _between_processes(self) -> Iterator[None]:
        """Hold `process_lock` (if any) while holding the writer: the worker processes of
        one `cairn serve --workers N` then take turns in the kernel's order, where SQLite
        alone would make a waiting one poll (its busy handler sleeps 1, 2, 5, 10… ms).
        SQLite's own lock still decides; this only orders the workers."""
        lock = self.process_lock
        if lock is None:
            yield
            return
        lock.acquire()
        try:
            yield
        finally:
            lock.release()

    @property
    def writers_waiting(self) -> int:
        """Write transactions and grouped jobs running or waiting for the writer (the
        metrics' queue depth)."""
        return self._in_flight

    def write_grouped(self, fn: Callable[[sqlite3.Connection], T], weight: int = 1) -> T:
        """Run `fn(conn)` in a write transaction it may share with concurrent callers.

        Returns once the commit holding its writes is durable, with `fn`'s result, or raises
        `fn`'s own error (its writes undone, the other jobs' kept). `weight` is how much the
        job writes (ops), so a group stays short. `fn` must not commit, roll back or call
        `write` itself, and must not depend on running alone (each job sees the writes of
        the jobs before it in its group, as it would after their commits).
        """
        if not self.group_commit:
            with self.write() as conn:
                return fn(conn)
        job: _Job[T] = _Job(fn, weight)
        self._depth(1)
        try:
            with self._queue_lock:
                self._queue.append(job)
            while True:
                with self._write_lock:
                    if job.done:
                        break
                    with self._between_processes():
                        # Jobs that queued while this one waited for the other workers
                        # join its group.
                        with self._queue_lock:
                            group = _take_group(self._queue)
                        self._run_group(group)
        finally:
            self._depth(-1)
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _run_group(self, group: list[_Job[Any]]) -> None:
        """Run jobs in savepoints of one transaction and commit once (under the writer)."""
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            _fail(group, exc)
            return
        kept: list[_Job[Any]] = []
        for i, job in enumerate(group):
            conn.execute("SAVEPOINT job")
            try:
                job.result = job.fn(conn)
            except BaseException as exc:  # the job's own error, given back to its caller
                job.error = (
                    _storage_error(exc) if isinstance(exc, sqlite3.OperationalError) else exc
                )
                job.done = True
                if not conn.in_transaction:
                    # SQLite rolled back the whole transaction (a full disk can): the jobs
                    # before it are undone too; those after it wait for the next group.
                    _fail(kept, exc)
                    with self._queue_lock:
                        self._queue[:0] = group[i + 1 :]
                    return
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                continue
            conn.execute("RELEASE job")
            kept.append(job)
        try:
            conn.commit()
        except sqlite3.OperationalError as exc:
            conn.rollback()
            _fail(kept, exc)
            return
        self.groups += 1
        for job in kept:
            job.done = True

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


def _take_group(queue: list[_Job[Any]]) -> list[_Job[Any]]:
    """Take the first jobs of the queue (in arrival order) that make one group."""
    weight, n = 0, 0
    for job in queue:
        if n and (n == GROUP_MAX_JOBS or weight + job.weight > GROUP_MAX_WEIGHT):
            break
        weight += job.weight
        n += 1
    group = queue[:n]
    del queue[:n]
    return group


def _fail(jobs: list[_Job[Any]], cause: BaseException) -> None:
    """Every job's writes were undone by `cause`: each gets an error of its own."""
    for job in jobs:
        job.result = None
        job.error = _storage_error(cause) if isinstance(cause, sqlite3.OperationalError) else cause
        job.done = True


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
