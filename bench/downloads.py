"""records.csv and records.geojson over HTTP against their floor, in the same run.

Run: ``uv run python bench/downloads.py [--records 100000] [--rounds 3]``.

- build (not timed): `bench/export.py`'s builder stores synthetic graves (a create and
  three edits each) through the real ingest path; then a real `cairn serve` on 127.0.0.1
  serves the data directory.
- download: a supervisor's `GET /v1/projects/{code}/records.csv?form=site_grave` and
  `records.geojson`, the whole body read by httpx (first call and later calls alike:
  nothing is cached between calls).
- floor, one process, the same data: one query over the same record rows; each state
  decoded once, as the download decodes it (only the part of the state a table or map
  shows: `sync.shown`, via `formats.entries`); a CSV line per record written with the
  standard `csv` module into one buffer (cells as the download's:
  `server.export.formats.table_row`), or one msgspec encode per GeoJSON feature. The
  floor's bytes are checked equal to the download's, so both did the same work. The
  floor of before the partial decode (each state decoded whole) is timed and printed
  beside it as "full-decode floor" (2026-12-04).

Rounds alternate download and floor; each ratio is median floor time / median download
time (1.0 = as fast as the floor). Targets (issue 22): each download of 100,000 records
in at most 2 s and at least 0.5 of its floor; memory stays flat (the server's peak RSS
is printed before and after).
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
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
from server.store.sync_tables import RecordRow, record_row
from tests.e2e.harness import ServerProcess


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


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
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
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
            print(f"server peak RSS before: {_rss_kb(server.proc.pid) / 1024:.0f} MiB")
            for name, (download, floor, full_floor) in shapes.items():
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
                d, f = statistics.median(got), statistics.median(base_times)
                g = statistics.median(full_times)
                print(
                    f"{name:<16} {len(body) / 1e6:6.1f} MB  download {d:5.2f} s"
                    f" ({args.records / d:,.0f} records/s)  floor {f:5.2f} s  ratio {f / d:4.2f}"
                    f"  (full-decode floor {g:5.2f} s, ratio {g / d:4.2f})"
                )
                # Issue 22 item 5: <= 2 s per 100,000 records, >= 0.5 of the floor.
                budget = 2.0 * args.records / 100_000
                verdict = "met" if d <= budget and f / d >= 0.5 else "not met"
                print(
                    f"{name:<16} target: {d:5.2f} s against {budget:.2f} s"
                    " (2 s per 100,000 records)"
                    f" (ratio {budget / d:4.2f}), floor ratio >= 0.50: {verdict}"
                )
            print(f"server peak RSS after: {_rss_kb(server.proc.pid) / 1024:.0f} MiB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
