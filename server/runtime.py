"""What the worker processes of one `cairn serve --workers N` share besides the database.

Several server processes on one data directory each hold their own memory, so nothing that
must agree between requests may live only there. The database is shared by SQLite's own
locking; the rest lives in a runtime directory the supervising `cairn serve` makes before it
starts the workers and removes when it stops (a restart begins afresh, as one process's
memory did):

    cairn-serve-XXXX/        (mode 0700, in the system's temporary directory)
      state.db               failed-token lockout and console sessions (SQLite, WAL)
      metrics/               Prometheus counters, one file per worker (multiprocess mode)
      locks/                 one lock file per attachment upload in progress (fcntl)
      writer.lock            the workers take turns at the database's writer (fcntl)

Nothing in it is evidence or a secret: sessions are kept as the SHA-256 of their cookie,
as in memory. With one worker (the default) there is no runtime directory and this state
stays in the process's memory.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STATE_DB = "state.db"
METRICS = "metrics"
LOCKS = "locks"
WRITER_LOCK = "writer.lock"
# The one view builder's wake-up socket (server.views.ViewBuilder, run by the supervisor).
VIEWS_WAKE = "views.sock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS auth_failures (
    client TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_failures_client ON auth_failures (client, at);
CREATE INDEX IF NOT EXISTS auth_failures_at ON auth_failures (at);
CREATE TABLE IF NOT EXISTS web_sessions (
    digest TEXT PRIMARY KEY,
    token_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS web_sessions_expiry ON web_sessions (expires_at);
"""


def create() -> Path:
    """A new runtime directory with its state database and subdirectories made."""
    root = Path(tempfile.mkdtemp(prefix="cairn-serve-"))
    (root / METRICS).mkdir(mode=0o700)
    (root / LOCKS).mkdir(mode=0o700)
    conn = sqlite3.connect(root / STATE_DB, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_SCHEMA)
    finally:
        conn.close()
    os.chmod(root / STATE_DB, 0o600)
    return root


def remove(root: Path) -> None:
    """Remove a runtime directory (once every worker has stopped)."""
    shutil.rmtree(root, ignore_errors=True)


class SharedState:
    """The runtime directory's state database: one connection per thread.

    Writes are `BEGIN IMMEDIATE` transactions (SQLite serialises them across processes);
    `synchronous=OFF`: this state is lost with a restart anyway, so it needs no fsync."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / STATE_DB
        self._local = threading.local()

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA synchronous = OFF")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on success and rolled back on any error."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


class FileLock:
    """An exclusive lock between processes on one file (fcntl.flock), held open. Not a
    lock between threads: callers hold a thread lock around it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Block until this process holds the lock (the GIL is released meanwhile)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        """Let the other processes have it."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


@contextmanager
def locked_file(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (made if missing) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock
