"""Crash safety: SIGKILL the server at random moments during ingest, restart, converge.

Every batch a device holds a receipt for must be on the server after the restart,
`cairn verify` must pass, and the devices' retries must converge with nothing lost or
duplicated. Trials are seeded and bounded: CAIRN_CRASH_TRIALS (default 3) of them.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from server.datadir import open_data_dir
from server.verify import verify
from sync import client
from sync.client import Device
from tests.e2e.harness import ServerProcess
from tests.examples import GRAVE

TRIALS = int(os.environ.get("CAIRN_CRASH_TRIALS", "3"))
DEVICES = 3
RECORDS_PER_DEVICE = 60


def _push(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "device", "push", "--home", str(home), "--retries=1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _receipted(home: Path) -> set[str]:
    conn = sqlite3.connect(home / "device.db")
    try:
        rows = conn.execute("SELECT batch_id FROM batches WHERE receipt IS NOT NULL")
        return {r[0] for r in rows}
    finally:
        conn.close()


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_during_ingest_loses_no_receipted_batch(
    trial: int,
    monkeypatch: pytest.MonkeyPatch,
    make_server: Callable[[str], ServerProcess],
    make_device: Callable[[str, ServerProcess], Device],
) -> None:
    rng = random.Random(1000 + trial)
    monkeypatch.setattr(client, "BATCH_OPS", 10)
    server = make_server(f"crash-{trial}")
    homes = []
    for d in range(DEVICES):
        dev = make_device(f"t{trial}-d{d}", server)
        for n in range(RECORDS_PER_DEVICE):
            dev.new("site_grave", {**GRAVE, "site_code": f"C{chr(65 + d)}-{n + 10:02d}"})
        dev.seal_pending()
        homes.append(dev.home)
        dev.close()
    pushers = [_push(home) for home in homes]
    time.sleep(rng.uniform(0.0, 0.6))
    server.kill()
    for p in pushers:
        p.communicate(timeout=60)
    receipted = set().union(*(_receipted(h) for h in homes))

    server.start()
    opened = open_data_dir(server.data, create=False)
    try:
        conn = opened.store.reader()
        stored = {r[0] for r in conn.execute("SELECT batch_id FROM batches")}
        assert receipted <= stored, "a batch with a receipt is missing after the crash"
        assert verify(opened.store, opened.keys, opened.forms).problems == []
    finally:
        opened.store.close()

    for home in homes:
        dev = Device(home)
        try:
            dev.push()
            assert dev.store.pending_batches() == []
        finally:
            dev.close()
    server.stop()
    opened = open_data_dir(server.data, create=False)
    try:
        conn = opened.store.reader()
        (ops,) = conn.execute("SELECT COUNT(*) FROM ops").fetchone()
        (records,) = conn.execute("SELECT COUNT(*) FROM records").fetchone()
        assert ops == records == DEVICES * RECORDS_PER_DEVICE
        assert verify(opened.store, opened.keys, opened.forms).problems == []
    finally:
        opened.store.close()
