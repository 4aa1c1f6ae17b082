"""The synthetic field workload the benchmarks share: new site_grave records, by device."""

from __future__ import annotations

import time

from sync.client import uuid7
from sync.ops import Create, Dot, Op


def site_code(n: int) -> str:
    """A distinct valid site code (2 letters, 4 digits) for each n below 6.76 million."""
    letters = chr(65 + (n // 10_000) % 26) + chr(65 + (n // 260_000) % 26)
    return f"{letters}-{n % 10_000:04d}"


def graves(actor: str, first_counter: int, n: int, first_code: int | None = None) -> list[Op]:
    """n Creates of new site_grave records by one device, counters from `first_counter`."""
    now = time.time_ns() // 1_000_000
    codes = first_counter if first_code is None else first_code
    return [
        Create(
            dot=Dot(actor=actor, counter=first_counter + i),
            record_id=uuid7(),
            form="site_grave@1",
            hlc=(now << 16) + i,
            context={},
            wall_time=now,
            fields={
                "site_code": site_code(codes + i),
                "grave_no": i + 1,
                "legal_authority_ref": "Court order 17/2026",
                "grave_type": "mass",
                "deposition": "primary",
                "datum_point": {"lat": 40.1 + i * 1e-6, "lon": 46.9, "h_acc_m": 2.0},
                "status": "excavating",
                "max_depth_m": 1.5,
            },
        )
        for i in range(n)
    ]
