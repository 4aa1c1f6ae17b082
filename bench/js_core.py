"""Merge and sealing throughput of the TypeScript device core (Node) against the Python
core, on the same inputs, in the same run.

Merge: the merge corpus (tests/conformance/gen_merge_corpus.py) is folded by both cores:
every case's ops in their first delivery order, with the record's rules, then the
record's canonical bytes and its conflicts, as a device does after a pull.

Sealing: each case's ops, as wire bytes, become one batch body (the msgpack array a
device seals); both cores seal every body as a device does (Ed25519 signature, age
encryption) to the server's post-quantum mlkem768x25519 batch key (the default) and to
an X25519 one, and open every sealed pull response of a set Python sealed (the corpus
ops in pages of 500, to the device's X25519 identity): decrypt, verify the server's
signature, decode the page.

Each figure is the median of ROUNDS rounds, with the ratio TS / Python.

    uv run python bench/js_core.py [--cases 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import age, canonical, sealed, wire  # noqa: E402
from sync.conflicts import conflicts  # noqa: E402
from sync.keys import DeviceKeys, ServerKeys, signing_public  # noqa: E402
from sync.laws import Rules  # noqa: E402
from sync.merge import apply  # noqa: E402
from sync.ops import decode_ops  # noqa: E402
from tests.conformance import gen_merge_corpus  # noqa: E402


def python_rate(data: bytes, rounds: int) -> tuple[int, float]:
    corpus = msgspec.msgpack.decode(data)
    cases = []
    for c in corpus["cases"]:
        if c.get("error"):
            continue
        r = c["rules"]
        rules = Rules(
            immutable=frozenset(r["immutable"]),
            append_only_choices=frozenset(r["append_only_choices"]),
            groups=frozenset(r["groups"]),
            append_only_groups=frozenset(r["append_only_groups"]),
            item_keys={g: tuple(k) for g, k in r["item_keys"].items()},
            order_by=r["order_by"],
        )
        cases.append((rules, decode_ops(c["ops"]), c["deliveries"][0]))
    ops = sum(len(order) for _, _, order in cases)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for rules, case_ops, order in cases:
            record = None
            for i, suspect in order:
                record = apply(record, case_ops[i], suspect=suspect, rules=rules)
            assert record is not None
            canonical.record_bytes(record)
            conflicts(record)
        times.append(time.perf_counter() - t0)
    return ops, ops / statistics.median(times)


def _median(job: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        job()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sealing_input(data: bytes) -> tuple[bytes, dict[str, object]]:
    """The sealing workload (msgpack for bench_sealed.mjs) and the Python side's keys."""
    corpus = msgspec.msgpack.decode(data)
    enc = msgspec.msgpack.Encoder()
    op_blobs: list[bytes] = []
    bodies = []
    for c in corpus["cases"]:
        if c.get("error"):
            continue
        blobs = [enc.encode(op) for op in decode_ops(c["ops"])]
        op_blobs += blobs
        bodies.append(enc.encode([msgspec.Raw(b) for b in blobs]))
    server = ServerKeys.generate(hybrid=True)
    x25519 = age.generate_x25519()
    device = DeviceKeys.generate()
    recipient = device.public().encryption_recipient
    pulls = []
    for n, start in enumerate(range(0, len(op_blobs), 500)):
        page = wire.PullPage(
            ops=[msgspec.Raw(b) for b in op_blobs[start : start + 500]],
            cursor=start + 500,
            more=True,
            server_time_ms=1_700_000_000_000,
        )
        pulls.append(
            sealed.seal_pull(
                wire.encode(page),
                device_id="dev-1",
                cursor=n,
                device_recipient=recipient,
                server_signing_key=server.signing_key,
                server_key_id=server.signing_key_id,
            )
        )
    keys: dict[str, object] = {
        "server": server,
        "x_recipient": str(x25519.recipient()),
        "device": device,
    }
    payload = enc.encode(
        {
            "bodies": bodies,
            "pq_recipient": server.current.recipient,
            "x_recipient": keys["x_recipient"],
            "pulls": pulls,
            "device_identity": device.encryption.export_secret(),
            "server_public": signing_public(server.signing_key),
        }
    )
    return payload, {**keys, "bodies": bodies, "pulls": pulls}


def python_sealing(work: dict[str, object], rounds: int) -> dict[str, float]:
    bodies: list[bytes] = work["bodies"]  # type: ignore[assignment]
    pulls: list[bytes] = work["pulls"]  # type: ignore[assignment]
    server: ServerKeys = work["server"]  # type: ignore[assignment]
    device: DeviceKeys = work["device"]  # type: ignore[assignment]
    server_public = signing_public(server.signing_key)
    out = {}
    for name, recipient in (
        ("seal_pq", server.current.recipient),
        ("seal_x25519", work["x_recipient"]),
    ):

        def seal_all(recipient: object = recipient) -> None:
            for seq, body in enumerate(bodies, start=1):
                sealed.seal_batch(
                    body,
                    device_id="dev-1",
                    batch_id="0190f1c2-8a3b-7c4d-9e5f-0a1b2c3d4e5f",
                    seq=seq,
                    device_signing_key=device.signing_key,
                    server_recipient=recipient,  # type: ignore[arg-type]
                    server_key_id="k",
                )

        out[name] = len(bodies) / _median(seal_all, rounds)

    def open_all() -> None:
        for raw in pulls:
            opened = sealed.open_pull(
                raw, identities=[device.encryption], server_public=server_public, device_id="dev-1"
            )
            wire.PULL_PAGE.decode(opened.payload)

    out["open_pull"] = len(pulls) / _median(open_all, rounds)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None:
        print("node is not installed; nothing to compare", file=sys.stderr)
        return 2
    data = gen_merge_corpus.generate(args.cases, seed=17)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "merge.msgpack"
        path.write_bytes(data)
        script = ROOT / "tests" / "conformance" / "bench_merge.mjs"
        done = subprocess.run(
            [node, str(script), str(path), str(args.rounds)],
            capture_output=True,
            text=True,
            check=True,
        )
        payload, work = sealing_input(data)
        sealing = Path(tmp) / "sealing.msgpack"
        sealing.write_bytes(payload)
        done_sealing = subprocess.run(
            [
                node,
                str(ROOT / "tests" / "conformance" / "bench_sealed.mjs"),
                str(sealing),
                str(args.rounds),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    ts = json.loads(done.stdout)
    ts_seal = json.loads(done_sealing.stdout)
    ops, py = python_rate(data, args.rounds)
    py_seal = python_sealing(work, args.rounds)
    assert ops == ts["ops"], (ops, ts["ops"])
    print(f"merge corpus: {args.cases} cases, {ops} ops, median of {args.rounds} rounds")
    print(f"  Python (sync.merge):         {py:,.0f} ops/s")
    print(
        f"  TypeScript (Node {subprocess.check_output([node, '--version'], text=True).strip()}):"
        f" {ts['ops_per_s']:,.0f} ops/s"
    )
    print(f"  ratio TypeScript / Python:   {ts['ops_per_s'] / py:.2f}")
    batches, mib = ts_seal["batches"], ts_seal["body_bytes"] / 2**20
    print(
        f"sealing: {batches} batches ({mib:.1f} MiB of ops), {ts_seal['pulls']} pull pages "
        f"({ts_seal['pull_bytes'] / 2**20:.1f} MiB), median of {args.rounds} rounds; "
        f"TypeScript signs with a WebCrypto key: {ts_seal['webcrypto_signing']}"
    )
    labels = {
        "seal_pq": "seal batch, mlkem768x25519",
        "seal_x25519": "seal batch, X25519",
        "open_pull": "open pull page, X25519",
    }
    for name, label in labels.items():
        unit = "pages/s" if name == "open_pull" else "batches/s"
        t_rate = ts_seal[name]["per_s"]
        print(
            f"  {label:30} Python {py_seal[name]:9,.0f} {unit}   TypeScript {t_rate:9,.0f} {unit}"
            f"   TS / Python {t_rate / py_seal[name]:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
