"""Load: devices pushing at once to a real `cairn serve` lose nothing and all get receipts.

A small version of bench/load.py (CAIRN_LOAD_DEVICES, default 20; the benchmark runs 200):
every device's pre-sealed batch is released at the same moment, each on its own
connection, with no retries. Every push must get a verified receipt accepting all its
ops, the op log must hold every op, `cairn verify` must pass, and even here the p99
latency must stay under the 2 s the design promises for 200 devices.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from bench.load import run_load
from server.datadir import open_data_dir
from server.verify import verify
from tests.e2e.harness import ServerProcess

DEVICES = int(os.environ.get("CAIRN_LOAD_DEVICES", "20"))
OPS = 10


def test_devices_pushing_at_once_get_receipts_and_lose_no_op(
    make_server: Callable[[str], ServerProcess],
) -> None:
    server = make_server("load")
    result = run_load(server, DEVICES, OPS, baseline_batches=3)
    assert result.errors == []
    assert result.ops_lost == 0
    assert len(result.latencies_s) == DEVICES
    assert result.percentile(99) < 2.0
    server.stop()
    opened = open_data_dir(server.data, create=False)
    try:
        (ops,) = opened.store.reader().execute("SELECT COUNT(*) FROM ops").fetchone()
        assert ops == (DEVICES + 3) * OPS
        assert verify(opened.store, opened.keys, opened.forms).problems == []
    finally:
        opened.store.close()
