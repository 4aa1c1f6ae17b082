"""The server's wall clock, in one place so tests and ingest agree on its unit (ms)."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000
