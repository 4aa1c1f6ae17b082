"""records.csv and records.geojson over HTTP against their floor, in the same run.

Run: ``uv run python bench/downloads.py [--records 100000] [--rounds 3]``.

- build (not timed): `bench/export.py`'s builder stores synthetic graves (a create and
  three edits each) through the real ingest path; then a real `cairn serve` on 127.0.0.1
  serves the data directory.
- download: a supervisor's `GET /v1/projects/{code}/records.csv?form=site_grave` and
  `records.geojson`, the whole body read by httpx (first call and later calls alike:
  nothing is cached between calls). Timed once the server's view builder has made every
  record's render (`server.export.renders`: it makes them in the background after records
  change, here after the server starts on the stored project; the bench waits for it and
  prints how long it took); a last line per download times it with every render deleted
  (a download right after a bulk change renders each record itself).
- floor, one process, the same data: one query over the same record rows; each state
  decoded once, as the download decodes it (only the part of the state a table or map
  shows: `sync.shown`, via `formats.entries`); a CSV line per record written with the
  standard `csv` module into one buffer (cells as the download's:
  `server.export.formats.table_row`), or one msgspec encode per GeoJSON feature. The
  floor's bytes are checked equal to the download's, so both did the same work. The
  floor of before the partial decode (each state decoded whole) is timed and printed
  beside it as "full-decode floor" (2026-12-04).

Rounds alternate download and floor; each ratio is median floor time / median download
time (1.0 = as fast as the floor). Targets (issue 22 item 5): each download of 100,000
records in at most 2 s (scaled to --records) and at least 0.5 of its floor; memory stays
flat: the server's peak RSS during each download (reset before it through
/proc/PID/clear_refs) within 1.25x of its peak for the same download of a --small project
(10,000 graves by default, built and served first). Each download prints a verdict line
per target, and a last line says whether the item is met.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.export import PROJECT, Builder
from server import admin
from server.datadir import open_data_dir
from server.export import formats
from server.store import renders as renders_table
from server.store.sync_tables import RecordRow, record_row
from tests.e2e.harness import ServerProcess


def _rss_kb(pid: int, key: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _wait_renders(data: Path, limit_s: float = 600.0) -> tuple[int, float]:
    """Wait until the server's view builder has made every record's render (it starts on
    the records already stored when the server starts); return (records, seconds)."""
    conn = sqlite3.connect(data / "cairn.db", timeout=30)
    try:
        start = time.perf_counter()
        while renders_table.behind(conn) and time.perf_counter() - start < limit_s:
            time.sleep(0.1)
        if renders_table.behind(conn):
            raise SystemExit(f"the renders were not made within {limit_s:.0f} s")
        (made,) = conn.execute("SELECT COUNT(*) FROM record_renders").fetchone()
        return int(made), time.perf_counter() - start
    finally:
        conn.close()


def _drop_renders(data: Path) -> None:
    """Delete every render (their cursors stay: the builder does not make them again)."""
    conn = sqlite3.connect(data / "cairn.db", timeout=30, isolation_level=None)
    try:
        conn.execute("DELETE FROM record_renders")
    finally:
        conn.close()


def _reset_peak(pid: int) -> bool:
    """Start the process's peak RSS afresh (Linux: 5 > /proc/PID/clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# "Memory stays flat": a download's server peak RSS at the full size within this factor of
# its peak at the small size (--small), whatever the project's size.
FLAT = 1.25


def _small_peaks(records: int) -> dict[str, float]:
    """Each download's server peak RSS (MiB) on a project of `records` graves."""
    with tempfile.TemporaryDirectory() as tmp:
        builder = Builder(Path(tmp))
        builder.grow(records * 4)
        token = admin.issue_token(builder.data.store, "supervisor", PROJECT, "bench").token
        builder.data.store.close()
        server = ServerProcess(Path(tmp) / "data")
        server.start()
        try:
            assert server.proc is not None
            _wait_renders(Path(tmp) / "data")
            client = httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=300
            )
            peaks = {}
            for name in ("records.csv", "records.geojson"):
                _reset_peak(server.proc.pid)
                client.get(f"/v1/projects/{PROJECT}/{name}?form=site_grave").raise_for_status()
                peaks[name] = _rss_kb(server.proc.pid) / 1024
            return peaks
        finally:
            server.stop()


def _floor_rows(data: Path, *, full: bool = False) -> Callable[[], Iterator[formats.RecordEntry]]:
    opened = open_data_dir(data, create=False)
    conn = opened.store.reader()

    def rows() -> Iterator[formats.RecordEntry]:
        found = conn.execute(
            f"SELECT {', '.join(RecordRow.__struct_fields__)} FROM records"
            " WHERE project = ? AND form_id = 'site_grave' ORDER BY record_id",
            (PROJECT,),
        )
        entries = formats.entries(map(record_row, found), opened.forms)
        return map(_decoded, entries) if full else entries

    return rows


def _decoded(entry: formats.RecordEntry) -> formats.RecordEntry:
    """The entry once its whole state is decoded too (the full-decode floor)."""
    assert entry.record.id == entry.shown.id
    return entry


def csv_floor(
    entries: Callable[[], Iterator[formats.RecordEntry]], spec: formats.TableSpec
) -> bytes:
    """Read the rows, decode each, write every line with one csv.writer."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(spec.header)
    for entry in entries():
        writer.writerows(formats.table_row(spec, entry))
    return buf.getvalue().encode()


def geojson_floor(entries: Callable[[], Iterator[formats.RecordEntry]]) -> bytes:
    """Read the rows, decode each, one msgspec encode per feature."""
    return b"".join(formats.geojson_collection(entries()))


def _timed(call: Callable[[], bytes]) -> tuple[float, bytes]:
    start = time.perf_counter()
    body = call()
    return time.perf_counter() - start, body


def main() -> None:
    """Build, serve, then alternate download and floor."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--small",
        type=int,
        default=10_000,
        help="also serve a project of this many graves and compare each download's server"
        " peak RSS with it (0: skip)",
    )
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    small = _small_peaks(args.small) if args.small else {}
    with tempfile.TemporaryDirectory() as tmp:
        builder = Builder(Path(tmp))
        builder.grow(args.records * 4)
        token = admin.issue_token(builder.data.store, "supervisor", PROJECT, "bench").token
        forms = builder.data.forms
        builder.data.store.close()
        spec = next(s for s in formats.form_tables(forms, "site_grave") if s.group is None)
        entries = _floor_rows(Path(tmp) / "data")
        full = _floor_rows(Path(tmp) / "data", full=True)
        server = ServerProcess(Path(tmp) / "data")
        server.start()
        try:
            assert server.proc is not None
            client = httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=300
            )
            base = f"/v1/projects/{PROJECT}"
            shapes = {
                "records.csv": (
                    lambda: client.get(f"{base}/records.csv?form=site_grave").content,
                    lambda: csv_floor(entries, spec),
                    lambda: csv_floor(full, spec),
                ),
                "records.geojson": (
                    lambda: client.get(f"{base}/records.geojson?form=site_grave").content,
                    lambda: geojson_floor(entries),
                    lambda: geojson_floor(full),
                ),
            }
            print(f"project: {args.records:,} graves, {builder.ops:,} ops")
            made, took = _wait_renders(Path(tmp) / "data")
            print(
                f"renders made ahead: {made:,} records in {took:.1f} s after the server"
                " started (its view builder, in the background)"
            )
            print(f"server peak RSS before: {_rss_kb(server.proc.pid) / 1024:.0f} MiB")
            idle = _rss_kb(server.proc.pid, "VmRSS") / 1024
            verdicts = []
            got_by: dict[str, list[float]] = {}
            for name, (download, floor, full_floor) in shapes.items():
                fresh = _reset_peak(server.proc.pid)
                got: list[float] = []
                base_times: list[float] = []
                full_times: list[float] = []
                for n in range(args.rounds):
                    took, body = _timed(download)
                    got.append(took)
                    took, expected = _timed(floor)
                    base_times.append(took)
                    assert body == expected, f"{name}: the floor wrote different bytes"
                    took, expected = _timed(full_floor)
                    full_times.append(took)
                    assert body == expected, f"{name}: the full-decode floor wrote different bytes"
                    print(
                        f"  {name} round {n + 1}: download {got[-1]:.2f} s,"
                        f" floor {base_times[-1]:.2f} s, full-decode floor {took:.2f} s"
                    )
                got_by[name] = got
                d, f = statistics.median(got), statistics.median(base_times)
                g = statistics.median(full_times)
                print(
                    f"{name:<16} {len(body) / 1e6:6.1f} MB  download {d:5.2f} s"
                    f" ({args.records / d:,.0f} records/s)  floor {f:5.2f} s  ratio {f / d:4.2f}"
                    f"  (full-decode floor {g:5.2f} s, ratio {g / d:4.2f})"
                )
                # Issue 22 item 5: <= 2 s per 100,000 records, >= 0.5 of the floor, memory
                # flat (the server's peak during this download, against --small's).
                peak = _rss_kb(server.proc.pid) / 1024
                budget = 2.0 * args.records / 100_000
                seen = "" if fresh else " (peak since start: clear_refs refused)"
                print(
                    f"{name:<16} server peak RSS {peak:.0f} MiB{seen}"
                    f" (idle {idle:.0f} MiB before the downloads)"
                    + (f"; {small[name]:.0f} MiB at {args.small:,} graves" if small else "")
                )
                fast = d <= budget
                near = f / d >= 0.5
                flat = peak <= small[name] * FLAT if small else None
                met = fast and near and flat is not False
                verdicts.append(met)
                print(
                    f"{name:<16} target: {d:5.2f} s against {budget:.2f} s"
                    f" (2 s per 100,000 records): {'met' if fast else 'not met'};"
                    f" floor ratio {f / d:4.2f} >= 0.50: {'met' if near else 'not met'};"
                    + (
                        f" peak RSS within {FLAT}x of {args.small:,} graves':"
                        f" {'met' if flat else 'not met'}"
                        if small
                        else " memory: not compared (--small 0)"
                    )
                    + f" => {'MET' if met else 'NOT MET'}"
                )
            print(f"issue 22 item 5 (downloads): {'met' if all(verdicts) else 'not met'}")
            # Secondary: a download before the builder has made the renders (right after
            # a bulk change), which renders every record itself.
            _drop_renders(Path(tmp) / "data")
            for name, (download, floor, _) in shapes.items():
                cold: list[float] = []
                for _ in range(args.rounds):
                    took, body = _timed(download)
                    cold.append(took)
                assert body == floor(), f"{name}: the download without renders differs"
                c = statistics.median(cold)
                print(
                    f"{name:<16} without renders (every record rendered in the request):"
                    f" {c:5.2f} s, {c / statistics.median(got_by[name]):4.2f}x the download"
                    " with them"
                )
            print(f"server peak RSS after: {_rss_kb(server.proc.pid) / 1024:.0f} MiB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
