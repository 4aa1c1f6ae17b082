"""Crash safety: SIGKILL the server during ingest, restart, converge.

Every batch a device holds a receipt for must be on the server after the restart,
`cairn verify` must pass, and the devices' retries must converge with nothing lost or
duplicated. Trials are seeded and bounded: CAIRN_CRASH_TRIALS (default 3) of them.

Each trial proves where its kill struck: the server writes a trace line when a batch's
write transaction begins and when it has committed (`server/trace.py`); the test kills
as soon as the k-th transaction (k drawn per trial) has begun, then reads the trace. A
batch begun with no commit line is in the transaction the kill cut (concurrent pushes
share one group commit, so it may hold a batch of each device): no device may hold a
receipt for it (a receipt is sent only after the commit line), and after the restart it
is absent, or whole if the kill fell between its commit and the line. The trials that cut
a transaction are counted, and at least one of a full run must.
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
from server.trace import TRACE_ENV
from server.verify import verify
from sync import client
from sync.client import Device
from tests.e2e.harness import ServerProcess, prepare
from tests.examples import GRAVE

TRIALS = int(os.environ.get("CAIRN_CRASH_TRIALS", "3"))
DEVICES = 3
RECORDS_PER_DEVICE = 60
# trial -> whether its kill cut an ingest transaction (filled as the trials run).
STRUCK_INSIDE: dict[int, bool] = {}
# trial -> whether the cut transaction was rolled back (False: it had just committed).
ROLLED_BACK: dict[int, bool] = {}


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


def _trace(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [
        (event, subject)
        for event, _, subject in (line.partition(" ") for line in path.read_text().splitlines())
    ]


def _begun(path: Path) -> int:
    return sum(1 for event, _ in _trace(path) if event == "ingest.begin")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_during_ingest_loses_no_receipted_batch(
    trial: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    make_device: Callable[[str, ServerProcess], Device],
) -> None:
    rng = random.Random(1000 + trial)
    monkeypatch.setattr(client, "BATCH_OPS", 10)
    trace = tmp_path / "trace.log"
    data = tmp_path / f"server-crash-{trial}"
    prepare(data)
    server = ServerProcess(data, env={TRACE_ENV: str(trace)})
    server.start()
    homes = []
    for d in range(DEVICES):
        dev = make_device(f"t{trial}-d{d}", server)
        for n in range(RECORDS_PER_DEVICE):
            dev.new("site_grave", {**GRAVE, "site_code": f"C{chr(65 + d)}-{n + 10:02d}"})
        dev.seal_pending()
        homes.append(dev.home)
        dev.close()
    pushers = [_push(home) for home in homes]
    strike_at = rng.randint(1, DEVICES * RECORDS_PER_DEVICE // 10)
    deadline = time.monotonic() + 60
    while _begun(trace) < strike_at and time.monotonic() < deadline:
        time.sleep(0.0002)
    server.kill()
    events = _trace(trace)
    begun = [s for e, s in events if e == "ingest.begin"]
    committed = {s for e, s in events if e == "ingest.commit"}
    replayed = {s for e, s in events if e == "ingest.replay"}
    assert len(begun) >= strike_at, "the pushes never reached the server's ingest"
    cut = set(begun) - committed - replayed
    # One writer: only the batches of one group commit can be open at once, and each
    # device sends one batch at a time.
    assert len(cut) <= DEVICES, ("at most one group can be open", events)
    STRUCK_INSIDE[trial] = bool(cut)
    for p in pushers:
        p.communicate(timeout=60)
    receipted = set().union(*(_receipted(h) for h in homes))
    assert not cut & receipted, "a receipt for a batch whose transaction never committed"

    server.start()
    opened = open_data_dir(server.data, create=False)
    try:
        conn = opened.store.reader()
        stored = {r[0] for r in conn.execute("SELECT batch_id FROM batches")}
        assert receipted <= stored, "a batch with a receipt is missing after the crash"
        assert committed <= stored, "a committed batch is missing after the crash"
        # The cut batch is absent (rolled back) or, if the kill fell between its commit and
        # the trace line after it, whole: verify below rebuilds it from its ops.
        ROLLED_BACK[trial] = bool(cut - stored)
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


def test_the_kills_cut_ingest_transactions() -> None:
    if len(STRUCK_INSIDE) < TRIALS:
        pytest.skip("runs after every crash trial has run")
    inside = sum(STRUCK_INSIDE.values())
    rolled = sum(ROLLED_BACK.get(t, False) for t, hit in STRUCK_INSIDE.items() if hit)
    print(f"{inside} of {TRIALS} kills cut an ingest transaction ({rolled} rolled back)")
    assert inside >= 1, f"none of {TRIALS} kills landed inside an ingest transaction"
