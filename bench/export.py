"""Archive export: peak memory as the project grows, and throughput against the `age` tool.

Run: ``uv run python bench/export.py [--ops 200000]``.

- build: one enrolled device (real enrollment through the app) seals synthetic site_grave
  records (one create and three edits each) into batches of 20,000 ops, and each batch
  goes through `server.ingest.push` — verified, decrypted, validated, merged, stored and
  receipted exactly as over HTTP, without the HTTP hop.
- export: `cairn export` in a fresh subprocess, twice — at a quarter of the ops and at all
  of them — reporting the child's peak RSS (getrusage RUSAGE_CHILDREN) and wall time. Flat
  memory means the two peaks are about equal while the project grew fourfold.
- baseline: the Debian `age` tool encrypting the very same tar (written once to disk),
  and our own streaming age writer encrypting it, for the ratio DESIGN.md targets.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar.testing import TestClient
from litestar.testing.transport import TestClientTransport

from server import admin, ingest
from server.app import create_app
from server.config import load_config
from server.context import ServerContext
from server.datadir import open_data_dir
from server.export.archive import ExportSource, prepare_archive
from server.export.spool import encrypt_chunks
from sync.age import generate_x25519, parse_recipient
from sync.client import Device, uuid7
from sync.ops import Create, Dot, Op, Patch
from sync.sealed import seal_batch

PROJECT = "BENCH-01"
BATCH_OPS = 20_000
_ENC = msgspec.msgpack.Encoder()


def _ops(actor: str, first_counter: int, first_record: int, records: int) -> list[Op]:
    """`records` graves: a create and three edits each, as one device makes them."""
    now = time.time_ns() // 1_000_000
    out: list[Op] = []
    counter = first_counter
    for n in range(first_record, first_record + records):
        rid = uuid7()
        letters = chr(65 + n // 10_000 % 26) + chr(65 + n // 260_000 % 26)
        fields = {
            "site_code": f"{letters}-{n % 10_000:04d}",
            "grave_no": 1 + n % 50,
            "legal_authority_ref": "Court order 17/2026",
            "grave_type": "mass",
            "deposition": "primary",
            "datum_point": {"lat": 40.1 + n * 1e-6, "lon": 46.9, "h_acc_m": 2.0},
            "status": "reported",
        }
        base = {"record_id": rid, "form": "site_grave@1", "wall_time": now}
        out.append(
            Create(
                dot=Dot(actor=actor, counter=counter),
                hlc=(now << 16) + counter,
                context={},
                fields=fields,
                **base,
            )
        )
        for edit in ({"status": "assessed"}, {"max_depth_m": 1.5}, {"status": "excavating"}):
            counter += 1
            out.append(
                Patch(
                    dot=Dot(actor=actor, counter=counter),
                    hlc=(now << 16) + counter,
                    context={actor: counter - 1},
                    fields=edit,
                    **base,
                )
            )
        counter += 1
    return out


class Builder:
    """Grows the bench project batch by batch through the real ingest path."""

    def __init__(self, root: Path) -> None:
        """Create the data directory, the project and one enrolled device."""
        self.data = open_data_dir(root / "data", create=True)
        admin.create_project(self.data.store, PROJECT, "Benchmark", "bench")
        config = load_config(self.data.path)
        self.ctx = ServerContext(
            config=config, store=self.data.store, keys=self.data.keys, forms=self.data.forms
        )
        app = create_app(config, self.data)
        client = TestClient(app, base_url="http://bench.local")
        code = admin.issue_enroll_code(self.data.store, PROJECT, 3600, "bench").code
        device = Device(root / "device", transport=TestClientTransport(client))
        device.enroll("http://bench.local", code, label="bench")
        self.device_id = device.device_id
        self.signing = device.keys().signing_key
        self.recipient = device.store.get_str("batch_recipient") or ""
        self.key_id = device.store.get_str("batch_key_id") or ""
        self.ops = 0
        self.seq = 0

    def grow(self, ops: int) -> None:
        """Add `ops` more ops (a multiple of four), in batches of BATCH_OPS."""
        while ops > 0:
            take = min(BATCH_OPS, ops)
            batch = _ops(self.device_id, self.ops + 1, self.ops // 4, take // 4)
            self.seq += 1
            sealed = seal_batch(
                _ENC.encode(batch),
                device_id=self.device_id,
                batch_id=uuid7(),
                seq=self.seq,
                device_signing_key=self.signing,
                server_recipient=self.recipient,
                server_key_id=self.key_id,
            )
            ingest.push(self.ctx, sealed)
            self.ops += len(batch)
            ops -= len(batch)
            print(f"... {self.ops} ops stored", file=sys.stderr, flush=True)


_CHILD = (
    "import resource, sys\n"
    "from server.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(status)\n"
)


def _child_export(data: Path, out: Path, recipient: str) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, bytes) of `cairn export` in a fresh process."""
    argv = ["export", "--data", str(data), "--project", PROJECT, "-r", recipient, "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak, out.stat().st_size


def _baseline(builder: Builder, root: Path, recipient: str) -> tuple[float, float, int]:
    """(age tool seconds, our age writer seconds, tar bytes) on the same tar."""
    source = ExportSource(
        builder.data.store, builder.data.keys, builder.data.forms, builder.data.path
    )
    tar = root / "plain.tar"
    with (
        prepare_archive(source, PROJECT, [recipient], actor="bench") as archive,
        tar.open("wb") as f,
    ):
        for chunk in archive.tar_chunks():
            f.write(chunk)
    start = time.perf_counter()
    subprocess.run(["age", "-r", recipient, "-o", str(root / "tool.age"), str(tar)], check=True)
    tool = time.perf_counter() - start
    start = time.perf_counter()
    with tar.open("rb") as src, (root / "ours.age").open("wb") as dst:
        reader = iter(lambda: src.read(64 * 1024), b"")
        for chunk in encrypt_chunks(reader, [parse_recipient(recipient)]):
            dst.write(chunk)
    ours = time.perf_counter() - start
    return tool, ours, tar.stat().st_size


def main() -> None:
    """Build, export at two sizes, compare with age, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=200_000)
    args = parser.parse_args()
    total = max(4 * BATCH_OPS, args.ops - args.ops % 4)
    recipient = str(generate_x25519().recipient())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        builder = Builder(root)
        start = time.perf_counter()
        builder.grow(total // 4)
        small = _child_export(builder.data.path, root / "small.age", recipient)
        builder.grow(total - total // 4)
        build = time.perf_counter() - start
        large = _child_export(builder.data.path, root / "large.age", recipient)
        tool, ours, tar_bytes = _baseline(builder, root, recipient)
        builder.data.store.close()
    figures = {"ops": total, "build_s": round(build, 1), "small": small, "large": large}
    print(json.dumps(figures), file=sys.stderr)
    print(f"project: {total:,} ops, {total // 4:,} records, built in {build:.0f} s")
    for name, ops, (secs, rss, size) in (("1/4", total // 4, small), ("all", total, large)):
        print(
            f"export {name:>3}: {ops:>9,} ops  {secs:6.1f} s  {ops / secs:9,.0f} ops/s"
            f"  peak RSS {rss / 1024:6.1f} MiB  archive {size / 1e6:6.1f} MB"
        )
    print(
        f"peak RSS ratio all/quarter: {large[1] / small[1]:.2f}  (flat memory: about 1.0 "
        f"while the project grew 4x)"
    )
    print(
        f"tar: {tar_bytes / 1e6:.1f} MB; age tool encrypts it in {tool:.2f} s, "
        f"our age writer in {ours:.2f} s (ratio {ours / tool:.2f})"
    )
    print(
        f"whole export vs age tool on the same tar: {large[0] / tool:.1f}x the time "
        f"(export reads, decodes and renders every record; age only encrypts)"
    )


if __name__ == "__main__":
    main()
