"""Merge throughput of the TypeScript device core (Node) against the Python core, same corpus.

The merge corpus (tests/conformance/gen_merge_corpus.py) is folded by both cores in the
same run: every case's ops in their first delivery order, with the record's rules, then
the record's canonical bytes and its conflicts, as a device does after a pull. Both take
the median of ROUNDS rounds; the figure is ops per second and the ratio TS / Python.

    uv run python bench/js_core.py [--cases 2000] [--rounds 5]

Sealing throughput is not measured yet: the TypeScript core has no sealed batches yet
(bench/README.md, "TypeScript core").
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

from sync import canonical  # noqa: E402
from sync.conflicts import conflicts  # noqa: E402
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
    ts = json.loads(done.stdout)
    ops, py = python_rate(data, args.rounds)
    assert ops == ts["ops"], (ops, ts["ops"])
    print(f"merge corpus: {args.cases} cases, {ops} ops, median of {args.rounds} rounds")
    print(f"  Python (sync.merge):         {py:,.0f} ops/s")
    print(
        f"  TypeScript (Node {subprocess.check_output([node, '--version'], text=True).strip()}):"
        f" {ts['ops_per_s']:,.0f} ops/s"
    )
    print(f"  ratio TypeScript / Python:   {ts['ops_per_s'] / py:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
