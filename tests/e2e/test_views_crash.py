"""SIGKILL between a push's commit and its views' commit (server/views.py).

A real `cairn serve` receipts a batch of brand-new records (its ops, raw batch, audit
entry and receipt committed; records, identifiers and points left to the view builder),
and is killed as soon as the builder's transaction holds the writer (`views.begin` in the
trace). The database on disk then holds the ops but not their views (views cursor behind
the newest op): the kill struck between the two commits. Reopening the data directory
builds them, and `cairn verify` finds the views equal to a rebuild from the ops.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec

from bench.workload import graves
from server.datadir import open_data_dir
from server.store import sync_tables as st
from server.trace import TRACE_ENV
from server.verify import verify
from sync.client import Device, uuid7
from sync.receipt import verify_receipt
from sync.sealed import seal_batch
from tests.e2e.harness import ServerProcess, prepare

RECORDS = 3_000


def _events(path: Path) -> list[str]:
    """The trace's events after the push's commit."""
    lines = path.read_text().splitlines() if path.exists() else []
    events = [line.partition(" ")[0] for line in lines]
    if "ingest.commit" not in events:
        return []
    return events[events.index("ingest.commit") + 1 :]


def test_a_kill_between_the_ops_commit_and_the_views_commit_recovers_on_open(
    tmp_path: Path, make_device: Callable[[str, ServerProcess], Device]
) -> None:
    trace = tmp_path / "trace.log"
    data = tmp_path / "server"
    prepare(data)
    server = ServerProcess(data, env={TRACE_ENV: str(trace)})
    server.start()
    device = make_device("views", server)
    keys = device.keys()
    sealed = seal_batch(
        msgspec.msgpack.encode(graves(device.device_id, 1, RECORDS)),
        device_id=device.device_id,
        batch_id=uuid7(),
        seq=1,
        device_signing_key=keys.signing_key,
        server_recipient=device.store.get_str("batch_recipient") or "",
        server_key_id=device.store.get_str("batch_key_id") or "",
    )
    server_public = device.store.get_bytes("server_signing_public") or b""
    answer = httpx.post(server.url + "/v1/device/batches", content=sealed, timeout=60)
    assert answer.status_code == 200, answer.text
    assert verify_receipt(answer.content, server_public).accepted_ops == RECORDS
    deadline = time.monotonic() + 30
    while "views.begin" not in _events(trace) and time.monotonic() < deadline:
        time.sleep(0.0002)
    server.kill()
    events = _events(trace)
    assert "views.begin" in events, "the view builder never started"
    assert "views.commit" not in events, "the kill came after the views' commit"
    with sqlite3.connect(data / "cairn.db") as raw:
        (built,) = raw.execute("SELECT value FROM meta WHERE key = 'views_cursor'").fetchone()
        (newest,) = raw.execute("SELECT MAX(cursor) FROM ops").fetchone()
        (records,) = raw.execute("SELECT COUNT(*) FROM records").fetchone()
    assert int(built) < newest and records == 0  # receipted ops, views not committed

    opened = open_data_dir(data, create=False)
    try:
        conn = opened.store.reader()
        assert (st.views_cursor(conn), st.last_op_cursor(conn)) == (newest, newest)
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == RECORDS
        assert conn.execute("SELECT COUNT(*) FROM record_rtree").fetchone()[0] == RECORDS
        report = verify(opened.store, opened.keys, opened.forms)
        assert report.ok, report.problems
    finally:
        opened.store.close()
