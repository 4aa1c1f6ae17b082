"""What `GET /metrics` tells a monitoring host, in the Prometheus text format.

Counters and histograms are kept in memory by the running server (they start at zero
with each `cairn serve`, as Prometheus expects of a process); sizes are read from the
data directory at each scrape. No series carries a field value, an identifier, a token or
a device id: labels are stable refusal codes, export kinds and project codes only.

Each app has its own registry (tests and the demo run several apps in one process).
With `cairn serve --workers N` (N > 1) every worker counts into its own file of the
runtime directory (prometheus_client's multiprocess mode, server/runtime.py) and a scrape,
whichever worker answers it, sums them all; the writer queue's depth is then each worker's
own, summed too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from server.store import Store

# No `*_created` series beside each counter: Prometheus finds restarts by counter resets.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The Prometheus text format 0.0.4: what every Prometheus release (and Debian's) reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

_INGEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_EXPORT_BUCKETS = (0.05, 0.25, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class Metrics:
    """The server's counters, histograms and scrape-time sizes."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.multiprocess_dir = multiprocess_dir
        self.queue_depth: Gauge | None = None
        if multiprocess_dir is not None:
            if values.ValueClass is values.MutexValue:
                raise RuntimeError(
                    "metrics shared between workers need PROMETHEUS_MULTIPROC_DIR set before "
                    "prometheus_client is imported (cairn serve --workers sets it)"
                )
            # What a scrape answers: every worker's files, summed, and the sizes.
            self.exposed = CollectorRegistry()
            MultiProcessCollector(self.exposed, str(multiprocess_dir))  # type: ignore[no-untyped-call]
            self.queue_depth = Gauge(
                "cairn_writer_queue_depth",
                "Write transactions holding or waiting for the database's single writer",
                registry=None,
                multiprocess_mode="livesum",
            )
        else:
            self.exposed = r
        self.batches_accepted = Counter(
            "cairn_batches_accepted", "Sealed batches stored, with their receipt", registry=r
        )
        self.batches_replayed = Counter(
            "cairn_batches_replayed",
            "Batches pushed again with the same bytes (the stored receipt is sent back)",
            registry=r,
        )
        self.batches_refused = Counter(
            "cairn_batches_refused",
            "Batches refused whole, by the error code the device was answered",
            ["reason"],
            registry=r,
        )
        self.ops_accepted = Counter(
            "cairn_ops_accepted", "Ops stored from accepted batches", registry=r
        )
        self.ops_refused = Counter(
            "cairn_ops_refused",
            "Ops of accepted batches refused, by code; kept=true: stored, but the record's "
            "rules refuse their effect (listed in the receipt)",
            ["reason", "kept"],
            registry=r,
        )
        self.ingest_seconds = Histogram(
            "cairn_ingest_seconds",
            "Time to answer a pushed batch (open, check, store, sign the receipt)",
            ["outcome"],
            buckets=_INGEST_BUCKETS,
            registry=r,
        )
        self.pull_pages = Counter(
            "cairn_pull_pages", "Sealed pages of ops sent to pulling devices", registry=r
        )
        self.pulls_refused = Counter(
            "cairn_pulls_refused", "Pull requests refused, by error code", ["reason"], registry=r
        )
        self.export_seconds = Histogram(
            "cairn_export_seconds",
            "Time from request to last byte of completed exports and downloads, by kind",
            ["kind"],
            buckets=_EXPORT_BUCKETS,
            registry=r,
        )
        self.failed_logins = Counter(
            "cairn_failed_logins",
            "Requests refused for their token (API, console sign-in, /metrics), by code",
            ["where", "reason"],
            registry=r,
        )

    def bind(self, store: Store) -> None:
        """Read sizes from this store at each scrape."""
        gauge = self.queue_depth
        if gauge is not None:
            store.on_depth = gauge.set
        self.exposed.register(_StoreSizes(store, queue_depth=gauge is None))

    def render(self) -> bytes:
        """The exposition, in the Prometheus text format."""
        return generate_latest(self.exposed)

    def batch_done(self, outcome: str, seconds: float, reason: str | None = None) -> None:
        """One push answered: `accepted`, `replayed` or `refused` (with its error code)."""
        if outcome == "accepted":
            self.batches_accepted.inc()
        elif outcome == "replayed":
            self.batches_replayed.inc()
        else:
            self.batches_refused.labels(reason=reason or "unknown").inc()
        self.ingest_seconds.labels(outcome=outcome).observe(seconds)

    def ops_stored(self, accepted: int, refused: Iterable[str], kept: Iterable[str]) -> None:
        """An accepted batch's ops: how many stored, the codes of those refused."""
        self.ops_accepted.inc(accepted)
        for code in refused:
            self.ops_refused.labels(reason=code, kept="false").inc()
        for code in kept:
            self.ops_refused.labels(reason=code, kept="true").inc()

    def failed_login(self, where: str, reason: str) -> None:
        """A token refused (or a locked-out address) at `api`, `console` or `metrics`."""
        self.failed_logins.labels(where=where, reason=reason).inc()

    def timed(
        self, kind: str, chunks: Iterator[bytes], started: float | None = None
    ) -> Iterator[bytes]:
        """Pass a download's chunks through; observe its duration (from `started`, a
        `time.perf_counter()`, or the first chunk asked for) once the last is sent."""
        if started is None:
            started = time.perf_counter()
        yield from chunks
        self.export_seconds.labels(kind=kind).observe(time.perf_counter() - started)


class _StoreSizes(Collector):
    """Sizes read at scrape time: writer queue, quarantine, database, attachments."""

    def __init__(self, store: Store, *, queue_depth: bool = True) -> None:
        self.store = store
        self.queue_depth = queue_depth  # False: a multiprocess gauge counts it instead

    def collect(self) -> Iterator[Metric]:
        store = self.store
        if self.queue_depth:
            yield GaugeMetricFamily(
                "cairn_writer_queue_depth",
                "Write transactions holding or waiting for the database's single writer",
                value=store.writers_waiting,
            )
        conn = store.reader()
        items = GaugeMetricFamily(
            "cairn_quarantine_items",
            "Refused batches and ops kept in a project's quarantine",
            labels=["project"],
        )
        held = GaugeMetricFamily(
            "cairn_quarantine_bytes",
            "Bytes kept in a project's quarantine, as received",
            labels=["project"],
        )
        stray_items, stray_bytes = 0, 0
        for project, count, size in conn.execute(
            "SELECT project, COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM quarantine"
            " GROUP BY project"
        ):
            if project is None:
                stray_items, stray_bytes = count, size
            else:
                items.add_metric([project], count)
                held.add_metric([project], size)
        yield items
        yield held
        yield GaugeMetricFamily(
            "cairn_stray_quarantine_items",
            "Batches no enrolled device signed, kept in the server-level quarantine",
            value=stray_items,
        )
        yield GaugeMetricFamily(
            "cairn_stray_quarantine_bytes",
            "Bytes kept in the server-level quarantine",
            value=stray_bytes,
        )
        yield GaugeMetricFamily(
            "cairn_database_bytes",
            "Size of the SQLite database file and its write-ahead log",
            value=_size(store.path) + _size(Path(f"{store.path}-wal")),
        )
        (blobs, blob_bytes) = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM attachment_blobs"
        ).fetchone()
        (sealed_bytes,) = conn.execute(
            "SELECT COALESCE(SUM(sealed_size), 0) FROM attachment_uploads"
        ).fetchone()
        stored = GaugeMetricFamily(
            "cairn_attachment_bytes",
            "Bytes of the attachment store: decrypted files (blobs) and uploads as received "
            "(sealed)",
            labels=["kind"],
        )
        stored.add_metric(["blobs"], blob_bytes)
        stored.add_metric(["sealed"], sealed_bytes)
        yield stored
        yield GaugeMetricFamily(
            "cairn_attachment_files", "Distinct files held (by SHA-256)", value=blobs
        )


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
