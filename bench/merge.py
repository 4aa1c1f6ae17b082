"""Merge throughput against plain typed msgspec decoding of the same ops.

Run: ``uv run python bench/merge.py``. Builds 10,000 records of 5 ops each (a create and
four patches from two devices, one pair concurrent), then measures in one run:

- decode: ``sync.ops.decode_ops`` of the msgpack batch (the floor's typed decode);
- materialize: ``sync.merge.materialize`` of every record;
- apply: 100,000 ops folded one by one with ``sync.merge.apply`` (the server's ingest path),
  interleaved across records as batches would arrive.

Figures are printed as ops/s and as ratios to the decode rate measured in the same run.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from sync.merge import apply, materialize
from sync.ops import Create, Dot, Op, Patch, decode_ops, encode_ops
from sync.record import Record

RECORDS = 10_000
T0 = 1_750_000_000_000


def record_ops(n: int) -> list[Op]:
    """Five ops of one record: create, two edits by A, one concurrent edit by B, one merge."""
    rid = f"0190f1c2-0000-7000-8000-{n:012d}"
    base = {"record_id": rid, "form": "site_grave@1", "wall_time": T0}

    def dot(actor: str, counter: int) -> Dot:
        return Dot(actor=actor, counter=counter)

    return [
        Create(
            dot=dot("tab-a", 1),
            hlc=(T0 + 1) << 16,
            context={},
            **base,
            fields={"grave_id": f"G-{n}", "max_depth_m": 1.2, "grave_type": "single"},
        ),
        Patch(
            dot=dot("tab-a", 2),
            hlc=(T0 + 2) << 16,
            context={"tab-a": 1},
            **base,
            fields={"max_depth_m": 1.5},
        ),
        Patch(
            dot=dot("tab-b", 1),
            hlc=(T0 + 3) << 16,
            context={"tab-a": 1},
            **base,
            fields={"max_depth_m": 1.7, "notes": "soil change at 1.4 m"},
        ),
        Patch(
            dot=dot("tab-a", 3),
            hlc=(T0 + 4) << 16,
            context={"tab-a": 2},
            **base,
            fields={"grave_type": "mass"},
        ),
        Patch(
            dot=dot("tab-b", 2),
            hlc=(T0 + 5) << 16,
            context={"tab-a": 3, "tab-b": 1},
            **base,
            fields={"notes": "two bodies visible"},
        ),
    ]


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, with the garbage collector paused."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return best


def main() -> None:
    """Run the three measurements and print rates and ratios."""
    per_record = [record_ops(n) for n in range(RECORDS)]
    interleaved = [ops[i] for i in range(5) for ops in per_record]  # arrival order
    total = len(interleaved)
    payload = encode_ops(interleaved)

    def fold_all() -> None:
        records: dict[str, Record] = {}
        for _ in range(100_000 // total):
            records.clear()
            for op in interleaved:
                records[op.record_id] = apply(records.get(op.record_id), op)

    decode = total / timed(lambda: decode_ops(payload))
    mat = total / timed(lambda: [materialize(ops) for ops in per_record])
    inc = 100_000 / timed(fold_all)
    print(f"ops: {total} ({RECORDS} records x 5); payload {len(payload) / total:.0f} B/op")
    print(f"typed msgspec decode : {decode:>12,.0f} ops/s   1.000")
    print(f"materialize          : {mat:>12,.0f} ops/s   {mat / decode:.3f} of decode")
    print(f"apply (incremental)  : {inc:>12,.0f} ops/s   {inc / decode:.3f} of decode")


if __name__ == "__main__":
    main()
