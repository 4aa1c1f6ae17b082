"""A data directory whose stored record states are in an older layout is rebuilt on open."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from server import materialize
from server.audit import legacy
from server.audit.chain import GENESIS
from server.cli import main
from server.datadir import DataDir, open_data_dir
from server.materialize import decode_record
from server.verify import verify
from sync.client import Device

MakeDevice = Callable[[str], Device]

_ROWS = "SELECT record_id, state, updated_cursor, updated_at_ms FROM records ORDER BY record_id"


def _age_the_states(data: DataDir) -> list[tuple[object, ...]]:
    """Make the states unreadable, as an older release's layout is; return the originals."""
    conn = sqlite3.connect(data.path / "cairn.db", isolation_level=None)
    # Last-updated times from long ago, so keeping them is not a coincidence of the clock.
    conn.execute("UPDATE records SET updated_at_ms = 1000000 + rowid")
    before = conn.execute(_ROWS).fetchall()
    conn.execute("UPDATE records SET state = X'93a36f6c64a56c61796f7574c0'")
    conn.execute("DELETE FROM meta WHERE key = 'record_state_format'")
    conn.close()
    data.store.close()
    return before


@pytest.mark.parametrize("chunk", [1, 5_000])
def test_old_states_are_rebuilt_from_the_ops_on_open(
    synced: DataDir, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(materialize, "REBUILD_CHUNK", chunk)  # one record at a time, or all
    before = _age_the_states(synced)

    said: list[str] = []
    reopened = open_data_dir(synced.path, create=False, progress=said.append)
    try:
        assert reopened.rebuilt_records == 2
        assert said[0].startswith("rebuilding records from 4 ops")
        after = reopened.store.reader().execute(_ROWS).fetchall()
        assert after == before  # same states, cursors, and last-updated times
        assert all(decode_record(row[1]).fields for row in after)
        assert verify(reopened.store, reopened.keys, reopened.forms).ok
    finally:
        reopened.store.close()

    again = open_data_dir(synced.path, create=False)
    assert again.rebuilt_records is None  # once only
    again.store.close()


def test_the_cli_says_when_it_rebuilt(synced: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    _age_the_states(synced)
    assert main(["admin", "devices", "--data", str(synced.path)]) == 0
    assert "Rebuilt 2 records from their ops" in capsys.readouterr().err
    assert main(["admin", "devices", "--data", str(synced.path)]) == 0
    assert "Rebuilt" not in capsys.readouterr().err


def test_a_new_data_directory_needs_no_rebuild(data: DataDir) -> None:
    data.store.close()
    reopened = open_data_dir(data.path, create=False)
    assert reopened.rebuilt_records is None
    reopened.store.close()


def test_a_schema_1_directory_gets_folded_identifier_keys_on_open(synced: DataDir) -> None:
    """Schema 1 matched identifiers by exact text; opening migrates and rebuilds them."""
    conn = sqlite3.connect(synced.path / "cairn.db", isolation_level=None)
    rows = conn.execute("SELECT project, form_id, name, scope, value, record_id FROM identifiers")
    old_rows = rows.fetchall()
    conn.executescript(
        """
        DROP TABLE identifiers;
        CREATE TABLE identifiers (
            project TEXT NOT NULL, form_id TEXT NOT NULL, name TEXT NOT NULL,
            scope TEXT NOT NULL, value TEXT NOT NULL, record_id TEXT NOT NULL,
            PRIMARY KEY (record_id, name)
        );
        INSERT OR REPLACE INTO meta VALUES ('record_state_format', '3');
        DROP INDEX ops_project_pcursor;
        ALTER TABLE ops DROP COLUMN pcursor;
        DROP INDEX quarantine_number;
        DROP INDEX quarantine_stray;
        ALTER TABLE quarantine DROP COLUMN number;
        ALTER TABLE quarantine DROP COLUMN client;
        DROP TABLE audit_chain;
        DROP TRIGGER audit_frozen;
        DROP TABLE attachment_refs;
        DROP TABLE attachment_blobs;
        DROP TABLE attachment_uploads;
        DELETE FROM meta WHERE key = 'attachment_refs_format';
        DROP INDEX records_form_by_id;
        DROP TABLE device_seq_gaps;
        DROP TABLE record_renders;
        CREATE TABLE records_v1 (
            record_id TEXT PRIMARY KEY, project TEXT NOT NULL, form_id TEXT NOT NULL,
            form_version INTEGER NOT NULL, identifier TEXT,
            review_state TEXT NOT NULL DEFAULT 'received',
            retracted INTEGER NOT NULL DEFAULT 0, conflict_count INTEGER NOT NULL DEFAULT 0,
            updated_cursor INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, state BLOB NOT NULL
        );
        INSERT INTO records_v1 SELECT record_id, project, form_id, form_version, identifier,
            review_state, retracted, conflict_count, updated_cursor, updated_at_ms, state
            FROM records;
        DROP TABLE records;
        ALTER TABLE records_v1 RENAME TO records;
        CREATE INDEX records_project ON records(project, form_id, updated_cursor);
        CREATE INDEX records_updated ON records(project, updated_cursor);
        CREATE TABLE record_points_v1 (
            point_id INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE
        );
        INSERT INTO record_points_v1 SELECT point_id, record_id FROM record_points;
        DROP TABLE record_points;
        ALTER TABLE record_points_v1 RENAME TO record_points;
        DROP INDEX ops_record;
        CREATE INDEX ops_record ON ops(record_id);
        PRAGMA user_version = 1;
        """
    )
    conn.executemany("INSERT INTO identifiers VALUES (?, ?, ?, ?, ?, ?)", old_rows)
    # Schema 1 kept one format-1 audit log; its server.init recorded the keys.
    keys = synced.keys.public().key_ids()
    digest = legacy.entry_hash(GENESIS, 1, 1000, "server.init", "server", "i", {"keys": keys})
    conn.execute(
        "INSERT INTO audit VALUES (1, 1000, 'server.init', 'server', 'i', ?, ?, ?)",
        (legacy.canonical_json({"keys": keys}).decode(), GENESIS, digest),
    )
    conn.close()
    synced.store.close()

    reopened = open_data_dir(synced.path, create=False)
    try:
        assert reopened.rebuilt_records == 2
        keys = reopened.store.reader().execute("SELECT value, key FROM identifiers").fetchall()
        assert ("DSH-02-G1", "dsh-02\x1f1") in keys
        assert verify(reopened.store, reopened.keys, reopened.forms).ok
    finally:
        reopened.store.close()


def test_data_stored_before_the_rules_were_laws_is_rebuilt_under_them(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older release stored what the rules now refuse: the rebuild refuses it too."""
    from sync import laws

    dev = make_device("old")
    sample = dev.new("dna_sample", {"sample_id": "DSH-01-G1-B017-S1", "seal_no": "S-1"})
    with monkeypatch.context() as old:  # the release before: no rules in the merge
        old.setattr(materialize, "record_rules", lambda _forms, _ref: laws.NO_RULES)
        old.setattr(laws, "local_refusals", lambda _rules, _op: ())
        old.setattr(dev, "rules", lambda _ref: laws.NO_RULES)
        dev.edit(sample, {"seal_no": "S-2"})
        step = {"released_by": "A", "received_by": "B", "at": "2026-05-04T09:00:00Z"}
        rewrite = [{**step, "seq": 1, "purpose": "DNA", "seal_intact": False}]
        dev.edit(sample, {"custody": rewrite})
        assert dev.push().refused == []
    conn = sqlite3.connect(data.path / "cairn.db", isolation_level=None)
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'record_state_format'")
    conn.close()
    data.store.close()

    reopened = open_data_dir(data.path, create=False)
    try:
        assert reopened.rebuilt_records == 1
        row = reopened.store.reader().execute("SELECT state FROM records").fetchone()
        record = decode_record(row[0])
        assert record.fields["seal_no"].value == "S-1"
        assert "custody" not in record.fields
        assert [(r.counter, r.codes) for r in record.refused] == [
            (2, ("immutable:seal_no",)),
            (3, ("group_field:custody",)),
        ]
        assert verify(reopened.store, reopened.keys, reopened.forms).ok
    finally:
        reopened.store.close()
