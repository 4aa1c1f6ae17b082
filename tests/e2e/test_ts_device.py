"""The TypeScript device core on the wire, against a real `cairn serve`.

A Node process on the built core (tests/e2e/ts_device.mjs) enrolls with a one-time code
(its keys non-extractable WebCrypto keys), seals and pushes batches, verifies the signed
receipts, pulls and opens sealed pages. It and a Python device edit the same record
concurrently, offline; after both push and pull, the server and both devices hold the
same record, compared as canonical record bytes (sync.canonical), conflict included.
Then the server rotates its batch key: a batch the TypeScript device sealed before the
rotation is still accepted, the device learns the new key from a pull page and seals
its next batch to it; a batch altered in transit is refused with Python's error code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.datadir import open_data_dir
from server.store import sync_tables as st
from sync import canonical
from sync.client import Device
from sync.keys import ServerKeys
from sync.record import Record
from tests.conformance.gen_merge_corpus import rules_data
from tests.conformance.node import BUILD, node_or_skip
from tests.e2e.harness import PROJECT, ServerProcess
from tests.examples import GRAVE

SCRIPT = Path(__file__).with_name("ts_device.mjs")
_RECORD = msgspec.msgpack.Decoder(Record)


class TsDevice:
    """The Node device: one JSON command per line in, one JSON answer per line out."""

    def __init__(self, node: str) -> None:
        self.proc = subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the TypeScript device exited: {self.proc.stderr and self.proc.stderr.read()}"
        answer: dict[str, Any] = json.loads(line)
        assert answer.pop("ok"), answer
        return answer

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def ts_device() -> Iterator[Callable[[], TsDevice]]:
    node = node_or_skip()
    assert BUILD.exists(), "the committed build is missing: run (cd web/core && npm run build)"
    made: list[TsDevice] = []

    def make() -> TsDevice:
        device = TsDevice(node)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


def _hex(values: dict[str, Any]) -> str:
    return msgspec.msgpack.encode(values).hex()


def _server_record(server: ServerProcess, record_id: str) -> bytes:
    opened = open_data_dir(server.data, create=False)
    try:
        row = st.get_record(opened.store.reader(), PROJECT, record_id)
        assert row is not None, f"the server does not hold {record_id}"
        return canonical.record_bytes(_RECORD.decode(row.state))
    finally:
        opened.store.close()


def _python_record(device: Device, record_id: str) -> bytes:
    return canonical.record_bytes(device.record(record_id))


def _ts_record(device: TsDevice, record_id: str) -> bytes:
    answer = device.call("record", record_id=record_id)
    assert answer["bytes"] is not None, f"the TypeScript device does not hold {record_id}"
    return bytes.fromhex(answer["bytes"])


def test_typescript_and_python_devices_converge_through_a_real_server(
    make_server: Callable[[str], ServerProcess],
    make_device: Callable[[str, ServerProcess], Device],
    ts_device: Callable[[], TsDevice],
) -> None:
    server = make_server("ts")
    py = make_device("py", server)
    ts = ts_device()
    form = py.form("site_grave").ref
    rules = {form: rules_data(py.rules(form))}
    info = ts.call("enroll", url=server.url, code=server.enroll_code(), label="ts", rules=rules)
    assert info["project"] == PROJECT
    # Node has Ed25519 and X25519 in WebCrypto: both private keys stay non-extractable.
    assert info["signing_extractable"] is False and info["encryption_extractable"] is False
    assert info["batch_key_id"] == py.store.get_str("batch_key_id")

    # The TypeScript device records, seals, pushes; the receipt verifies in TypeScript.
    record_id = ts.call("new", form=form, fields=_hex(GRAVE))["record_id"]
    pushed = ts.call("push")["receipts"]
    assert [(r["seq"], r["accepted_ops"], r["refused"]) for r in pushed] == [(1, 1, [])]
    py.pull()
    assert _python_record(py, record_id) == _ts_record(ts, record_id)

    # Both edit the record offline, concurrently: the same field to different values
    # (a conflict both must keep) and one field each.
    py.edit(record_id, {"status": "closed", "length_m": 2.5})
    ts.call("edit", record_id=record_id, fields=_hex({"status": "backfilled", "mni_estimate": 4}))
    assert py.push().batches == 1
    pushed = ts.call("push")["receipts"]
    assert [(r["seq"], r["accepted_ops"], r["refused"]) for r in pushed] == [(2, 1, [])]
    py.pull()
    ts.call("pull")

    on_server = _server_record(server, record_id)
    assert _python_record(py, record_id) == on_server
    assert _ts_record(ts, record_id) == on_server
    record = _RECORD.decode(msgspec.msgpack.encode(py.record(record_id)))
    assert record.fields["status"].conflict  # kept, not silently overwritten
    assert record.fields["length_m"].live and record.fields["mni_estimate"].live
    assert ts.call("record", record_id=record_id)["conflicts"] == ["status"]

    # Key rotation: a batch sealed before it still counts; the next goes to the new key.
    old_key = info["batch_key_id"]
    late = ts.call("new", form=form, fields=_hex({**GRAVE, "site_code": "DSH-02"}))["record_id"]
    assert ts.call("seal")["key_id"] == old_key
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "admin", "rotate-keys", "--data", str(server.data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    new_key = ServerKeys.load(server.data / "keys").current.key_id
    assert new_key != old_key
    assert ts.call("pull")["batch_key_id"] == new_key
    fresh = ts.call("new", form=form, fields=_hex({**GRAVE, "site_code": "DSH-03"}))["record_id"]
    pushed = ts.call("push")["receipts"]
    assert [(r["seq"], r["key_id"], r["accepted_ops"]) for r in pushed] == [
        (3, old_key, 1),
        (4, new_key, 1),
    ]
    assert all(r["missing_seqs"] == [] and r["refused"] == [] for r in pushed)
    py.pull()
    for rid in (late, fresh):
        assert _python_record(py, rid) == _server_record(server, rid) == _ts_record(ts, rid)

    # A batch altered in transit is refused with the code of sync/errors.py.
    refused = ts.call("push_tampered")
    assert (refused["status"], refused["refused"]) == (422, "tampered_payload")
