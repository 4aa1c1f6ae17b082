"""Group commit: concurrent writers share one durable commit, each keeps its own outcome.

A real SQLite file throughout. The writer is held while jobs queue, so the test knows a
group formed; every job's caller returns only once its rows are committed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.errors import StorageFull
from server.store import GROUP_MAX_JOBS, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "cairn.db")
    with opened.write() as conn:
        conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, who TEXT NOT NULL)")
    yield opened
    opened.close()


def _insert(n: int, fail: bool = False):  # type: ignore[no-untyped-def]
    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?, ?)", (n, f"job {n}"))
        if fail:
            raise ValueError(f"job {n} refused")
        return n

    return job


def _rows(store: Store) -> list[int]:
    fresh = sqlite3.connect(store.path)  # a new connection sees only what is committed
    try:
        return [r[0] for r in fresh.execute("SELECT n FROM t ORDER BY n")]
    finally:
        fresh.close()


def _run_while_writer_held(
    store: Store, jobs: list[object], hold: threading.Event | None = None
) -> list[object]:
    """Queue every job while the writer is busy, release it, return each outcome."""
    outcomes: list[object] = [None] * len(jobs)
    queued = threading.Barrier(len(jobs) + 1)

    def call(i: int) -> None:
        queued.wait()
        try:
            outcomes[i] = store.write_grouped(jobs[i])  # type: ignore[arg-type]
        except Exception as exc:  # the test inspects it
            outcomes[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(jobs))]
    with store.write():
        for t in threads:
            t.start()
        queued.wait()
        # Every job queued (with group commit off, none queues: the wait is bounded).
        give_up = time.monotonic() + 2
        while len(store._queue) < len(jobs) and time.monotonic() < give_up:
            time.sleep(0.001)
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_concurrent_jobs_share_one_commit_and_each_gets_its_result(store: Store) -> None:
    before = store.groups
    outcomes = _run_while_writer_held(store, [_insert(n) for n in range(10)])
    assert outcomes == list(range(10))
    assert store.groups - before == 1  # ten writers, one durable commit
    assert _rows(store) == list(range(10))


def test_a_failing_job_is_undone_alone_and_gets_its_own_error(store: Store) -> None:
    jobs = [_insert(1), _insert(2, fail=True), _insert(3)]
    outcomes = _run_while_writer_held(store, jobs)  # type: ignore[arg-type]
    assert outcomes[0] == 1 and outcomes[2] == 3
    assert isinstance(outcomes[1], ValueError) and "job 2 refused" in str(outcomes[1])
    assert _rows(store) == [1, 3]


def test_a_group_is_capped_so_no_job_waits_behind_too_many(store: Store) -> None:
    before = store.groups
    outcomes = _run_while_writer_held(store, [_insert(n) for n in range(GROUP_MAX_JOBS + 5)])
    assert outcomes == list(range(GROUP_MAX_JOBS + 5))
    assert store.groups - before == 2


def test_the_caller_returns_only_after_its_rows_are_committed(store: Store) -> None:
    assert store.write_grouped(_insert(7)) == 7
    assert _rows(store) == [7]  # visible to another connection at once: committed


def test_a_commit_that_cannot_be_made_fails_every_job_of_the_group(store: Store) -> None:
    with store.write() as conn:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}")
    big = "x" * 200_000  # needs pages the capped file cannot have

    def grow(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1, ?)", (big,))

    with pytest.raises(StorageFull, match="nothing from this request was stored"):
        store.write_grouped(grow)
    assert _rows(store) == []
    with store.write() as conn:
        conn.execute("PRAGMA max_page_count = 4294967294")
    assert store.write_grouped(_insert(2)) == 2  # the writer is sound afterwards


def test_with_group_commit_off_each_job_commits_on_its_own(store: Store) -> None:
    store.group_commit = False
    before = store.groups
    outcomes = _run_while_writer_held(store, [_insert(n) for n in range(4)])
    assert outcomes == [0, 1, 2, 3] and store.groups == before
    assert _rows(store) == [0, 1, 2, 3]
