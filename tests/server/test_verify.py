"""`cairn verify` passes on an honest data directory and names every kind of damage."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from server.cli import main
from server.datadir import DataDir
from server.verify import verify
from sync.client import Device
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]


def _raw(data: DataDir) -> sqlite3.Connection:
    conn = sqlite3.connect(data.path / "cairn.db", isolation_level=None)
    return conn


def test_an_honest_data_directory_verifies(
    synced: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    report = verify(synced.store, synced.keys, synced.forms)
    assert report.ok and report.batches == 3 and report.records == 2
    assert main(["verify", "--data", str(synced.path)]) == 0
    assert "OK: everything verifies" in capsys.readouterr().out


def test_an_edited_record_is_caught(synced: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    conn = _raw(synced)
    (record_id,) = conn.execute("SELECT record_id FROM records LIMIT 1").fetchone()
    conn.execute("UPDATE records SET state = X'80' WHERE record_id = ?", (record_id,))
    report = verify(synced.store, synced.keys, synced.forms)
    assert any(record_id in p and "differs" in p for p in report.problems)
    assert main(["verify", "--data", str(synced.path)]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_a_changed_raw_batch_is_caught(synced: DataDir) -> None:
    conn = _raw(synced)
    (batch_id, sealed) = conn.execute("SELECT batch_id, sealed FROM batches LIMIT 1").fetchone()
    changed = sealed[:-1] + bytes([sealed[-1] ^ 0x01])  # always a different last byte
    conn.execute("UPDATE batches SET sealed = ? WHERE batch_id = ?", (changed, batch_id))
    report = verify(synced.store, synced.keys, synced.forms)
    assert any(batch_id in p for p in report.problems)


def test_an_edited_audit_entry_is_caught(synced: DataDir) -> None:
    conn = _raw(synced)
    conn.execute("DROP TRIGGER audit_chain_append_only_update")
    conn.execute(
        'UPDATE audit_chain SET entry = replace(entry, \'"actor":"\', \'"actor":"forged \')'
        " WHERE chain = ? AND seq = 2",
        (f"project:{PROJECT}",),
    )
    report = verify(synced.store, synced.keys, synced.forms)
    assert report.problems == [
        f"audit chain project:{PROJECT} entry 2: content does not match its hash (edited?)"
    ]


def test_a_deleted_materialized_row_is_caught(synced: DataDir) -> None:
    conn = _raw(synced)
    (record_id,) = conn.execute(
        "SELECT record_id FROM identifiers WHERE name = 'grave_id' AND value = 'DSH-02-G1'"
    ).fetchone()
    conn.execute("DELETE FROM identifiers WHERE name = 'grave_id' AND value = 'DSH-02-G1'")
    report = verify(synced.store, synced.keys, synced.forms)
    assert report.problems == [
        f"identifiers {PROJECT} {record_id} grave_id dsh-02\x1f1: missing from the live table"
    ]


def test_a_record_no_op_creates_is_caught(synced: DataDir) -> None:
    conn = _raw(synced)
    conn.execute(
        "INSERT INTO records (record_id, project, form_id, form_version, identifier,"
        " review_state, retracted, conflict_count, updated_cursor, updated_at_ms, state)"
        " SELECT 'forged-record', project, form_id, form_version, identifier,"
        " review_state, retracted, conflict_count, updated_cursor, updated_at_ms, state"
        " FROM records LIMIT 1"
    )
    report = verify(synced.store, synced.keys, synced.forms)
    assert report.problems == [f"records {PROJECT} forged-record: present but no op creates it"]
    assert report.records == 3
