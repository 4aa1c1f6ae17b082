"""End to end: real `cairn serve` processes, several device homes, offline edits, sync."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from server.datadir import open_data_dir
from server.materialize import decode_record
from server.store import sync_tables as st
from server.verify import verify
from sync import canonical, client
from sync.client import Device
from sync.record import Record
from tests.e2e.harness import ServerProcess
from tests.examples import GRAVE

MakeServer = Callable[[str], ServerProcess]
MakeDevice = Callable[[str, ServerProcess], Device]
TWO_DAYS_MS = 2 * 24 * 3600 * 1000


def _server_records(data: Path) -> dict[str, Record]:
    opened = open_data_dir(data, create=False)
    try:
        return {
            row.record_id: decode_record(row.state)
            for row in st.iter_records(opened.store.reader())
        }
    finally:
        opened.store.close()


def _verify_ok(data: Path) -> None:
    opened = open_data_dir(data, create=False)
    try:
        report = verify(opened.store, opened.keys, opened.forms)
    finally:
        opened.store.close()
    assert report.problems == []


def test_offline_edits_pushed_in_either_order_converge_byte_for_byte(
    tmp_path: Path, make_server: MakeServer, make_device: MakeDevice
) -> None:
    first = make_server("one")
    a, b = make_device("a", first), make_device("b", first)
    grave = a.new("site_grave", GRAVE)
    a.push()
    b.pull()
    # A second server: an exact copy of the first before the offline edits were pushed.
    first.stop()
    shutil.copytree(first.data, tmp_path / "server-two")
    second = ServerProcess(tmp_path / "server-two")
    second.start()
    first.start()
    try:
        # Offline: both change the depth; each also changes a different field.
        a.edit(grave, {"max_depth_m": 2.4, "mni_estimate": 7})
        b.edit(grave, {"max_depth_m": 2.6, "length_m": 4.5})
        a.seal_pending()
        b.seal_pending()
        batches = {dev.device_id: dev.store.pending_batches()[0].sealed for dev in (a, b)}
        # Second server: B's batch first, then A's, sent as raw bytes.
        for device_id in (b.device_id, a.device_id):
            answer = httpx.post(second.url + "/v1/device/batches", content=batches[device_id])
            assert answer.status_code == 200
        # First server: the devices push themselves, A first.
        a.push()
        b.push()
    finally:
        second.stop()
    a.pull()
    b.pull()
    first.stop()
    one, two = _server_records(first.data), _server_records(second.data)
    assert canonical.record_bytes(one[grave]) == canonical.record_bytes(two[grave])
    depth = one[grave].fields["max_depth_m"]
    assert depth.conflict and sorted(w.value for w in depth.live) == [2.4, 2.6]
    assert one[grave].fields["mni_estimate"].value == 7
    assert one[grave].fields["length_m"].value == 4.5
    assert not one[grave].fields["mni_estimate"].conflict
    for dev in (a, b):
        assert canonical.record_bytes(dev.record(grave)) == canonical.record_bytes(one[grave])
    _verify_ok(first.data)
    _verify_ok(second.data)


def test_push_interrupted_by_a_killed_server_converges_after_restart(
    monkeypatch: pytest.MonkeyPatch, make_server: MakeServer, make_device: MakeDevice
) -> None:
    monkeypatch.setattr(client, "BATCH_OPS", 40)
    server = make_server("crash")
    dev = make_device("a", server)
    for n in range(1, 241):
        dev.new("site_grave", {**GRAVE, "site_code": f"DS-{n:03d}"})
    dev.seal_pending()
    assert len(dev.store.pending_batches()) == 6
    home = dev.home
    dev.close()
    # The field team runs `cairn device push`; the server dies under it after a receipt.
    pusher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "device",
            "push",
            "--home",
            str(home),
            "--retries",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watch = sqlite3.connect(home / "device.db")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        (receipted,) = watch.execute(
            "SELECT COUNT(*) FROM batches WHERE receipt IS NOT NULL"
        ).fetchone()
        if receipted >= 1:
            break
        time.sleep(0.002)
    server.kill()
    watch.close()
    _, err = pusher.communicate(timeout=60)
    if pusher.returncode != 0:
        assert "nothing was lost" in err
    server.start()
    dev = Device(home)
    dev.push()
    assert dev.store.pending_batches() == []
    dev.close()
    server.stop()
    records = _server_records(server.data)
    assert len(records) == 240
    opened = open_data_dir(server.data, create=False)
    try:
        conn = opened.store.reader()
        assert conn.execute("SELECT COUNT(*) FROM ops").fetchone()[0] == 240
        assert conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 6
    finally:
        opened.store.close()
    _verify_ok(server.data)


def test_a_device_clock_two_days_ahead_only_changes_display_order(
    tmp_path: Path, make_server: MakeServer, make_device: MakeDevice
) -> None:
    server = make_server("skew")
    honest = make_device("honest", server)
    ahead = Device(
        tmp_path / "home-ahead",
        time_source=lambda: client.wall_clock_ms() + TWO_DAYS_MS,
        sleep=lambda s: None,
    )
    try:
        ahead.enroll(server.url, server.enroll_code(), label="ahead")
        grave = honest.new("site_grave", GRAVE)
        honest.push()
        ahead.pull()
        ahead.edit(grave, {"max_depth_m": 1.9})
        honest.edit(grave, {"max_depth_m": 2.1})
        honest.push()
        ahead.push()
        honest.pull()
        ahead.pull()
        server.stop()
        record = _server_records(server.data)[grave]
        # Both devices hold exactly the server's record, clock flags included.
        for dev in (honest, ahead):
            assert canonical.record_bytes(dev.record(grave)) == canonical.record_bytes(record)
    finally:
        ahead.close()
    depth = record.fields["max_depth_m"]
    # Both values are kept and the conflict is shown; the clock only picked the display.
    assert depth.conflict and sorted(w.value for w in depth.live) == [1.9, 2.1]
    assert depth.value == 1.9
    from sync.conflicts import conflicts

    sides = {v.value: v for c in conflicts(record) for v in c.values}
    assert sides[1.9].suspect_clock and not sides[2.1].suspect_clock
