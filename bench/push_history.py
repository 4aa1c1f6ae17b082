"""A one-record push from a device with 1, 10,000 and 100,000 earlier batches, same run.

Run: ``uv run python bench/push_history.py [--rounds 30]``.

Each device's earlier batches are stored rows (written directly, one SQL insert each, so
that setup takes seconds rather than a day of pushes); then each device pushes one-record
batches through `server.ingest.push` (verify, decrypt, validate, merge, store, durable
commit, signed receipt), alternating devices, and the median push time of each is printed
with its ratio to the device with one earlier batch. Target (issue 22): within 1.2x.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.export import _ENC, Builder, _ops
from server import ingest
from sync.client import uuid7
from sync.sealed import seal_batch

HISTORIES = (1, 10_000, 100_000)


def main() -> None:
    """Give devices histories, then time their pushes alternately."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        builders = []
        for n, history in enumerate(HISTORIES):
            builder = Builder(Path(tmp) / f"b{n}")
            with builder.data.store.write() as conn:
                conn.executemany(
                    "INSERT INTO batches (batch_id, device_id, project, seq, key_id, sealed,"
                    " sealed_sha256, received_at_ms, op_count, receipt)"
                    " VALUES (?, ?, 'BENCH-01', ?, 'k', x'', '', 1, 0, x'')",
                    ((uuid7(), builder.device_id, seq) for seq in range(1, history + 1)),
                )
                conn.execute(
                    "UPDATE devices SET last_seq = ? WHERE device_id = ?",
                    (history, builder.device_id),
                )
            builder.seq = history
            builders.append(builder)
        times: dict[int, list[float]] = {h: [] for h in HISTORIES}
        for _ in range(args.rounds):
            for history, builder in zip(HISTORIES, builders, strict=True):
                builder.seq += 1
                batch = _ops(builder.device_id, builder.ops + 1, builder.ops // 4, 1)[:1]
                sealed = seal_batch(
                    _ENC.encode(batch),
                    device_id=builder.device_id,
                    batch_id=uuid7(),
                    seq=builder.seq,
                    device_signing_key=builder.signing,
                    server_recipient=builder.recipient,
                    server_key_id=builder.key_id,
                )
                start = time.perf_counter()
                ingest.push(builder.ctx, sealed)
                times[history].append(time.perf_counter() - start)
                builder.ops += 4
        base = statistics.median(times[1])
        for history in HISTORIES:
            med = statistics.median(times[history])
            print(
                f"{history:>7,} earlier batches: push {med * 1000:6.2f} ms"
                f"  ratio to 1 batch {med / base:4.2f}  (target <= 1.20)"
            )


if __name__ == "__main__":
    main()
