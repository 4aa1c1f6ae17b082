"""Archive export with photos: peak memory with 2 GiB of attachments against a small project.

Run: ``uv run python bench/export_attachments.py [--gib 2] [--file-mib 32] [--small-files 2]``.

- build: one device enrolled through the app (in process, Litestar's test client) keeps
  files of random bytes (a JPEG's first bytes, so a photo field takes them) in its store,
  each referenced by a `photo_log` record, and pushes: the batches and every file go
  through the real routes (sealed chunked upload, checked, blob and sealed form stored,
  receipted). First ``--small-files`` files, then as many more as make ``--gib`` GiB.
- export: `cairn export` in a fresh subprocess after each step, reporting the child's
  peak RSS (its own VmHWM, which starts afresh at exec) and wall time. The archive holds
  every file twice (the file and its sealed form), so the large one is over 2x
  ``--gib``; flat memory means the large export's peak is within 1.2x of the small one's.
- bounded: at most 64 GiB of attachments; the scratch directory (``TMPDIR``) needs about
  5x ``--gib`` free (device store, server blobs and sealed forms, the two archives).
"""

from __future__ import annotations

import argparse
import logging
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar.testing import TestClient
from litestar.testing.transport import TestClientTransport

from server import admin
from server.app import create_app
from server.config import load_config
from server.datadir import open_data_dir
from sync.age import generate_x25519
from sync.client import Device

PROJECT = "BENCH-PHOTOS"
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
MiB = 1024 * 1024
# The child reports its own VmHWM: getrusage's ru_maxrss (and wait4's) would include the
# parent's memory at the fork before exec, and this parent holds the whole builder.
_CHILD = (
    "import re, sys\n"
    "from server.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
    "print(hwm.group(1), file=sys.stderr)\n"
    "sys.exit(status)\n"
)


class _Transport(TestClientTransport):  # type: ignore[type-arg]
    """Litestar's test transport with the close() httpx calls."""

    def close(self) -> None:
        """Nothing to close."""


class Builder:
    """A data directory with the project, and a device that attaches and pushes files."""

    def __init__(self, root: Path, file_mib: int) -> None:
        self.data = open_data_dir(root / "data", create=True)
        admin.create_project(self.data.store, PROJECT, "Benchmark photos", "bench")
        config = load_config(self.data.path, max_attachment_bytes=(file_mib + 1) * MiB)
        self.client = TestClient(create_app(config, self.data), base_url="http://bench.local")
        # The in-process app's access log and httpx's request lines would bury the figures.
        for name in ("cairn.access", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)
        code = admin.issue_enroll_code(self.data.store, PROJECT, 3600, "bench").code
        self.device = Device(root / "device", transport=_Transport(self.client))
        self.device.enroll("http://bench.local", code, label="bench")
        self.file_bytes = file_mib * MiB
        self.files = 0
        self.random = random.Random(20261203)

    def _attach(self) -> dict[str, object]:
        """A new file of random bytes straight into the device's store (one write)."""
        blobs = self.device.attachments.blobs
        with blobs.writing() as out:
            out.write(JPEG_START)
            left = self.file_bytes - len(JPEG_START)
            while left > 0:
                piece = self.random.randbytes(min(left, 4 * MiB))
                out.write(piece)
                left -= len(piece)
        name = f"P{self.files:05d}.jpg"
        with self.device.store.transaction() as conn:
            self.device.store.add_attachment(
                conn, out.sha256, out.size, "image/jpeg", name, self.device._time()
            )
        return {
            "sha256": out.sha256,
            "filename": name,
            "media_type": "image/jpeg",
            "size": out.size,
        }

    def grow(self, files: int) -> None:
        """Attach `files` more files, one photo_log record each, and push them all."""
        for _ in range(files):
            self.files += 1
            self.device.new(
                "photo_log",
                {
                    "photo_no": f"DSH-01-P{self.files:05d}",
                    "file": self._attach(),
                    "taken_at": "2026-05-01T10:00:00Z",
                    "photographer": "bench",
                    "subject_type": "grave",
                },
            )
        summary = self.device.push()
        if summary.attachments != files:
            raise RuntimeError(f"pushed {summary.attachments} files, not {files}")
        print(f"... {self.files} files stored", file=sys.stderr, flush=True)

    def close(self) -> None:
        self.device.close()
        self.data.store.close()


def export(data: Path, out: Path, recipient: str) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, archive bytes) of `cairn export` in a fresh process."""
    argv = ["export", "--data", str(data), "--project", PROJECT, "-r", recipient, "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak = int(done.stderr.strip().splitlines()[-1])
    size = out.stat().st_size
    out.unlink()
    return seconds, peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gib", type=float, default=2.0, help="attachments in all (default 2)")
    parser.add_argument("--file-mib", type=int, default=32, help="size of each file (32)")
    parser.add_argument("--small-files", type=int, default=2, help="files of the small project")
    args = parser.parse_args()
    if not 0 < args.gib <= 64 or not 1 <= args.file_mib <= 200:
        raise SystemExit("--gib must be in (0, 64] and --file-mib in [1, 200]")
    total = max(args.small_files + 1, round(args.gib * 1024 / args.file_mib))
    recipient = str(generate_x25519().recipient())
    with tempfile.TemporaryDirectory(prefix="cairn-bench-export-att-") as tmp:
        root = Path(tmp)
        builder = Builder(root, args.file_mib)
        try:
            start = time.perf_counter()
            builder.grow(args.small_files)
            small = export(builder.data.path, root / "small.age", recipient)
            for _ in range(args.small_files, total, 16):
                builder.grow(min(16, total - builder.files))
            build = time.perf_counter() - start
            large = export(builder.data.path, root / "large.age", recipient)
        finally:
            builder.close()
    held = total * args.file_mib / 1024
    print(f"project built in {build:.0f} s (uploads through the app)")
    for name, files, (secs, kib, size) in (
        ("small", args.small_files, small),
        ("large", total, large),
    ):
        print(
            f"export {name}: {files} files of {args.file_mib} MiB "
            f"({files * args.file_mib / 1024:.2f} GiB)  {secs:6.1f} s  peak RSS "
            f"{kib / 1024:6.1f} MiB  archive {size / 2**30:.2f} GiB "
            f"({size / MiB / secs:.0f} MiB/s)"
        )
    print(
        f"peak RSS ratio {held:.2f} GiB / {args.small_files} files: {large[1] / small[1]:.2f} "
        "(flat: <= 1.2)"
    )


if __name__ == "__main__":
    main()
