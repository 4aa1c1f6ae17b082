"""First sync of a new device: pull 100,000 records, against the floor's read rate.

Run: ``uv run python bench/pull.py [--records 100000]``.

- Setup (not timed): a project of `--records` graves, ingested in batches of 10,000 through
  the server's own push pipeline (in-process), then a real `cairn serve` on 127.0.0.1.
- floor (same run): in one process, read the same ops from the SQLite file in cursor order
  and decode each with the typed msgspec decoder — the least any first sync must do
  (DESIGN.md "Targets": pull within 2x of the floor's read rate).
- wire: a fresh enrolled device asks for every page over HTTP (signed pull requests), and
  for each sealed page verifies the server's signature, decrypts, and decodes the ops:
  everything the network part of a first sync does.
- honest device floor (issue 22): the wire part plus, per page, what any device keeping
  Cairn's promises must store: the ops under their unique (actor, counter) key and one
  record row each, in one durable commit (synchronous=FULL) — on the device, with no
  rules, clock or settings. The record row holds bytes as received (what a device storing
  the server's consolidated states would write); a second line merges each op into a
  record and encodes it instead (what a device that merges for itself cannot avoid).
- first sync: `Device.pull()` end to end — the wire part plus merging every op into the
  device's own offline store (one consolidated record per grave, written to its SQLite).

Prints records/s for each and the ratios, median against median of the alternating runs
(targets: first sync >= 0.8 of the honest device floor, issue 22; >= 0.5 of the server
read floor, DESIGN.md).
``--link-ms N`` makes the first sync's link slower: the device's transport waits N ms after
each pull answer (a page's transfer time on a slower network than loopback).
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import enroll_and_seal
from server import ingest
from server.config import load_config
from server.context import ServerContext
from server.datadir import open_data_dir
from server.materialize import encode_record
from sync import merge, wire
from sync.client import Device
from sync.ops import Op
from sync.sealed import open_pull
from tests.e2e.harness import PROJECT, ServerProcess, prepare

_OP = msgspec.msgpack.Decoder(Op)  # type: ignore[arg-type]
BATCH = 10_000


def seed(server: ServerProcess, records: int) -> None:
    """Fill the project with `records` graves (server stopped; in-process ingest)."""
    batches = enroll_and_seal_offline(server, records)
    opened = open_data_dir(server.data, create=False)
    try:
        ctx = ServerContext(
            config=load_config(server.data),
            store=opened.store,
            keys=opened.keys,
            forms=opened.forms,
        )
        for sealed in batches:
            ingest.push(ctx, sealed)
    finally:
        opened.store.close()


def enroll_and_seal_offline(server: ServerProcess, records: int) -> list[bytes]:
    """Seal the seed batches (enrolling their devices needs the server up)."""
    server.start()
    try:
        per_device = BATCH
        devices = max(1, records // per_device)
        return [b.sealed for b in enroll_and_seal(server, devices, min(records, per_device))]
    finally:
        server.stop()


class SlowLink(httpx.HTTPTransport):
    """Loopback plus a fixed wait after each pull answer, as on a slower network."""

    def __init__(self, wait_s: float) -> None:
        super().__init__()
        self.wait_s = wait_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path == "/v1/device/pull":
            time.sleep(self.wait_s)
        return response


def floor(data: Path) -> float:
    """Seconds to read and typed-decode every op of the project, in cursor order."""
    conn = sqlite3.connect(data / "cairn.db")
    try:
        start = time.perf_counter()
        rows = conn.execute("SELECT op FROM ops WHERE project = ? ORDER BY cursor", (PROJECT,))
        count = sum(1 for (blob,) in rows if _OP.decode(blob) is not None)
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    assert count > 0
    return elapsed


_DEVICE_SCHEMA = """
CREATE TABLE ops (actor TEXT NOT NULL, counter INTEGER NOT NULL, record_id TEXT NOT NULL,
    op BLOB NOT NULL, PRIMARY KEY (actor, counter));
CREATE TABLE records (record_id TEXT PRIMARY KEY, form TEXT NOT NULL, state BLOB NOT NULL);
"""


def wire_pull(device: Device, store: Path | None = None, merged: bool = False) -> tuple[float, int]:
    """Seconds and op count to fetch, verify, decrypt and decode every page over HTTP; with
    `store`, also write each page's ops and one record row each there (the honest floor)."""
    conn = None
    if store is not None:
        conn = sqlite3.connect(store, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.executescript(_DEVICE_SCHEMA)
    keys = device.keys()
    server_public = device.store.get_bytes("server_signing_public") or b""
    url = device.store.get_str("server_url") or ""
    cursor = total = 0
    start = time.perf_counter()
    with httpx.Client(base_url=url, timeout=300) as http:
        while True:
            request = wire.PullRequest(device_id=device.device_id, cursor=cursor, limit=5_000)
            answer = http.post(
                "/v1/device/pull", content=wire.encode(request.sign(keys.signing_key))
            )
            answer.raise_for_status()
            opened = open_pull(
                answer.content,
                identities=[keys.encryption],
                server_public=server_public,
                device_id=device.device_id,
            )
            page = wire.PULL_PAGE.decode(opened.payload)
            decoded = [_OP.decode(raw) for raw in page.ops]
            total += len(decoded)
            if conn is not None:
                rows = [
                    (op.dot.actor, op.dot.counter, op.record_id, bytes(raw))
                    for op, raw in zip(decoded, page.ops, strict=True)
                ]
                states = [
                    (
                        op.record_id,
                        op.form,
                        encode_record(merge.apply(None, op)) if merged else blob,
                    )
                    for op, (*_, blob) in zip(decoded, rows, strict=True)
                ]
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO ops VALUES (?, ?, ?, ?)", rows)
                conn.executemany("INSERT INTO records VALUES (?, ?, ?)", states)
                conn.execute("COMMIT")
            cursor = page.cursor
            if not page.more:
                break
    elapsed = time.perf_counter() - start
    if conn is not None:
        conn.close()
    return elapsed, total


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--link-ms", type=float, default=0.0, help="wait per pulled page")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        prepare(data)
        server = ServerProcess(data)
        seed(server, args.records)
        gc.collect()
        floors = [floor(data) for _ in range(3)]
        server.start()
        try:
            link = SlowLink(args.link_ms / 1000) if args.link_ms else None
            wires, honests, merges, syncs = [], [], [], []
            for run in range(args.runs):  # alternate, so a noisy neighbour hits each alike
                device = Device(Path(tmp) / f"device-{run}", transport=link)
                device.enroll(server.url, server.enroll_code(), label=f"bench-{run}")
                wire_s, wire_ops = wire_pull(device)
                honest_s, _ = wire_pull(device, Path(tmp) / f"honest-{run}.db")
                merged_s, _ = wire_pull(device, Path(tmp) / f"merged-{run}.db", merged=True)
                merges.append(merged_s)
                start = time.perf_counter()
                summary = device.pull()
                syncs.append(time.perf_counter() - start)
                wires.append(wire_s)
                honests.append(honest_s)
                records = len(device.records())
                device.close()
        finally:
            server.stop()
    n = summary.ops
    assert n == wire_ops and records == n, (n, wire_ops, records)
    floor_rate = n / statistics.median(floors)
    wire_rate = n / statistics.median(wires)
    honest_rate = n / statistics.median(honests)
    merged_rate = n / statistics.median(merges)
    sync_rate = n / statistics.median(syncs)
    link_note = f", {args.link_ms:g} ms of link time per page" if args.link_ms else ""
    print(f"records: {n:,} (one op each), pages of 5,000{link_note}")
    print(f"floor (SQLite read + typed decode, one process): {floor_rate:,.0f} records/s")
    print(f"wire pull (HTTP + verify + decrypt + decode):    {wire_rate:,.0f} records/s")
    print(f"first sync (Device.pull: wire + merge + store):  {sync_rate:,.0f} records/s")
    print(
        f"honest device floor (wire + keyed ops + record rows, durable commit per page): "
        f"{honest_rate:,.0f} records/s"
    )
    print(f"honest floor, merging each op itself: {merged_rate:,.0f} records/s")
    print(f"ratio wire/floor: {wire_rate / floor_rate:.2f}")
    print(f"ratio first-sync/merging device floor: {sync_rate / merged_rate:.2f}")
    print(f"ratio first-sync/honest device floor: {sync_rate / honest_rate:.2f}  (target >= 0.80)")
    print(f"ratio first-sync/floor: {sync_rate / floor_rate:.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
