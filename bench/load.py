"""Many devices pushing at once to a real `cairn serve` on 127.0.0.1: latency, errors, losses.

Run: ``uv run python bench/load.py [--devices 200] [--ops 25]``.

- Setup (not timed): enroll N devices over HTTP, and seal one batch of `--ops` new graves
  for each (sealing is client-side CPU, so it happens before the clock starts).
- baseline (same run): one more device pushes the same number of equal batches one after
  another on one connection: the uncontended latency and the serial throughput.
- load: N threads, each with its own connection, released together by a barrier, push
  their batch once (no retries: any failure counts as an error). Latency is from request
  to verified signed receipt.
- Afterwards the server's op log is counted per device: ops lost = sealed - stored.

Prints p50/p99 latency, errors (must be 0), ops lost (must be 0), and throughput under
load as a ratio to the serial baseline. DESIGN.md target: 200 devices, p99 under 2 s.
`run_load` is also what tests/e2e/test_load_concurrent_push.py runs at a small size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workload import graves
from server import admin
from server.datadir import open_data_dir
from sync import wire
from sync.client import uuid7
from sync.keys import DeviceKeys
from sync.receipt import verify_receipt
from sync.sealed import seal_batch
from tests.e2e.harness import PROJECT, ServerProcess, prepare

_ENC = msgspec.msgpack.Encoder()


@dataclass
class Sealed:
    """One device's pre-sealed batch and what it holds."""

    device_id: str
    batch_id: str
    ops: int
    sealed: bytes


@dataclass
class LoadResult:
    """What a load run measured."""

    devices: int
    ops_per_device: int
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ops_lost: int = 0
    wall_s: float = 0.0
    baseline_latencies_s: list[float] = field(default_factory=list)

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        """The q-th percentile (0-100) of the latencies, nearest rank."""
        ordered = sorted(self.latencies_s if values is None else values)
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]

    @property
    def throughput(self) -> float:
        """Ops stored per second under load."""
        return self.devices * self.ops_per_device / self.wall_s

    @property
    def baseline_throughput(self) -> float:
        """Ops stored per second by one device pushing the batches serially."""
        return self.ops_per_device / statistics.median(self.baseline_latencies_s)


def _ops(actor: str, first_counter: int, first_code: int, n: int) -> bytes:
    return _ENC.encode(graves(actor, first_counter, n, first_code))


def enroll_and_seal(
    server: ServerProcess, devices: int, ops: int, batches: int = 1, code_base: int = 0
) -> list[Sealed]:
    """Enroll `devices` devices and seal `batches` batches of `ops` graves for each."""
    opened = open_data_dir(server.data, create=False)
    try:
        codes = [
            admin.issue_enroll_code(opened.store, PROJECT, 3600, "load").code
            for _ in range(devices)
        ]
    finally:
        opened.store.close()
    out: list[Sealed] = []
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for d, code in enumerate(codes):
            keys = DeviceKeys.generate()
            public = keys.public()
            request = wire.EnrollRequest(
                code=code,
                signing_public=public.signing_public,
                encryption_recipient=public.encryption_recipient,
                label=f"load-{d}",
            )
            answer = http.post("/v1/device/enroll", content=wire.encode(request))
            answer.raise_for_status()
            enrolled = wire.ENROLL_RESPONSE.decode(answer.content)
            for b in range(batches):
                batch_id = uuid7()
                body = _ops(
                    enrolled.device_id, 1 + b * ops, code_base + (d * batches + b) * ops, ops
                )
                sealed = seal_batch(
                    body,
                    device_id=enrolled.device_id,
                    batch_id=batch_id,
                    seq=b + 1,
                    device_signing_key=keys.signing_key,
                    server_recipient=enrolled.batch_recipient,
                    server_key_id=enrolled.batch_key_id,
                )
                out.append(Sealed(enrolled.device_id, batch_id, ops, sealed))
    return out


def _push(
    url: str, batch: Sealed, server_public: bytes, start: threading.Barrier | None
) -> tuple[float, str | None]:
    with httpx.Client(base_url=url, timeout=120) as http:
        if start is not None:
            start.wait()
        began = time.perf_counter()
        try:
            answer = http.post("/v1/device/batches", content=batch.sealed)
        except httpx.HTTPError as exc:
            return time.perf_counter() - began, f"{batch.device_id}: {exc!r}"
        elapsed = time.perf_counter() - began
    if answer.status_code != 200:
        return elapsed, f"{batch.device_id}: HTTP {answer.status_code} {answer.text[:200]}"
    receipt = verify_receipt(answer.content, server_public)
    if receipt.batch_id != batch.batch_id or receipt.accepted_ops != batch.ops:
        return (
            elapsed,
            f"{batch.device_id}: receipt {receipt.batch_id} accepted {receipt.accepted_ops}",
        )
    return elapsed, None


def stored_ops(server: ServerProcess) -> dict[str, int]:
    """Ops in the server's log, per device."""
    opened = open_data_dir(server.data, create=False)
    try:
        rows = opened.store.reader().execute("SELECT actor, COUNT(*) FROM ops GROUP BY actor")
        return {actor: count for actor, count in rows}
    finally:
        opened.store.close()


def run_load(
    server: ServerProcess, devices: int, ops: int, baseline_batches: int = 10
) -> LoadResult:
    """Enroll, seal, push a serial baseline, then push every device's batch at once."""
    batches = enroll_and_seal(server, devices, ops)
    baseline = enroll_and_seal(server, 1, ops, baseline_batches, code_base=devices * ops)
    server_public = _server_public(server)
    result = LoadResult(devices=devices, ops_per_device=ops)
    for batch in baseline:
        elapsed, error = _push(server.url, batch, server_public, None)
        result.baseline_latencies_s.append(elapsed)
        if error:
            result.errors.append("baseline " + error)
    start = threading.Barrier(devices + 1)
    with ThreadPoolExecutor(max_workers=devices) as pool:
        futures = [pool.submit(_push, server.url, b, server_public, start) for b in batches]
        start.wait()
        began = time.perf_counter()
        outcomes = [f.result(timeout=300) for f in futures]
        result.wall_s = time.perf_counter() - began
    for elapsed, error in outcomes:
        result.latencies_s.append(elapsed)
        if error:
            result.errors.append(error)
    stored = stored_ops(server)
    result.ops_lost = sum(max(0, b.ops - stored.get(b.device_id, 0)) for b in batches)
    return result


def _server_public(server: ServerProcess) -> bytes:
    opened = open_data_dir(server.data, create=False)
    try:
        return opened.keys.public().signing_public
    finally:
        opened.store.close()


def report(result: LoadResult) -> list[str]:
    """The figures, one per line; the ratio last."""
    base = statistics.median(result.baseline_latencies_s)
    return [
        f"devices: {result.devices} pushing at once, {result.ops_per_device} ops each",
        f"baseline (one device, serial): {base * 1000:.0f} ms per batch, "
        f"{result.baseline_throughput:,.0f} ops/s",
        f"latency under load: p50 {result.percentile(50) * 1000:.0f} ms, "
        f"p99 {result.percentile(99) * 1000:.0f} ms, max {max(result.latencies_s) * 1000:.0f} ms "
        "(target p99 < 2000 ms)",
        f"errors: {len(result.errors)}   ops lost: {result.ops_lost}",
        f"throughput under load: {result.throughput:,.0f} ops/s in {result.wall_s:.2f} s",
        f"ratio load/serial throughput: {result.throughput / result.baseline_throughput:.2f}",
    ]


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--ops", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        prepare(data)
        server = ServerProcess(data)
        server.start()
        try:
            result = run_load(server, args.devices, args.ops)
        finally:
            server.stop()
    for line in report(result):
        print(line)
    for error in result.errors[:10]:
        print("  error:", error)


if __name__ == "__main__":
    main()
