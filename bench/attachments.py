"""Attachment upload: time and peak memory of a large file over HTTP, and resuming a cut one.

Run: ``uv run python bench/attachments.py [--mib 200] [--small-mib 5]``.

For each size (the small one first, then the large one), on a fresh data directory with a
fresh real `cairn serve` on 127.0.0.1:

- a device enrolled and a file of random bytes (a JPEG's first bytes, so a photo field
  takes it) attached with `cairn device new photo_log --attach` (not timed);
- upload: `cairn device push` in a subprocess, timed: the device makes the sealed bytes
  from its seal plan (age, streamed, no sealed copy written) and sends them in 6 MiB
  chunks, the next one made while the current one travels; the server appends each,
  checks it as it arrives (sealed hash, age opened into the plaintext, plaintext hash)
  on a checker thread, fsyncs in the background every 64 MiB, and on the final chunk
  fsyncs, stores the file and its sealed form and signs the receipt. Peak RSS of the
  device (its own `VmHWM`, printed by the push process) and of the server (`VmHWM` of
  the `cairn serve` process, which did nothing else);
- baseline, in the same run on the same disk: the same bytes copied (`cp`) and encrypted
  by the `age` CLI to a file (`age -r`), then `sync`: what moving the file and sealing it
  costs without Cairn. Ratio = baseline time / upload time (1.0: as fast as the tools).

Then, on the large file only, resume: the push is killed (SIGKILL) once the server holds
half of the sealed file, and `cairn device push` run again: the resumed push's time, and
cut + resume against one uninterrupted push. Memory is flat when each peak at the large
size is within 1.2x of the same peak at the small size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server import admin
from server.attachments.files import AttachmentFiles
from server.datadir import open_data_dir
from tests.e2e.harness import PROJECT, ServerProcess, prepare

JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
MiB = 1024 * 1024


# `cairn …` that prints its own peak RSS (VmHWM starts afresh at exec; wait4's ru_maxrss
# would include this parent's memory at the fork) as the last line on stderr.
_CHILD = (
    "import re, sys\n"
    "from server.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
    "print(hwm.group(1), file=sys.stderr)\n"
    "sys.exit(status)\n"
)


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", _CHILD, "device", args[0], "--home", str(home), *args[1:]]


def _run(cmd: list[str]) -> tuple[float, int]:
    """Run to completion; (seconds, peak RSS in KiB of that very process)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[3:5])} failed: {proc.stderr}")
    return took, int(proc.stderr.strip().splitlines()[-1])


def _server_peak_kib(server: ServerProcess) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _random_file(path: Path, mib: int) -> None:
    with path.open("wb") as f:
        f.write(JPEG_START)
        for _ in range(mib):
            f.write(os.urandom(MiB))
        f.truncate(mib * MiB)


class Setup:
    """A fresh server and an enrolled device that attached a file of `mib` MiB."""

    def __init__(self, root: Path, name: str, mib: int) -> None:
        self.data = root / f"data-{name}"
        prepare(self.data)
        self.server = ServerProcess(self.data, ("--max-attachment-mib", str(max(mib * 2, 16))))
        self.server.start()
        self.home = root / f"home-{name}"
        self.file = root / f"{name}.jpg"
        _random_file(self.file, mib)
        opened = open_data_dir(self.data, create=False)
        try:
            code = admin.issue_enroll_code(opened.store, PROJECT, 3600, "bench").code
        finally:
            opened.store.close()
        _run(_cli(self.home, "enroll", self.server.url, code, "--label", name))
        _run(
            _cli(
                self.home,
                "new",
                "photo_log",
                "--set",
                "photo_no=DSH-01-P00001",
                "--attach",
                f"file={self.file}",
                "--set",
                "taken_at=2026-05-01T10:00:00Z",
                "--set",
                "photographer=bench",
                "--set",
                "subject_type=grave",
            )
        )

    def close(self) -> None:
        self.server.stop()


def _baseline(src: Path, root: Path, recipient: str) -> float:
    copy, sealed = root / "baseline-copy", root / "baseline.age"
    start = time.perf_counter()
    subprocess.run(["cp", str(src), str(copy)], check=True)
    subprocess.run(["age", "-r", recipient, "-o", str(sealed), str(src)], check=True)
    subprocess.run(["sync"], check=True)
    took = time.perf_counter() - start
    copy.unlink()
    sealed.unlink()
    return took


def upload(root: Path, name: str, mib: int) -> dict[str, float]:
    """One uninterrupted upload of `mib` MiB: time, device and server peaks, baseline."""
    setup = Setup(root, name, mib)
    try:
        before = _server_peak_kib(setup.server)
        took, device_kib = _run(_cli(setup.home, "push"))
        server_kib = _server_peak_kib(setup.server)
        recipient = subprocess.run(
            ["age-keygen"], capture_output=True, text=True, check=True
        ).stderr.split()[-1]
        base = _baseline(setup.file, root, recipient)
    finally:
        setup.close()
    return {
        "seconds": took,
        "mib_s": mib / took,
        "device_mib": device_kib / 1024,
        "server_mib": server_kib / 1024,
        "server_idle_mib": before / 1024,
        "baseline_s": base,
    }


def resume(root: Path, mib: int) -> dict[str, float]:
    """Kill the push once the server holds half, push again: the resumed push's time."""
    setup = Setup(root, "resume", mib)
    try:
        files = AttachmentFiles(setup.data)
        start = time.perf_counter()
        proc = subprocess.Popen(
            _cli(setup.home, "push"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        parts = files.root / "uploads"
        held = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            found = list(parts.glob("*.part")) if parts.is_dir() else []
            held = found[0].stat().st_size if found else 0
            if held >= mib * MiB // 2:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait()
        cut_s = time.perf_counter() - start
        if held < mib * MiB // 2:
            raise RuntimeError("the push ended before it could be cut")
        resumed_s, _kib = _run(_cli(setup.home, "push"))
        found = list((files.root / "sealed").rglob("*.sealed"))
        if len(found) != 1:
            raise RuntimeError("the resumed upload did not complete")
    finally:
        setup.close()
    return {"cut_s": cut_s, "held_mib": held / MiB, "resumed_s": resumed_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=200, help="the large file (default 200)")
    parser.add_argument("--small-mib", type=int, default=5, help="the small file (default 5)")
    args = parser.parse_args()
    if not shutil.which("age") or not shutil.which("age-keygen"):
        raise SystemExit("needs the age CLI (Debian package age) for the baseline")
    scratch = os.environ.get("TMPDIR")
    with tempfile.TemporaryDirectory(prefix="cairn-bench-att-", dir=scratch) as tmp:
        root = Path(tmp)
        small = upload(root, "small", args.small_mib)
        large = upload(root, "large", args.mib)
        for label, size, got in (("small", args.small_mib, small), ("large", args.mib, large)):
            print(
                f"{label} {size} MiB: upload {got['seconds']:.2f} s ({got['mib_s']:.1f} MiB/s); "
                f"cp + age CLI {got['baseline_s']:.2f} s; peak RSS device "
                f"{got['device_mib']:.0f} MiB, server {got['server_mib']:.0f} MiB "
                f"(idle {got['server_idle_mib']:.0f} MiB)"
            )
        print(
            f"upload throughput vs age tool ratio: {large['baseline_s'] / large['seconds']:.2f} "
            f"(baseline time / upload time, {args.mib} MiB; target >= 0.5)"
        )
        extra_s = large["seconds"] - small["seconds"]
        extra_base = large["baseline_s"] - small["baseline_s"]
        print(
            f"marginal ratio: {extra_base / extra_s:.2f} (the {args.mib - args.small_mib} MiB "
            f"more of the large run: baseline {extra_base:.2f} s / upload {extra_s:.2f} s; "
            "process start, enrolment checks and the batch push taken out on both sides)"
        )
        print(
            f"peak RSS ratio {args.mib} MiB / {args.small_mib} MiB: device "
            f"{large['device_mib'] / small['device_mib']:.2f}, server "
            f"{large['server_mib'] / small['server_mib']:.2f} (flat: <= 1.2)"
        )
        cut = resume(root, args.mib)
        print(
            f"resume: cut after {cut['cut_s']:.2f} s with {cut['held_mib']:.0f} MiB held; "
            f"resumed push {cut['resumed_s']:.2f} s; cut + resume / uninterrupted ratio "
            f"{(cut['cut_s'] + cut['resumed_s']) / large['seconds']:.2f}"
        )


if __name__ == "__main__":
    main()
