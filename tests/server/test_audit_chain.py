"""The audit log is a hash chain: any edit, removal or reordering is detected."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import msgspec
import pytest

from server.audit import GENESIS, verify_chain
from server.store import Store, audit_log


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "cairn.db")
    yield s
    s.close()


def _fill(store: Store, n: int) -> None:
    with store.write() as conn:
        for i in range(n):
            audit_log.append(
                conn, at_ms=1000 + i, kind="test", actor="tester", subject=f"s{i}", data={"i": i}
            )


def test_chain_of_appended_entries_verifies(store: Store) -> None:
    _fill(store, 5)
    entries = list(audit_log.entries(store.reader()))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert verify_chain(entries) == []
    assert audit_log.head(store.reader()) == (5, entries[-1].hash)


def test_edited_entry_is_detected(store: Store) -> None:
    _fill(store, 4)
    entries = list(audit_log.entries(store.reader()))
    forged = msgspec.structs.replace(entries[1], data={"i": 99})
    problems = verify_chain([entries[0], forged, *entries[2:]])
    assert [p.seq for p in problems] == [2]


def test_removed_or_reordered_entries_are_detected(store: Store) -> None:
    _fill(store, 4)
    entries = list(audit_log.entries(store.reader()))
    assert verify_chain([entries[0], *entries[2:]]) != []
    assert verify_chain([entries[1], entries[0], *entries[2:]]) != []


def test_database_refuses_to_update_or_delete_audit_entries(store: Store) -> None:
    _fill(store, 2)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as conn:
        conn.execute("UPDATE audit SET subject = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    assert verify_chain(audit_log.entries(store.reader())) == []
