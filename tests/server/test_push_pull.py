"""Push and pull through the HTTP API: receipts, replays, gaps, tampering, refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from litestar.testing import TestClient

from server.audit.chain import project_chain
from server.datadir import DataDir
from server.store import audit_log
from server.store import sync_tables as st
from sync import canonical, ops
from sync.client import Device, Refused
from sync.receipt import verify_receipt
from tests.examples import GRAVE
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]


def _snapshot(data: DataDir) -> tuple[object, ...]:
    conn = data.store.reader()
    return (
        conn.execute("SELECT record_id, state FROM records ORDER BY record_id").fetchall(),
        conn.execute("SELECT COUNT(*) FROM ops").fetchone(),
        conn.execute("SELECT COUNT(*) FROM batches").fetchone(),
    )


def test_push_stores_batch_ops_and_record_and_returns_a_signed_receipt(
    data: DataDir, make_device: MakeDevice
) -> None:
    dev = make_device("team-a")
    record_id = dev.new("site_grave", GRAVE)
    summary = dev.push()
    assert (summary.batches, summary.ops, summary.refused) == (1, 1, [])
    stored = st.get_record(data.store.reader(), PROJECT, record_id)
    assert stored is not None and stored.identifier == "DSH-01-G1"
    batch = next(st.iter_batches(data.store.reader()))
    receipt = verify_receipt(batch.receipt, data.keys.public().signing_public)
    assert receipt.sealed_sha256 == hashlib.sha256(batch.sealed).hexdigest()
    head = audit_log.head(data.store.reader(), project_chain(PROJECT))
    assert (receipt.audit_seq, receipt.audit_head) == head  # the project's chain head
    assert dev.status()["ops"]["pending"] == 0


def test_replayed_batch_gets_the_same_receipt_and_changes_nothing(
    data: DataDir,
    client: TestClient,
    make_device: MakeDevice,  # type: ignore[type-arg]
) -> None:
    dev = make_device("team-a")
    dev.new("site_grave", GRAVE)
    dev.push()
    batch = next(st.iter_batches(data.store.reader()))
    before = _snapshot(data)
    audit_before = audit_log.head(data.store.reader(), project_chain(PROJECT))
    again = client.post("/v1/device/batches", content=batch.sealed)
    assert again.status_code == 200
    assert again.content == batch.receipt
    assert _snapshot(data) == before
    assert audit_log.head(data.store.reader(), project_chain(PROJECT)) == audit_before


def test_tampered_batch_is_refused_quarantined_and_changes_nothing(
    data: DataDir,
    client: TestClient,
    make_device: MakeDevice,  # type: ignore[type-arg]
) -> None:
    dev = make_device("team-a")
    dev.new("site_grave", GRAVE)
    dev.seal_pending()
    sealed = dev.store.pending_batches()[0].sealed
    tampered = bytearray(sealed)
    tampered[-40] ^= 0x01
    before = _snapshot(data)
    answer = client.post("/v1/device/batches", content=bytes(tampered))
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] in {"tampered_payload", "truncated_payload", "payload_error"}
    assert _snapshot(data) == before
    quarantined = st.list_quarantine(data.store.reader(), None)
    assert [q.kind for q in quarantined] == ["batch"]
    assert quarantined[0].payload == bytes(tampered)


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"", 400), (b"garbage", 400), (b"CAIRN-SEALED-BATCH/1\n\xff\xff", 400)],
)
def test_malformed_pushes_get_a_clear_4xx(
    data: DataDir,
    client: TestClient,
    body: bytes,
    status: int,  # type: ignore[type-arg]
) -> None:
    answer = client.post("/v1/device/batches", content=body)
    assert answer.status_code == status
    assert answer.json()["message"]
    assert st.max_cursor(data.store.reader()) == 0


def test_invalid_values_are_refused_individually_and_valid_ops_applied(
    data: DataDir, make_device: MakeDevice
) -> None:
    dev = make_device("team-a")
    good = dev.new("site_grave", GRAVE)
    # Forge an op that local validation would refuse: latitude out of range.
    base = dev._base("018f0000-0000-7000-8000-000000000001", "site_grave@1", None)
    dev._commit(ops.Create(fields={"datum_point": {"lat": 123.0, "lon": 1.0}}, **base))
    summary = dev.push()
    assert len(summary.refused) == 1 and "datum_point" in summary.refused[0]
    conn = data.store.reader()
    assert st.get_record(conn, PROJECT, good) is not None
    assert st.get_record(conn, PROJECT, "018f0000-0000-7000-8000-000000000001") is None
    refused = [q for q in st.list_quarantine(conn, None) if q.kind == "op"]
    assert len(refused) == 1 and refused[0].code == "invalid_values"


def test_pull_brings_other_devices_edits_and_views_converge(
    data: DataDir, make_device: MakeDevice
) -> None:
    a, b = make_device("a"), make_device("b")
    record_id = a.new("site_grave", GRAVE)
    a.push()
    b.pull()
    b.edit(record_id, {"max_depth_m": 2.5})
    a.edit(record_id, {"max_depth_m": 3.0})
    a.push()
    b.push()
    a.pull()
    b.pull()
    server = st.get_record(data.store.reader(), PROJECT, record_id)
    assert server is not None
    from server.materialize import decode_record

    server_record = decode_record(server.state)
    assert canonical.record_bytes(a.record(record_id)) == canonical.record_bytes(server_record)
    assert canonical.record_bytes(b.record(record_id)) == canonical.record_bytes(server_record)
    depth = server_record.fields["max_depth_m"]
    assert depth.conflict and sorted(w.value for w in depth.live) == [2.5, 3.0]


def test_revoked_device_is_refused_and_its_data_stays(
    data: DataDir, make_device: MakeDevice
) -> None:
    from server import admin

    dev = make_device("a")
    first = dev.new("site_grave", GRAVE)
    dev.push()
    admin.revoke_device(data.store, dev.device_id, "test")
    dev.new("site_grave", {**GRAVE, "site_code": "DSH-02"})
    with pytest.raises(Refused, match="revoked"):
        dev.push()
    assert st.get_record(data.store.reader(), PROJECT, first) is not None
    assert dev.status()["batches_awaiting_receipt"] == 1


def test_a_gap_in_sequence_numbers_is_applied_and_reported(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    dev = make_device("a")
    ids = []
    for n in range(3):
        ids.append(dev.new("site_grave", {**GRAVE, "site_code": f"DSH-1{n}"}))
        dev.seal_pending()
    first, second, third = dev.store.pending_batches()
    assert [b.seq for b in (first, second, third)] == [1, 2, 3]
    for batch in (first, third):
        assert client.post("/v1/device/batches", content=batch.sealed).status_code == 200
    receipt = verify_receipt(
        st.get_batch(data.store.reader(), third.batch_id).receipt,  # type: ignore[union-attr]
        data.keys.public().signing_public,
    )
    assert receipt.missing_seqs == [2]
    # Applied despite the gap.
    assert st.get_record(data.store.reader(), PROJECT, ids[2]) is not None
    answer = client.post("/v1/device/batches", content=second.sealed)
    assert verify_receipt(answer.content, data.keys.public().signing_public).missing_seqs == []
