"""Backup: time and peak memory of `cairn backup`, against `cp` plus the `age` tool.

Run: ``uv run python bench/backup.py [--ops 200000] [--attachment-mib 1024]``.

- build: the `bench/export.py` project (site_grave records, a create and three edits each,
  through the real ingest path), plus attachments written straight into the data
  directory's store as the server keeps them (`attachments/blobs/ab/<sha256>`, 0400),
  4 MiB of random bytes each (photos do not compress): generated quickly, bounded by
  --attachment-mib.
- backup: `cairn backup` in a fresh process, twice — at a quarter of the ops and
  attachments and at all of them — reporting the child's peak RSS and wall time. Flat
  memory means the two peaks are about equal while the data grew fourfold.
- baseline, in the same run, on the same bytes: `cp -a` of the data directory, then
  `tar -c` of the copy piped into the Debian `age` tool; the target is a backup within
  2x of their sum. Then `cairn restore` of the large backup, for the record.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.export import BATCH_OPS, Builder
from sync.age import generate_x25519, write_identity_file

FILE_BYTES = 4 * 1024 * 1024
_CHILD = (
    "import resource, sys\n"
    "from server.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(status)\n"
)


def add_attachments(data: Path, files: int, first: int) -> int:
    """Write `files` random 4 MiB blobs into the store; return the bytes written."""
    blobs = data / "attachments" / "blobs"
    for n in range(first, first + files):
        body = hashlib.shake_256(n.to_bytes(8, "big")).digest(64) * (FILE_BYTES // 64)
        body = os.urandom(16) + body[16:]  # distinct and incompressible enough
        sha = hashlib.sha256(body).hexdigest()
        target = blobs / sha[:2] / sha
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.write_bytes(body)
        target.chmod(0o400)
    return files * FILE_BYTES


def _child(argv: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of a `cairn` command in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1])


def _baseline(data: Path, root: Path, recipient: str) -> tuple[float, float, int]:
    """(cp seconds, tar | age seconds, bytes) for the same data directory."""
    copy = root / "copy"
    start = time.perf_counter()
    subprocess.run(["cp", "-a", str(data), str(copy)], check=True)
    cp = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(
        f"tar -cf - -C {copy} . | age -r {recipient} -o {root / 'tool.age'}",
        shell=True,
        check=True,
    )
    age = time.perf_counter() - start
    size = (root / "tool.age").stat().st_size
    shutil.rmtree(copy)
    (root / "tool.age").unlink()
    return cp, age, size


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def main() -> None:
    """Build, back up at two sizes, compare with cp + age, restore, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=200_000)
    parser.add_argument("--attachment-mib", type=int, default=1024)
    args = parser.parse_args()
    total = max(4 * BATCH_OPS, args.ops - args.ops % 4)
    files = max(4, args.attachment_mib * 1024 * 1024 // FILE_BYTES)
    with tempfile.TemporaryDirectory(dir=os.environ.get("CAIRN_BENCH_TMP")) as tmp:
        root = Path(tmp)
        identity = generate_x25519()
        key = root / "key.txt"
        write_identity_file(key, identity)
        recipient = str(identity.recipient())
        builder = Builder(root)
        data = builder.data.path
        start = time.perf_counter()
        builder.grow(total // 4)
        attached = add_attachments(data, files // 4, 0)
        small = _child(
            ["backup", "--data", str(data), "--out", str(root / "s.age"), "-r", recipient]
        )
        (root / "s.age").unlink()
        builder.grow(total - total // 4)
        attached += add_attachments(data, files - files // 4, files // 4)
        build = time.perf_counter() - start
        builder.data.store.close()
        db_bytes = (data / "cairn.db").stat().st_size
        cp, age, tool_bytes = _baseline(data, root, recipient)
        out = root / "large.age"
        large = _child(["backup", "--data", str(data), "--out", str(out), "-r", recipient])
        backup_bytes = out.stat().st_size
        restore = _child(["restore", str(out), "-i", str(key), "--data", str(root / "restored")])
    figures = {
        "ops": total,
        "attachment_bytes": attached,
        "db_bytes": db_bytes,
        "build_s": round(build, 1),
        "backup_small": {"s": round(small[0], 2), "peak_mib": _mib(small[1])},
        "backup_large": {
            "s": round(large[0], 2),
            "peak_mib": _mib(large[1]),
            "bytes": backup_bytes,
        },
        "cp_s": round(cp, 2),
        "tar_age_s": round(age, 2),
        "tool_bytes": tool_bytes,
        "restore": {"s": round(restore[0], 2), "peak_mib": _mib(restore[1])},
    }
    print(json.dumps(figures), file=sys.stderr)
    baseline = cp + age
    print(
        f"backup of {total} ops + {attached / 2**30:.2f} GiB of attachments: {large[0]:.2f} s "
        f"vs cp {cp:.2f} s + tar|age {age:.2f} s = {baseline:.2f} s; "
        f"ratio {large[0] / baseline:.2f}x (target within 2x)"
    )
    print(
        f"backup peak RSS: {_mib(large[1])} MiB (all) vs {_mib(small[1])} MiB (a quarter); "
        f"memory ratio {large[1] / small[1]:.2f} (flat: about 1)"
    )
    print(f"restore of the same backup: {restore[0]:.2f} s, peak RSS {_mib(restore[1])} MiB")


if __name__ == "__main__":
    main()
