"""Pulls of many pages: the device's view equals the server's, also after a failed page.

A small page size (the device asks for 3 or 2 ops per page) makes every pull span many
pages, with several ops of one record in a page, a record's ops split across pages, and
records the device already holds next to records it has never seen. Last, a device home
made before pulled ops were left out of the index of ops to seal.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server import admin
from server.datadir import DataDir
from server.materialize import decode_record
from server.store import sync_tables as st
from sync import canonical, merge
from sync import client as device_client
from sync.client import Device, Unreachable
from tests.examples import GRAVE
from tests.server.conftest import BASE, PROJECT, AppTransport

MakeDevice = Callable[[str], Device]


def _server_view(data: DataDir) -> dict[str, bytes]:
    rows = data.store.reader().execute("SELECT record_id, state FROM records")
    return {rid: canonical.record_bytes(decode_record(state)) for rid, state in rows}


def _device_view(device: Device) -> dict[str, bytes]:
    return {r.id: canonical.record_bytes(r) for r in device.records()}


def _server_ops(data: DataDir) -> list[bytes]:
    return [r[0] for r in data.store.reader().execute("SELECT op FROM ops ORDER BY cursor")]


def _device_ops(device: Device) -> set[bytes]:
    return {r[0] for r in device.store.conn.execute("SELECT op FROM ops")}


def _assert_consistent(device: Device) -> None:
    """Every stored record is exactly the merge of the ops the device stored for it."""
    for record in device.records():
        blobs = device.store.record_ops(record.id)
        rebuilt = merge.materialize(device_client._OP.decode(b) for b in blobs)
        assert canonical.record_bytes(rebuilt) == canonical.record_bytes(record)


def _history(a: Device, b: Device) -> dict[str, str]:
    """Records with several ops each, edited on both devices; b has some of them already."""
    ids = {f"r{n}": a.new("site_grave", {**GRAVE, "grave_no": n}) for n in range(1, 5)}
    a.edit(ids["r1"], {"max_depth_m": 1.0})
    a.push()
    b.pull()  # b now holds r1..r4
    ids["r5"] = b.new("site_grave", {**GRAVE, "grave_no": 5})
    b.edit(ids["r1"], {"max_depth_m": 2.0})  # concurrent with a's next edit of r1
    b.push()
    a.edit(ids["r1"], {"max_depth_m": 3.0})
    a.edit(ids["r2"], {"status": "closed"})
    a.edit(ids["r2"], {"max_depth_m": 0.5})
    for n in (6, 7):
        ids[f"r{n}"] = a.new("site_grave", {**GRAVE, "grave_no": n})
        a.edit(ids[f"r{n}"], {"max_depth_m": 1.5})
        a.edit(ids[f"r{n}"], {"status": "closed"})
    a.retract(ids["r3"], "entered twice")
    a.push()
    return ids


def test_a_pull_of_many_pages_gives_the_servers_view_and_stores_every_op_as_received(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = make_device("a"), make_device("b")
    ids = _history(a, b)
    before = _device_ops(b)
    monkeypatch.setattr(device_client, "PULL_LIMIT", 3)
    pages: list[int] = []
    summary = b.pull(progress=lambda done, _total: pages.append(done))
    server_ops = _server_ops(data)
    assert summary.new_ops == len(set(server_ops) - before) > 3
    assert len(pages) == -(-summary.ops // 3) > 3 and pages == sorted(pages)
    monkeypatch.setattr(device_client, "PULL_LIMIT", 2)
    first = a.pull()  # a's first pull: its own ops come back, b's are new
    assert first.ops == len(server_ops) and first.new_ops == 2
    server = _server_view(data)
    assert set(server) == set(ids.values())
    for device in (a, b):
        assert _device_view(device) == server
        assert _device_ops(device) == set(server_ops)  # the server's bytes, unchanged
        assert device.store.get_int("cursor") == st.max_cursor(data.store.reader())
        assert device.pull().new_ops == 0
        assert _device_view(device) == server
    record = b.record(ids["r1"])
    assert record.fields["max_depth_m"].conflict  # 2.0 and 3.0 were concurrent
    assert b.record(ids["r3"]).retracted


class _PullsFailAfter(httpx.BaseTransport):
    """The test app, with the network gone after `allowed` pull requests."""

    def __init__(self, inner: httpx.BaseTransport, allowed: int) -> None:
        self.inner = inner
        self.allowed = allowed

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/device/pull":
            if self.allowed <= 0:
                raise httpx.ConnectError("network unreachable", request=request)
            self.allowed -= 1
        return self.inner.handle_request(request)


def test_a_pull_cut_off_mid_way_keeps_whole_pages_and_a_second_pull_converges(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = make_device("a"), make_device("b")
    _history(a, b)
    network = _PullsFailAfter(AppTransport(client), allowed=3)
    c = Device(tmp_path / "device-c", transport=network, sleep=lambda _s: None)
    c.enroll(BASE, admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code, label="c")
    monkeypatch.setattr(device_client, "PULL_LIMIT", 3)
    with pytest.raises(Unreachable):
        c.pull()
    server_ops = _server_ops(data)
    cursors = [r[0] for r in data.store.reader().execute("SELECT cursor FROM ops ORDER BY cursor")]
    # Three pages arrived and were stored whole, each with the cursor after it; nothing more.
    assert c.store.get_int("cursor") == cursors[8]
    assert _device_ops(c) == set(server_ops[:9])
    _assert_consistent(c)
    network.allowed = 1_000
    assert c.pull().new_ops == len(server_ops) - 9
    assert _device_view(c) == _server_view(data)
    assert _device_ops(c) == set(server_ops)
    c.close()


def test_a_page_that_cannot_be_stored_moves_neither_the_cursor_nor_any_of_its_ops(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = make_device("a"), make_device("b")
    _history(a, b)
    c = make_device("c")
    conn = data.store.reader()
    cursors = [r[0] for r in conn.execute("SELECT cursor FROM ops ORDER BY cursor")]
    order = [r[0] for r in conn.execute("SELECT record_id FROM ops ORDER BY cursor")]
    in_page_2 = order[3]
    assert in_page_2 not in order[:3]
    # A real SQLite failure while the second page's records are written.
    c.store.conn.execute(
        f"CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.record_id = '{in_page_2}'"
        " BEGIN SELECT RAISE(ABORT, 'cannot write'); END"
    )
    monkeypatch.setattr(device_client, "PULL_LIMIT", 3)
    with pytest.raises(sqlite3.IntegrityError):
        c.pull()
    server_ops = _server_ops(data)
    assert c.store.get_int("cursor") == cursors[2]
    assert _device_ops(c) == set(server_ops[:3])
    _assert_consistent(c)
    c.store.conn.execute("DROP TRIGGER refuse")
    assert c.pull().new_ops == len(server_ops) - 3
    assert _device_view(c) == _server_view(data)
    assert _device_ops(c) == set(server_ops)


def test_a_page_whose_commit_fails_moves_neither_the_cursor_nor_any_of_its_ops(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page's commit runs while the next page is decoded (in a helper thread): a real
    # SQLite failure at COMMIT itself, after every row of the page was written, must
    # leave the device as it was after the page before, and the store usable.
    a, b = make_device("a"), make_device("b")
    _history(a, b)
    c = make_device("c")
    conn = data.store.reader()
    cursors = [r[0] for r in conn.execute("SELECT cursor FROM ops ORDER BY cursor")]
    order = [r[0] for r in conn.execute("SELECT record_id FROM ops ORDER BY cursor")]
    in_page_2 = order[3]
    assert in_page_2 not in order[:3]
    # A deferred foreign key is checked at COMMIT only: writing the record succeeds,
    # committing its page fails.
    c.store.conn.executescript(
        f"""
        PRAGMA foreign_keys = ON;
        CREATE TABLE parent (y INTEGER PRIMARY KEY);
        CREATE TABLE gate (x INTEGER REFERENCES parent (y) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER refuse AFTER INSERT ON records WHEN NEW.record_id = '{in_page_2}'
        BEGIN INSERT INTO gate VALUES (1); END;
        """
    )
    monkeypatch.setattr(device_client, "PULL_LIMIT", 3)
    with pytest.raises(sqlite3.IntegrityError):
        c.pull()
    assert not c.store.conn.in_transaction
    server_ops = _server_ops(data)
    assert c.store.get_int("cursor") == cursors[2]
    assert _device_ops(c) == set(server_ops[:3])
    _assert_consistent(c)
    c.store.conn.execute("DROP TRIGGER refuse")
    assert c.pull().new_ops == len(server_ops) - 3
    assert _device_view(c) == _server_view(data)
    assert _device_ops(c) == set(server_ops)


def test_a_device_home_with_the_older_index_of_every_op_still_seals_and_pushes(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    old = make_device("old")
    record_id = old.new("site_grave", GRAVE)
    # The index before pulled ops were left out of it: every op, by (origin, batch_id).
    old.store.conn.executescript(
        "DROP INDEX ops_local_batch; CREATE INDEX ops_pending ON ops(origin, batch_id);"
    )
    old.close()
    reopened = Device(old.home, transport=AppTransport(client), sleep=lambda _s: None)
    indexes = {r[0] for r in reopened.store.conn.execute("SELECT name FROM sqlite_master")}
    assert "ops_pending" not in indexes and "ops_local_batch" in indexes
    assert reopened.store.count_ops() == {"pending": 1, "delivered": 0, "refused": 0, "pulled": 0}
    assert reopened.push().ops == 1
    assert reopened.store.count_ops() == {"pending": 0, "delivered": 1, "refused": 0, "pulled": 0}
    assert st.get_record(data.store.reader(), PROJECT, record_id) is not None
    reopened.close()
