"""Many devices pushing batch after batch to a real `cairn serve`: group commit on and off.

Run: ``uv run python bench/group_commit.py [--seconds-per-shape 6] [--runs 3]``.

For each shape (records per batch x devices), every device is enrolled and its batches are
sealed before the clock starts (sealing is the device's CPU). Then each device, on its own
thread and connection, pushes its batches one after another (the next only after the
receipt of the last, as `cairn device push` does), all devices released together. Every
receipt is verified after the clock stops, and the server's op log is counted: nothing
may be lost. The same shape runs against a server with `--no-group-commit` (every push
its own durable commit: the design before group commit) in the same run, alternating, and
the figures are medians of `--runs` runs each.

Prints records/s, p50/p99 latency, and the ratio of group commit's throughput to the
baseline's. Targets (issue 22): one-record batches at 32 devices >= 2,000 records/s with
p99 < 250 ms; 500-record batches at 32 devices p99 < 2 s. The client threads run on the
same two cores as the server: the figures are a floor for a server with its own machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import Sealed, _server_public, enroll_and_seal, stored_ops
from sync.receipt import verify_receipt
from tests.e2e.harness import ServerProcess, prepare

# (records per batch, devices, batches per device)
SHAPES = ((1, 1, 200), (1, 8, 60), (1, 32, 30), (25, 32, 8), (500, 32, 2))


def _device_run(
    url: str, batches: list[Sealed], start: threading.Barrier
) -> tuple[list[float], list[bytes], list[str]]:
    latencies: list[float] = []
    receipts: list[bytes] = []
    errors: list[str] = []
    with httpx.Client(base_url=url, timeout=120) as http:
        start.wait()
        for batch in batches:
            began = time.perf_counter()
            try:
                answer = http.post("/v1/device/batches", content=batch.sealed)
            except httpx.HTTPError as exc:
                errors.append(f"{batch.device_id}: {exc!r}")
                continue
            latencies.append(time.perf_counter() - began)
            if answer.status_code != 200:
                errors.append(f"{batch.device_id}: HTTP {answer.status_code} {answer.text[:120]}")
            else:
                receipts.append(answer.content)
    return latencies, receipts, errors


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def run_shape(records: int, devices: int, per_device: int, group: bool) -> dict[str, float]:
    """One run of one shape on a fresh server; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        prepare(data)
        server = ServerProcess(data, () if group else ("--no-group-commit",))
        server.start()
        try:
            sealed = enroll_and_seal(server, devices, records, per_device)
            public = _server_public(server)
            by_device: dict[str, list[Sealed]] = {}
            for batch in sealed:
                by_device.setdefault(batch.device_id, []).append(batch)
            start = threading.Barrier(devices + 1)
            with ThreadPoolExecutor(max_workers=devices) as pool:
                futures = [
                    pool.submit(_device_run, server.url, mine, start) for mine in by_device.values()
                ]
                start.wait()
                began = time.perf_counter()
                outcomes = [f.result(timeout=600) for f in futures]
                wall = time.perf_counter() - began
        finally:
            server.stop()
        latencies = [x for lat, _, _ in outcomes for x in lat]
        errors = [e for _, _, errs in outcomes for e in errs]
        accepted = 0
        for _, receipts, _ in outcomes:
            for raw in receipts:
                accepted += verify_receipt(raw, public).accepted_ops
        stored = sum(stored_ops(server).values())
        total = records * devices * per_device
        if errors or accepted != total or stored != total:
            lost = f"accepted {accepted}, stored {stored} of {total}"
            raise SystemExit(f"errors {errors[:3]}, {lost}")
        return {
            "records_s": total / wall,
            "p50_ms": _percentile(latencies, 50) * 1000,
            "p99_ms": _percentile(latencies, 99) * 1000,
        }


def main() -> None:
    """Every shape, group commit on and off alternately, medians of the runs."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="batches per device x this")
    args = parser.parse_args()
    print(f"{'shape':<30} {'mode':<16} {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for records, devices, per_device in SHAPES:
        per_device = max(1, round(per_device * args.scale))
        runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
        for _ in range(args.runs):
            for group in (False, True):
                runs[group].append(run_shape(records, devices, per_device, group))
        shape = f"{records}-record x {devices} devices"
        medians = {}
        for group in (False, True):
            m = {k: statistics.median(r[k] for r in runs[group]) for k in runs[group][0]}
            medians[group] = m
            mode = "group commit" if group else "commit per push"
            print(
                f"{shape:<30} {mode:<16} {m['records_s']:>10,.0f} {m['p50_ms']:>8.0f}"
                f" {m['p99_ms']:>8.0f}"
            )
        ratio = medians[True]["records_s"] / medians[False]["records_s"]
        print(f"{shape:<30} ratio group/per-push throughput: {ratio:.2f}")


if __name__ == "__main__":
    main()
