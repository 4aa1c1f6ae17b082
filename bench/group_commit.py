"""Many devices pushing batch after batch to a real `cairn serve`: group commit on and off.

Run: ``uv run python bench/group_commit.py [--runs 3] [--scale 1] [--processes 4]
[--shapes 1x32,25x32] [--mode both|group|per-push] [--client raw|httpx] [--workers 1,2]``.

For each shape (records per batch x devices), every device is enrolled and its batches are
sealed before the clock starts (sealing is the device's CPU). The devices are then spread
over `--processes` client processes (default 4: 32 devices are 4 processes of 8), so that
they do not queue behind one client interpreter's GIL and the figure measures the server;
in each process every device, on its own thread and connection, pushes its batches one
after another (the next only after the receipt of the last, as `cairn device push` does),
all devices of all processes released together. By default a device's connection is a
prepared HTTP/1.1 request written to a kept-alive socket (`--client raw`): httpx
(`--client httpx`) cost the client processes about as much CPU a push as the server spent,
on the same cores, where a real device's HTTP stack runs on the device. Every receipt is
verified after the clock stops, and the server's op log is counted: nothing may be lost.
The server's CPU time over the run (from /proc) is printed in cores, and the client
processes' beside it: how much of the machine each got. The same shape runs against a
server with `--no-group-commit` (every push its own durable commit: the design before group
commit) in the same run, alternating, and the figures are medians of `--runs` runs each.

Prints records/s, p50/p99 latency, and the ratio of group commit's throughput to the
baseline's. Targets (issue 22): one-record batches at 32 devices >= 2,000 records/s with
p99 < 250 ms; 500-record batches at 32 devices p99 < 2 s. The client processes still run on
the same cores as the server: the figures are a floor for a server with its own machine.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Barrier as ProcessBarrier
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import Sealed, _server_public, enroll_and_seal, stored_ops
from sync.receipt import verify_receipt
from tests.e2e.harness import ServerProcess, prepare

# (records per batch, devices, batches per device)
SHAPES = ((1, 1, 200), (1, 8, 60), (1, 32, 30), (25, 32, 8), (500, 32, 2))


class _Connection:
    """A device's kept-alive HTTP/1.1 connection with as little client CPU as it takes: a
    prepared request written with one `sendall`, the answer read by its Content-Length.

    httpx cost the client processes about as much CPU a push as the server spent on it, on
    the same two cores; a phone's HTTP stack runs on the phone.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = f"{parts.hostname}:{parts.port}"
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("ascii")
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        header, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._read()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, answer

    def _read(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def _device_run(
    url: str, batches: list[Sealed], start: threading.Barrier, client: str
) -> tuple[list[float], list[bytes], list[str], float]:
    latencies: list[float] = []
    receipts: list[bytes] = []
    errors: list[str] = []
    if client == "httpx":
        http = httpx.Client(base_url=url, timeout=120)

        def post(body: bytes) -> tuple[int, bytes]:
            answer = http.post("/v1/device/batches", content=body)
            return answer.status_code, answer.content

        close = http.close
    else:
        conn = _Connection(url)

        def post(body: bytes) -> tuple[int, bytes]:
            return conn.post("/v1/device/batches", body)

        close = conn.close
    try:
        start.wait()
        for batch in batches:
            began = time.perf_counter()
            try:
                status, content = post(batch.sealed)
            except (httpx.HTTPError, OSError) as exc:
                errors.append(f"{batch.device_id}: {exc!r}")
                continue
            latencies.append(time.perf_counter() - began)
            if status != 200:
                errors.append(f"{batch.device_id}: HTTP {status} {content[:120]!r}")
            else:
                receipts.append(content)
    finally:
        close()
    return latencies, receipts, errors, time.perf_counter()


# latencies, receipts, errors, when the last device ended, the process's CPU seconds
Outcome = tuple[list[float], list[bytes], list[str], float, float]


def _client_process(
    url: str, devices: list[list[Sealed]], release: ProcessBarrier, client: str
) -> Outcome:
    """One client process: its devices on threads, released with every other process's.

    Returns the latencies, receipts and errors of its devices and when its last one ended
    (`perf_counter` is the system's monotonic clock, the same in every process)."""
    ready = threading.Barrier(len(devices) + 1)
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        futures = [pool.submit(_device_run, url, mine, ready, client) for mine in devices]
        release.wait(timeout=300)  # every process's connections are about to open
        cpu = time.process_time()
        ready.wait(timeout=300)
        outcomes = [f.result(timeout=600) for f in futures]
        cpu = time.process_time() - cpu
    return (
        [x for lat, _, _, _ in outcomes for x in lat],
        [r for _, rec, _, _ in outcomes for r in rec],
        [e for _, _, errs, _ in outcomes for e in errs],
        max(end for _, _, _, end in outcomes),
        cpu,
    )


def _client_main(
    url: str,
    devices: list[list[Sealed]],
    release: ProcessBarrier,
    results: multiprocessing.Queue[Outcome],
    client: str,
) -> None:
    try:
        results.put(_client_process(url, devices, release, client))
    except BaseException as exc:
        results.put(([], [], [f"client process: {exc!r}"], 0.0, 0.0))
        raise


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int) -> float:
    """CPU seconds of the server process and all its descendants (`--workers N`, each
    worker's view builder)."""
    total = 0.0
    with contextlib.suppress(OSError, ValueError):  # a process that just ended
        total += _cpu_seconds(pid)
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _server_cpu(int(child))
    return total


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def run_shape(
    records: int,
    devices: int,
    per_device: int,
    group: bool,
    processes: int = 4,
    client: str = "raw",
    workers: int = 1,
) -> dict[str, float]:
    """One run of one shape on a fresh server; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        prepare(data)
        extra = () if group else ("--no-group-commit",)
        if workers > 1:  # (so that one worker also measures a server without the option)
            extra += ("--workers", str(workers))
        server = ServerProcess(data, extra)
        server.start()
        assert server.proc is not None
        try:
            sealed = enroll_and_seal(server, devices, records, per_device)
            public = _server_public(server)
            by_device: dict[str, list[Sealed]] = {}
            for batch in sealed:
                by_device.setdefault(batch.device_id, []).append(batch)
            mine = list(by_device.values())
            n = max(1, min(processes, devices))
            shares = [mine[i::n] for i in range(n)]
            mp = multiprocessing.get_context("spawn")
            release = mp.Barrier(n + 1)
            results: multiprocessing.Queue[Outcome] = mp.Queue()
            clients = [
                mp.Process(
                    target=_client_main,
                    args=(server.url, share, release, results, client),
                )
                for share in shares
            ]
            for proc in clients:
                proc.start()
            try:
                release.wait(timeout=300)
                began = time.perf_counter()
                cpu_before = _server_cpu(server.proc.pid)
                outcomes = [results.get(timeout=900) for _ in clients]
                cpu = _server_cpu(server.proc.pid) - cpu_before
            finally:
                for proc in clients:
                    proc.join(timeout=60)
                    if proc.is_alive():
                        proc.kill()
            wall = max(o[3] for o in outcomes) - began
        finally:
            server.stop()
        latencies = [x for o in outcomes for x in o[0]]
        errors = [e for o in outcomes for e in o[2]]
        accepted = 0
        for o in outcomes:
            for raw in o[1]:
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
            # The server's CPU over the run (a little of it after the last receipt).
            "server_cores": cpu / wall,
            "client_cores": sum(o[4] for o in outcomes) / wall,
            # Server CPU per pushed batch, in ms: what a busy machine inflates least.
            "server_ms_batch": cpu * 1000 / (devices * per_device),
        }


def main() -> None:
    """Every shape, group commit on and off alternately, medians of the runs."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="batches per device x this")
    parser.add_argument(
        "--processes", type=int, default=4, help="client processes the devices are spread over"
    )
    parser.add_argument(
        "--shapes",
        default="",
        help="only these shapes, e.g. 1x32,25x32 (records per batch x devices)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: a prepared request on a socket (least client CPU); httpx: as devices do",
    )
    parser.add_argument(
        "--mode", choices=("both", "group", "per-push"), default="both", help="which servers"
    )
    parser.add_argument(
        "--workers",
        default="1",
        help="server worker processes (`cairn serve --workers`), e.g. 2 or 1,2 to compare",
    )
    args = parser.parse_args()
    wanted = {tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",") if s}
    modes = {"both": (False, True), "group": (True,), "per-push": (False,)}[args.mode]
    counts = [int(n) for n in args.workers.split(",")]
    servers = [(group, n) for n in counts for group in modes]
    print(f"load average {os.getloadavg()[0]:.2f} at the start")
    header = f"{'shape':<30} {'mode':<24} {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    print(header + f" {'server cores':>12} {'client cores':>12} {'server CPU ms/batch':>19}")
    for records, devices, per_device in SHAPES:
        if wanted and (records, devices) not in wanted:
            continue
        per_device = max(1, round(per_device * args.scale))
        runs: dict[tuple[bool, int], list[dict[str, float]]] = {key: [] for key in servers}
        for _ in range(args.runs):
            for group, n in servers:  # alternating: every server once a round
                runs[(group, n)].append(
                    run_shape(records, devices, per_device, group, args.processes, args.client, n)
                )
        shape = f"{records}-record x {devices} devices"
        medians = {}
        for key in servers:
            group, n = key
            m = {k: statistics.median(r[k] for r in runs[key]) for k in runs[key][0]}
            medians[key] = m
            mode = ("group commit" if group else "commit per push") + f", {n} worker"
            mode += "s" if n > 1 else ""
            print(
                f"{shape:<30} {mode:<24} {m['records_s']:>10,.0f} {m['p50_ms']:>8.0f}"
                f" {m['p99_ms']:>8.0f} {m['server_cores']:>12.2f} {m['client_cores']:>12.2f}"
                f" {m['server_ms_batch']:>19.2f}",
                flush=True,
            )
        for n in counts:
            _print_target(f"{shape}, {n}w", records, devices, medians.get((True, n)))
            if len(modes) == 2:
                ratio = medians[(True, n)]["records_s"] / medians[(False, n)]["records_s"]
                print(f"{shape:<30} ratio group/per-push, {n}w: {ratio:.2f}", flush=True)
        if len(counts) > 1:
            for group in modes:
                base = medians[(group, counts[0])]["records_s"]
                for n in counts[1:]:
                    ratio = medians[(group, n)]["records_s"] / base
                    print(
                        f"{shape:<30} ratio {n} workers / {counts[0]}"
                        f" ({'group' if group else 'per-push'}): {ratio:.2f}",
                        flush=True,
                    )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


# Issue 22's targets, with group commit on: (records, devices) -> (records/s, p99 ms).
TARGETS = {(1, 32): (2000.0, 250.0), (500, 32): (None, 2000.0)}


def _print_target(shape: str, records: int, devices: int, grouped: dict[str, float] | None) -> None:
    target = TARGETS.get((records, devices))
    if target is None or grouped is None:
        return
    rate, p99 = target
    parts, met = [], True
    if rate is not None:
        parts.append(
            f"{grouped['records_s']:,.0f} records/s,"
            f" ratio {grouped['records_s'] / rate:.2f} of {rate:,.0f}"
        )
        met = met and grouped["records_s"] >= rate
    parts.append(f"p99 {grouped['p99_ms']:.0f} ms (target < {p99:.0f})")
    met = met and grouped["p99_ms"] < p99
    verdict = "met" if met else "not met"
    print(f"{shape:<30} target: {'; '.join(parts)}: {verdict}", flush=True)
    if rate is not None:
        # What the target leaves of this machine: every core, server and clients together.
        cores = os.cpu_count() or 1
        budget = cores * 1000 / (rate / records)
        spent = (
            grouped["server_ms_batch"]
            + grouped["client_cores"] * 1000 * records / (grouped["records_s"])
        )
        print(
            f"{shape:<30} CPU a batch: {rate:,.0f} records/s on {cores} cores leaves"
            f" {budget:.2f} ms for server and clients; spent {spent:.2f} ms"
            f" (server {grouped['server_ms_batch']:.2f}): at most"
            f" {cores * 1000 / spent * records:,.0f} records/s with every core busy",
            flush=True,
        )


if __name__ == "__main__":
    main()
