"""Batch ingest's set-based paths: a large batch, a bad op inside one, the R*Tree rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import msgspec

from server import ingest
from server.config import load_config
from server.context import ServerContext
from server.datadir import DataDir
from server.store import queries
from server.store import sync_tables as st
from server.store.queries import RecordFilter
from server.verify import verify
from sync.client import Device, uuid7
from sync.ops import Create, Dot, Op, Patch
from sync.receipt import verify_receipt
from sync.sealed import seal_batch
from tests.examples import GRAVE
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]
ENCODE = msgspec.msgpack.Encoder()


def _ctx(data: DataDir) -> ServerContext:
    return ServerContext(
        config=load_config(data.path), store=data.store, keys=data.keys, forms=data.forms
    )


def _sealed(device: Device, seq: int, body: bytes) -> bytes:
    return seal_batch(
        body,
        device_id=device.device_id,
        batch_id=uuid7(),
        seq=seq,
        device_signing_key=device.keys().signing_key,
        server_recipient=device.store.get_str("batch_recipient") or "",
        server_key_id=device.store.get_str("batch_key_id") or "",
    )


def _grave(device: Device, counter: int, lat: float, code: str) -> Create:
    return Create(
        dot=Dot(actor=device.device_id, counter=counter),
        record_id=uuid7(),
        form="site_grave@1",
        hlc=(1_750_000_000_000 + counter) << 16,
        context={},
        wall_time=1_750_000_000_000,
        fields={**GRAVE, "site_code": code, "datum_point": {"lat": lat, "lon": 46.9}},
    )


def _push(data: DataDir, device: Device, seq: int, body: bytes) -> tuple[int, list[int]]:
    answer = ingest.push(_ctx(data), _sealed(device, seq, body))
    receipt = verify_receipt(answer, data.keys.public().signing_public)
    return receipt.accepted_ops, [r.index for r in receipt.refused]


def test_a_large_batch_is_stored_exactly_as_a_rebuild_from_its_ops(
    data: DataDir, make_device: MakeDevice
) -> None:
    dev = make_device("team-a")
    creates: list[Op] = [_grave(dev, n, 40.0 + n / 1000, f"DS-{n:04d}") for n in range(1, 301)]
    first = creates[0]
    assert isinstance(first, Create)
    edit = Patch(
        dot=Dot(actor=dev.device_id, counter=301),
        record_id=first.record_id,
        form="site_grave@1",
        hlc=first.hlc + 1,
        context={dev.device_id: 1},
        wall_time=first.wall_time,
        fields={"datum_point": {"lat": 41.5, "lon": 47.0}},
    )
    # The datum point is immutable: the edit is stored as evidence, refused, listed.
    assert _push(data, dev, 1, ENCODE.encode([*creates, edit])) == (301, [300])
    conn = data.store.reader()
    assert _in_box(conn, (46.9, 41.4, 47.1, 41.6)) == []  # the refused move left no trace
    assert len(_in_box(conn, (46.8, 39.9, 47.0, 40.4))) == 300
    report = verify(data.store, data.keys, data.forms)
    assert report.ok, report.problems
    assert report.records == 300


def test_a_malformed_op_inside_a_batch_is_refused_alone(
    data: DataDir, make_device: MakeDevice
) -> None:
    dev = make_device("team-a")
    good = [ENCODE.encode(_grave(dev, n, 40.0, f"DS-{n:04d}")) for n in (1, 2)]
    bad = ENCODE.encode({"kind": "create", "dot": {"actor": dev.device_id, "counter": 0}})
    body = b"\x93" + good[0] + bad + good[1]  # a msgpack array of three ops
    assert _push(data, dev, 1, body) == (2, [1])
    quarantined = [q for q in st.list_quarantine(data.store.reader(), None) if q.kind == "op"]
    assert [(q.code, q.payload) for q in quarantined] == [("malformed_op", bad)]
    assert verify(data.store, data.keys, data.forms).ok


def _in_box(conn: sqlite3.Connection, bbox: tuple[float, float, float, float]) -> list[str]:
    """Record ids in a box (min_lon, min_lat, max_lon, max_lat), by the query `bbox=` runs."""
    found = queries.records_by_id(conn, RecordFilter(project=PROJECT, bbox=bbox), None, 10_000)
    return sorted(row.record_id for row in found)


def test_the_spatial_index_follows_each_records_point(
    data: DataDir, make_device: MakeDevice
) -> None:
    dev = make_device("team-a")
    r1, r2, r3 = sorted(dev.new("site_grave", {**GRAVE, "grave_no": n}) for n in (1, 2, 3))
    dev.push()
    with data.store.write() as conn:
        st.set_points(conn, PROJECT, [(r1, 10.0, 20.0), (r2, 30.0, 40.0), (r3, None, None)])
    with data.store.write() as conn:
        st.set_points(conn, PROJECT, [(r1, 11.0, 21.0), (r2, None, None), (r3, 12.0, 22.0)])
    conn = data.store.reader()
    assert _in_box(conn, (0, 0, 50, 50)) == [r1, r3]
    assert _in_box(conn, (20.5, 10.5, 21.5, 11.5)) == [r1]
    assert _in_box(conn, (39, 29, 41, 31)) == []  # r2's old point is gone
    assert _in_box(conn, (170, 0, 25, 50)) == [r1, r3]  # a box across the antimeridian
    assert _in_box(conn, (21.5, 0, 170, 50)) == [r3]
    (points,) = conn.execute("SELECT COUNT(*) FROM record_points").fetchone()
    (boxes,) = conn.execute("SELECT COUNT(*) FROM record_rtree").fetchone()
    assert (points, boxes) == (2, 2)


def test_refusals_keep_op_problem_s_order_with_checks_made_before_the_writer(
    data: DataDir, make_device: MakeDevice
) -> None:
    """Ingest decides the state-free checks before taking the writer and the rest under it;
    each op still gets the refusal `validation.op_problem` gives, first failing check first."""
    from server.store import admin as admin_rows
    from server.validation import op_problem
    from sync import ids

    dev = make_device("team-a")
    kept = _grave(dev, 1, 40.0, "DS-0001")
    assert _push(data, dev, 1, ENCODE.encode([kept])) == (1, [])

    def edit(counter: int, **changes: object) -> Op:
        base = _grave(dev, counter, 40.0, f"DS-{counter:04d}")
        return msgspec.structs.replace(base, **changes)  # type: ignore[arg-type]

    stranger = uuid7()
    bad_lat = {**GRAVE, "datum_point": {"lat": 123.0, "lon": 1.0}}
    batch: list[tuple[Op, str | None]] = [
        # another actor's op with bad values: the author is checked first
        (edit(2, dot=Dot(actor=stranger, counter=2), fields=bad_lat), "foreign_actor"),
        # a bad record id from another actor: the id's shape is checked before the author
        (edit(3, dot=Dot(actor=stranger, counter=3), record_id="nope"), "bad_id"),
        # another form on a stored record, with bad values: the record's form comes first
        (edit(4, record_id=kept.record_id, form="photo_log@1", fields=bad_lat), "form_mismatch"),
        (edit(5, form="no_such_form@1"), "unknown_form"),
        (edit(6, fields=bad_lat), "invalid_values"),
        # the stored op's dot with other content, and with bad values too
        (edit(1, record_id=kept.record_id, fields=bad_lat), "dot_reused"),
        (kept, None),  # the stored op again: nothing to store, nothing refused
        (edit(7), None),
    ]
    device = admin_rows.get_device(data.store.reader(), dev.device_id)
    assert device is not None
    conn = data.store.reader()
    for op, code in batch:  # the oracle: the id's shape, then op_problem on the stored record
        if code not in ("dot_reused", None):
            stored = st.get_record(conn, PROJECT, op.record_id)
            shape = ids.op_id_problem(op)
            found = ("bad_id", shape) if shape else op_problem(data.forms, op, device, stored)
            assert found is not None and found[0] == code, (code, found)
    answer = ingest.push(_ctx(data), _sealed(dev, 2, ENCODE.encode([op for op, _ in batch])))
    receipt = verify_receipt(answer, data.keys.public().signing_public)
    assert [(r.index, r.code) for r in receipt.refused] == [
        (i, code) for i, (_, code) in enumerate(batch) if code is not None
    ]
    assert receipt.accepted_ops == 1
