"""Batch ingest over HTTP against the floor, measured in the same run.

Run: ``uv run python bench/ingest.py [--records 10000] [--batches 3]``.

- honest floor (issue 22): in one process, for one sealed 10,000-record batch, the least
  any server that keeps the same promises must do: age-decrypt, verify the signature,
  decode the ops (typed msgspec), validate each op's values against its form (the same
  `forms.validate` code), insert the ops under their unique (actor, counter) key, one
  consolidated record row per record (`sync.merge` of the op, encoded), the raw batch, a
  signed receipt, and one durable commit (synchronous=FULL).
- bare floor (secondary, the first floor this bench had): decrypt + verify + typed decode
  + one `executemany` of the ops into a table with no key, one commit. It leaves out work
  the server must do (no validation, no unique key, no record, no raw batch, no receipt),
  so its ratio cannot guide design; printed for comparison with earlier figures.
- ingest: a real `cairn serve` subprocess on 127.0.0.1; an enrolled device pushes batches
  of the same size over HTTP; timed from request to verified signed receipt. Each batch
  is verified, decrypted, decoded, validated against its form, stored (raw bytes, ops,
  attachment references, audit entry) in one transaction, and receipted; its records,
  identifiers and R*Tree are built after the commit (server/views.py). After each push a
  read of the records is timed (it waits for those views), and `cairn verify` runs at the end.

Prints records/s for each and the ratios last, each median against median (targets:
>= 0.7 of the honest floor, issue 22; >= 0.5 of the bare floor, DESIGN.md).
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workload import graves
from forms.library import builtin_library
from forms.validate import validate
from server.admin import issue_token
from server.datadir import open_data_dir
from server.materialize import encode_record
from server.verify import VerifyReport, verify
from sync import age, merge
from sync.client import Device, uuid7
from sync.ops import Op
from sync.receipt import Receipt, sign_receipt, verify_receipt
from sync.sealed import extract_signed_batch, seal_batch, verify_batch_signature
from tests.e2e.harness import PROJECT, ServerProcess, prepare

_OPS = msgspec.msgpack.Decoder(list[Op])  # type: ignore[arg-type]
_ENC = msgspec.msgpack.Encoder()


def floor(sealed: bytes, identities: dict[str, age.AnyIdentity], device_public: bytes) -> float:
    """Seconds for decrypt + signature check + typed decode + one executemany insert."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE ops (actor TEXT, counter INT, record_id TEXT, op BLOB)")
        start = time.perf_counter()
        signed = extract_signed_batch(sealed, identities)
        body = verify_batch_signature(signed, device_public).body
        raws = msgspec.msgpack.decode(body, type=list[msgspec.Raw])
        ops = _OPS.decode(body)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO ops VALUES (?, ?, ?, ?)",
            [
                (o.dot.actor, o.dot.counter, o.record_id, bytes(r))
                for o, r in zip(ops, raws, strict=True)
            ],
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed


_HONEST_SCHEMA = """
CREATE TABLE ops (cursor INTEGER PRIMARY KEY, actor TEXT NOT NULL, counter INTEGER NOT NULL,
    record_id TEXT NOT NULL, op BLOB NOT NULL, UNIQUE (actor, counter));
CREATE TABLE records (project TEXT NOT NULL, record_id TEXT NOT NULL, state BLOB NOT NULL,
    PRIMARY KEY (project, record_id));
CREATE TABLE batches (batch_id TEXT PRIMARY KEY, sealed BLOB NOT NULL, receipt BLOB NOT NULL);
"""


def honest_floor(
    sealed: bytes,
    identities: dict[str, age.AnyIdentity],
    device_public: bytes,
    signing_key: object,
) -> float:
    """Seconds for what every ingest keeping Cairn's promises must do (module docstring)."""
    forms = builtin_library()
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.executescript(_HONEST_SCHEMA)
        start = time.perf_counter()
        signed = extract_signed_batch(sealed, identities)
        body = verify_batch_signature(signed, device_public).body
        raws = msgspec.msgpack.decode(body, type=list[msgspec.Raw])
        ops = _OPS.decode(body)
        resolved = {}
        for op in ops:
            form = resolved.get(op.form) or resolved.setdefault(op.form, forms.resolve(op.form))
            validate(form, getattr(op, "fields", {}), partial=True)
        states = [("P", op.record_id, encode_record(merge.apply(None, op))) for op in ops]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO ops (actor, counter, record_id, op) VALUES (?, ?, ?, ?)",
            [
                (o.dot.actor, o.dot.counter, o.record_id, bytes(r))
                for o, r in zip(ops, raws, strict=True)
            ],
        )
        conn.executemany("INSERT INTO records VALUES (?, ?, ?)", states)
        receipt = sign_receipt(
            Receipt(
                batch_id="b",
                device_id="d",
                seq=1,
                sealed_sha256="0" * 64,
                received_at=0,
                audit_head="0" * 64,
                audit_seq=1,
                accepted_ops=len(ops),
            ),
            signing_key,  # type: ignore[arg-type]
            "k",
        )
        conn.execute("INSERT INTO batches VALUES (?, ?, ?)", ("b", sealed, receipt))
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed


def verify_data_dir(data: Path) -> VerifyReport:
    """`cairn verify` of the data directory (the server stopped)."""
    opened = open_data_dir(data, create=False)
    try:
        return verify(opened.store, opened.keys, opened.forms)
    finally:
        opened.store.close()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        prepare(data)
        server = ServerProcess(data)
        server.start()
        try:
            device = Device(Path(tmp) / "device")
            device.enroll(server.url, server.enroll_code(), label="bench")
            keys = device.keys()
            recipient = device.store.get_str("batch_recipient") or ""
            key_id = device.store.get_str("batch_key_id") or ""
            server_public = device.store.get_bytes("server_signing_public") or b""
            batches = []
            for b in range(args.batches + 1):
                ops = graves(device.device_id, 1 + b * args.records, args.records)
                body = _ENC.encode(ops)
                batches.append(
                    seal_batch(
                        body,
                        device_id=device.device_id,
                        batch_id=uuid7(),
                        seq=b + 1,
                        device_signing_key=keys.signing_key,
                        server_recipient=recipient,
                        server_key_id=key_id,
                    )
                )
            opened = open_data_dir(data, create=False)
            identities = opened.keys.batch_identities()
            signing_key = opened.keys.signing_key
            token = issue_token(opened.store, "admin", None, actor="bench", label="bench").token
            opened.store.close()
            gc.collect()
            device_public = keys.public().signing_public
            admin = {"Authorization": f"Bearer {token}"}
            lags: list[float] = []
            behind = 0
            floors: list[float] = []
            honest: list[float] = []
            times = []
            # Alternate floors and pushes so that a noisy neighbour hits each alike.
            with httpx.Client(base_url=server.url, timeout=300) as http:
                for sealed in batches[1:]:
                    floors.append(floor(batches[0], identities, device_public))
                    honest.append(honest_floor(batches[0], identities, device_public, signing_key))
                    start = time.perf_counter()
                    answer = http.post("/v1/device/batches", content=sealed)
                    answer.raise_for_status()
                    receipt = verify_receipt(answer.content, server_public)
                    times.append(time.perf_counter() - start)
                    assert receipt.accepted_ops == args.records, receipt.refused[:3]
                    # A read waits (up to 2 s) for the views of every op committed before it.
                    start = time.perf_counter()
                    read = http.get(f"/v1/projects/{PROJECT}/records?limit=1", headers=admin)
                    read.raise_for_status()
                    lags.append(time.perf_counter() - start)
                    behind += read.headers.get("cairn-views") != "current"
            device.close()
        finally:
            server.stop()
        report = verify_data_dir(data)
    floor_rate = args.records / statistics.median(floors)
    honest_rate = args.records / statistics.median(honest)
    ingest_rate = args.records / statistics.median(times)
    print(f"batch size: {args.records} records, {len(batches[0]) / 1e6:.1f} MB sealed")
    print(
        "honest floor (decrypt, verify, decode, validate, keyed ops, record rows, raw batch,"
        f" receipt, durable commit): {honest_rate:,.0f} records/s"
    )
    print(f"bare floor (decrypt, verify, typed decode, executemany): {floor_rate:,.0f} records/s")
    print(f"ingest over HTTP (median of {len(times)} batches): {ingest_rate:,.0f} records/s")
    print(
        f"views built after the receipt: read answered in {statistics.median(lags) * 1e3:.0f} ms"
        f" (median; max {max(lags) * 1e3:.0f} ms), {behind} of {len(lags)} reads behind;"
        f" cairn verify afterwards: {'ok' if report.ok else report.problems[:3]}"
    )
    print(f"ratio ingest/honest floor: {ingest_rate / honest_rate:.2f}  (target >= 0.70)")
    print(f"ratio ingest/bare floor: {ingest_rate / floor_rate:.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
