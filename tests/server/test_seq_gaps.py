"""A receipt's missing seqs come from each device's stored gaps, not from reading every
seq the device ever sent: the same answer, at a cost independent of the device's history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from server.store import schema
from server.store import sync_tables as st_tables
from server.store.admin import touch_device

DEVICES = ("dev-a", "dev-b")


def _db(path: Path, version: int | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    if version is None:
        schema.migrate(conn)
    else:
        for n in range(version):
            conn.executescript(
                f"BEGIN;\n{schema.MIGRATIONS[n]}\nPRAGMA user_version = {n + 1};COMMIT;"
            )
    conn.execute("INSERT INTO projects VALUES ('P1', 'one', 1)")
    for device in DEVICES:
        conn.execute(
            "INSERT INTO devices (device_id, project, signing_public, encryption_recipient,"
            " enrolled_at_ms) VALUES (?, 'P1', x'00', 'age1', 1)",
            (device,),
        )
    return conn


def _store_batch(conn: sqlite3.Connection, device: str, seq: int, n: int) -> None:
    conn.execute(
        "INSERT INTO batches (batch_id, device_id, project, seq, key_id, sealed, sealed_sha256,"
        " received_at_ms, op_count, receipt) VALUES (?, ?, 'P1', ?, 'k', x'', '', 1, 0, x'')",
        (f"{device}-{n}", device, seq),
    )


def _reference(seqs: list[int], limit: int) -> list[int]:
    """What ingest answered before: every seq below the highest that no batch holds."""
    held = set(seqs)
    return [n for n in range(1, max(held) + 1) if n not in held][:limit]


pushes = st.lists(st.tuples(st.sampled_from(DEVICES), st.integers(1, 40)), min_size=1, max_size=60)


@settings(max_examples=120, deadline=None)
@given(pushes=pushes, limit=st.integers(1, 50))
def test_missing_seqs_are_those_below_the_highest_that_no_batch_holds(
    tmp_path_factory: object, pushes: list[tuple[str, int]], limit: int
) -> None:
    path = Path(str(tmp_path_factory.mktemp("gaps"))) / "cairn.db"  # type: ignore[attr-defined]
    conn = _db(path)
    sent: dict[str, list[int]] = {d: [] for d in DEVICES}
    for n, (device, seq) in enumerate(pushes):
        missing = st_tables.note_seq(conn, device, seq, limit)
        _store_batch(conn, device, seq, n)
        touch_device(conn, device, seq, 1)
        sent[device].append(seq)
        assert missing == _reference(sent[device], limit), (device, sent[device])
    conn.close()


@settings(max_examples=60, deadline=None)
@given(pushes=pushes)
def test_an_older_database_gets_the_gaps_of_the_batches_it_holds(
    tmp_path_factory: object, pushes: list[tuple[str, int]]
) -> None:
    path = Path(str(tmp_path_factory.mktemp("upgrade"))) / "cairn.db"  # type: ignore[attr-defined]
    conn = _db(path, version=5)
    sent: dict[str, list[int]] = {d: [] for d in DEVICES}
    for n, (device, seq) in enumerate(pushes):
        _store_batch(conn, device, seq, n)
        touch_device(conn, device, seq, 1)
        sent[device].append(seq)
    schema.migrate(conn)
    for device in DEVICES:
        if not sent[device]:
            continue
        # The next push after the upgrade answers as if the gaps had been kept all along.
        top = max(sent[device]) + 1
        missing = st_tables.note_seq(conn, device, top, 1000)
        assert missing == _reference([*sent[device], top], 1000)
    conn.close()


def test_the_stored_gaps_stay_as_small_as_the_holes_not_the_history(tmp_path: Path) -> None:
    conn = _db(tmp_path / "cairn.db")
    for seq in (*range(1, 17), *range(18, 3001)):
        st_tables.note_seq(conn, "dev-a", seq, 10)
        touch_device(conn, "dev-a", seq, 1)
    gaps = conn.execute("SELECT lo, hi FROM device_seq_gaps WHERE device_id = 'dev-a'").fetchall()
    assert gaps == [(17, 17)]
    assert st_tables.note_seq(conn, "dev-a", 3005, 10) == [17, 3001, 3002, 3003, 3004]
    touch_device(conn, "dev-a", 3005, 1)
    assert st_tables.note_seq(conn, "dev-a", 17, 10) == [3001, 3002, 3003, 3004]
    gaps = conn.execute("SELECT lo, hi FROM device_seq_gaps WHERE device_id = 'dev-a'").fetchall()
    assert gaps == [(3001, 3004)]
    conn.close()
