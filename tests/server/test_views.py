"""Deferred views (server/views.py, issue 22 item 4).

A push of brand-new records stores its ops, references, audit entry and receipt in its
commit and leaves records, identifiers and points to a builder that follows the op cursor.
These tests prove that this changes nothing stored or answered: the same sealed batches
pushed to two copies of one data directory, one deferring and one building in the
request, give the same receipts and, once caught up, the same views (and a rebuild agrees);
a data directory closed between the two commits builds the views when it opens; a
supervisor's review or resolution sees every op and is visible on their next read; and a
read says whether it reflects every op committed before it began.
"""

from __future__ import annotations

import itertools
import random
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from litestar.testing import TestClient

from server import ingest, views
from server.config import load_config
from server.context import ServerContext
from server.datadir import DataDir, open_data_dir
from server.store import sync_tables as st
from server.verify import verify
from sync.client import Device, uuid7
from sync.ops import Create, Dot, Op, Patch
from sync.receipt import Receipt, decode_unverified
from sync.sealed import seal_batch
from tests.examples import GRAVE
from tests.server.conftest import PROJECT
from tests.server.review_fixtures import supervisor
from tests.server.test_rules_on_server import Devices, _ops

MakeDevice = Callable[[str], Device]
ENCODE = msgspec.msgpack.Encoder()
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# What the two copies must agree on, table by table (updated_at_ms aside: each copy stamps
# its own receive time; `test_deferred_rows_keep_the_receive_time` checks it).
_VIEWS = {
    "records": "SELECT project, record_id, form_id, form_version, identifier, review_state,"
    " retracted, conflict_count, updated_cursor, state FROM records ORDER BY project, record_id",
    "identifiers": "SELECT * FROM identifiers ORDER BY project, record_id, name, key",
    "points": "SELECT p.project, p.record_id, r.min_lat, r.max_lat, r.min_lon, r.max_lon"
    " FROM record_points p LEFT JOIN record_rtree r USING (point_id)"
    " ORDER BY p.project, p.record_id",
    "refs": "SELECT * FROM attachment_refs ORDER BY actor, counter, path",
    "quarantine": "SELECT project, device_id, batch_id, kind, code, payload FROM quarantine"
    " ORDER BY id",
}


def decode_receipt(raw: bytes) -> Receipt:
    return msgspec.msgpack.decode(decode_unverified(raw).receipt, type=Receipt)


def _tables(conn: sqlite3.Connection) -> dict[str, list[Any]]:
    return {name: conn.execute(sql).fetchall() for name, sql in _VIEWS.items()}


def _seal(dev: Device, fleet: Devices, chunk: list[Op]) -> bytes:
    fleet.seq[dev.device_id] += 1
    return seal_batch(
        ENCODE.encode(chunk),
        device_id=dev.device_id,
        batch_id=uuid7(),
        seq=fleet.seq[dev.device_id],
        device_signing_key=dev.keys().signing_key,
        server_recipient=dev.store.get_str("batch_recipient") or "",
        server_key_id=dev.store.get_str("batch_key_id") or "",
    )


def _graves(fleet: Devices, rng: random.Random) -> list[Op]:
    """Lone Creates of new graves whose site codes may clash (duplicate identifiers)."""
    out: list[Op] = []
    for dev in fleet.devices:
        for _ in range(rng.randint(0, 4)):
            fleet.counter[dev.device_id] += 1
            out.append(
                Create(
                    dot=Dot(actor=dev.device_id, counter=fleet.counter[dev.device_id]),
                    record_id=uuid7(),
                    form="site_grave@1",
                    hlc=(1_750_000_000_000 + rng.randint(0, 999)) << 16,
                    context={},
                    wall_time=1_750_000_000_000,
                    fields={
                        **GRAVE,
                        "site_code": f"DSH-{rng.randint(0, 5):02d}",
                        "grave_no": rng.randint(1, 3),
                        "datum_point": {
                            "lat": 40.0 + rng.random(),
                            "lon": 46.0 + rng.random(),
                            "h_acc_m": 2.0,
                        },
                    },
                )
            )
    return out


def _lone_graves(fleet: Devices, n: int) -> list[Op]:
    rng = random.Random(n)
    out: list[Op] = []
    while len(out) < n:
        out += _graves(fleet, rng)
    return out[:n]


@pytest.fixture
def copies(
    data: DataDir, make_device: MakeDevice, tmp_path: Path
) -> Iterator[tuple[Devices, ServerContext, ServerContext]]:
    """Three enrolled devices, and two contexts on two copies of the same data directory:
    the first defers every fresh batch to its view builder, the second has no builder."""
    fleet = Devices([make_device(n) for n in ("a", "b", "c")])
    other = tmp_path / "copy"
    shutil.copytree(data.path, other)
    twin = open_data_dir(other, create=False)
    deferring = ServerContext(
        config=load_config(data.path), store=data.store, keys=data.keys, forms=data.forms
    )
    direct = ServerContext(
        config=load_config(other), store=twin.store, keys=twin.keys, forms=twin.forms
    )
    deferring.views.start()
    try:
        yield fleet, deferring, direct
    finally:
        deferring.views.stop()
        twin.store.close()


def test_deferred_views_give_the_receipts_and_views_building_in_the_request_gives(
    copies: tuple[Devices, ServerContext, ServerContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet, deferring, direct = copies
    monkeypatch.setattr(views, "DEFER_MIN_OPS", 1)
    decided: list[bool] = []
    fresh = views.fresh_batch

    def watched(*args: Any) -> bool:
        decided.append(fresh(*args))
        return decided[-1]

    monkeypatch.setattr(views, "fresh_batch", watched)
    kick = deferring.views.kick
    pending_seen = [0]
    accepted = [0]

    @SETTINGS
    @given(
        scripts=hst.lists(
            hst.lists(
                hst.tuples(hst.integers(0, 2), hst.integers(0, 6), hst.integers(0, 11)),
                min_size=3,
                max_size=12,
            ),
            min_size=0,
            max_size=2,
        ),
        seed=hst.integers(0, 2**32 - 1),
    )
    def run(scripts: list[list[tuple[int, int, int]]], seed: int) -> None:
        rng = random.Random(seed)
        ops = [op for script in scripts for op in _ops(fleet, script)] + _graves(fleet, rng)
        batches: list[tuple[Device, list[Op]]] = []
        for dev in fleet.devices:
            own = [o for o in ops if o.dot.actor == dev.device_id]
            rng.shuffle(own)
            cuts = sorted(rng.sample(range(1, len(own)), k=min(3, max(0, len(own) - 1))))
            for lo, hi in itertools.pairwise([0, *cuts, len(own)]):
                if own[lo:hi]:
                    batches.append((dev, own[lo:hi]))
        rng.shuffle(batches)
        for dev, chunk in batches:
            sealed = _seal(dev, fleet, chunk)
            # The builder sometimes sleeps through a push: later pushes meet the backlog.
            deferring.views.kick = kick if rng.random() < 0.5 else (lambda: None)  # type: ignore[method-assign]
            a = decode_receipt(ingest.push(deferring, sealed))
            accepted[0] += a.accepted_ops
            b = decode_receipt(ingest.push(direct, sealed))
            assert (a.refused, a.accepted_ops, a.missing_seqs) == (
                b.refused,
                b.accepted_ops,
                b.missing_seqs,
            )
            built, newest = views.backlog(deferring.store.reader())
            pending_seen[0] += built < newest
        with deferring.store.write() as conn:
            views.catch_up(deferring.forms, conn)
        assert views.backlog(deferring.store.reader()) == views.backlog(direct.store.reader())
        assert _tables(deferring.store.reader()) == _tables(direct.store.reader())

    run()
    assert True in decided and False in decided  # both paths were taken
    assert pending_seen[0], "no push met views still to build"
    with deferring.store.snapshot() as conn:
        (graves,) = conn.execute("SELECT COUNT(*) FROM records WHERE form_id = 'site_grave'")
        (clashes,) = conn.execute(
            "SELECT COUNT(*) FROM (SELECT key FROM identifiers GROUP BY project, form_id, name, key"
            " HAVING COUNT(*) > 1)"
        )
        (points,) = conn.execute("SELECT COUNT(*) FROM record_rtree")
    assert graves[0] and clashes[0] and points[0]  # views of every kind were compared
    report = verify(deferring.store, deferring.keys, deferring.forms)
    assert report.ok, report.problems


def _new_graves(dev: Device, n: int, start: int = 0) -> list[str]:
    return [dev.new("site_grave", {**GRAVE, "site_code": f"VW-{start + i:03d}"}) for i in range(n)]


def _paused_context(
    data: DataDir, monkeypatch: pytest.MonkeyPatch, defer_min_ops: int = 5
) -> ServerContext:
    """A context whose view builder thread runs (so a large enough push defers) but builds
    nothing until it is stopped: a deferred push's views stay pending until the test
    catches them up, however the thread is scheduled."""
    monkeypatch.setattr(views, "DEFER_MIN_OPS", defer_min_ops)
    monkeypatch.setattr(views, "_build", lambda store, forms, signal_: signal_.stop.wait())
    ctx = ServerContext(
        config=load_config(data.path), store=data.store, keys=data.keys, forms=data.forms
    )
    ctx.views.start()
    return ctx


@pytest.fixture
def paused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> ServerContext:  # type: ignore[type-arg]
    """The app's context with its view builder running but never woken by a push (so the
    views of a deferred push stay pending until something catches them up)."""
    ctx: ServerContext = client.app.state["cairn"]
    assert ctx.views.running
    monkeypatch.setattr(views, "DEFER_MIN_OPS", 5)
    monkeypatch.setattr(ctx.views, "kick", lambda: None)
    return ctx


def test_a_read_says_whether_it_reflects_every_op(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    paused: ServerContext,
    make_device: MakeDevice,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "READ_WAIT_S", 0.05)
    dev = make_device("a")
    listing = f"/v1/projects/{PROJECT}/records"
    answer = client.get(listing, headers=admin_headers)
    assert answer.headers[views.HEADER] == "current"
    made = _new_graves(dev, 6)
    dev.push()
    built, newest = views.backlog(data.store.reader())
    assert built < newest  # deferred: receipted, views not built yet
    answer = client.get(listing, headers=admin_headers)
    assert answer.status_code == 200
    assert answer.headers[views.HEADER] == "behind"
    assert answer.json()["items"] == []
    paused.views._signal.wake.set()  # the builder runs
    deadline = time.monotonic() + 10
    while views.backlog(data.store.reader())[0] < newest and time.monotonic() < deadline:
        time.sleep(0.01)
    answer = client.get(listing, headers=admin_headers)
    assert answer.headers[views.HEADER] == "current"
    assert sorted(r["record_id"] for r in answer.json()["items"]) == sorted(made)


def test_a_read_waits_for_the_views_of_a_push_before_it(
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx: ServerContext = client.app.state["cairn"]
    monkeypatch.setattr(views, "DEFER_MIN_OPS", 5)
    built = ctx.views.built
    dev = make_device("a")
    made = _new_graves(dev, 8)
    dev.push()
    answer = client.get(f"/v1/projects/{PROJECT}/records", headers=admin_headers)
    assert answer.headers[views.HEADER] == "current"
    assert sorted(r["record_id"] for r in answer.json()["items"]) == sorted(made)
    assert ctx.views.built == built + 8  # built by the builder, not in the request


def test_a_supervisor_reviews_and_resolves_over_pending_views_and_reads_their_write(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    paused: ServerContext,
    make_device: MakeDevice,
) -> None:
    headers = supervisor(data)
    a, b = make_device("a"), make_device("b")
    made = _new_graves(a, 6)
    a.push()
    b.pull()
    a.edit(made[0], {"max_depth_m": 2.0})
    b.edit(made[0], {"max_depth_m": 2.5})
    a.push()  # one op: merged in the request, after catching up the record's Create
    b.push()
    assert views.backlog(data.store.reader())[0] == views.backlog(data.store.reader())[1]
    more = _new_graves(b, 6, start=50)
    b.push()  # deferred, and left pending
    built, newest = views.backlog(data.store.reader())
    assert built < newest
    # The review's transaction catches the views up: the pending record is there to review.
    answer = client.post(
        f"/v1/records/{more[0]}/review",
        json={"state": "has_issues", "comment": "depth photo missing"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    seen = client.get(f"/v1/records/{more[0]}", headers=headers)
    assert seen.headers[views.HEADER] == "current"
    assert seen.json()["summary"]["review_state"] == "has_issues"
    (conflict,) = client.get(f"/v1/records/{made[0]}", headers=headers).json()["record"][
        "conflicts"
    ]
    chosen = conflict["values"][0]
    _new_graves(a, 6, start=90)
    a.push()  # deferred, and left pending
    assert views.backlog(data.store.reader())[0] < views.backlog(data.store.reader())[1]
    answer = client.post(
        f"/v1/records/{made[0]}/resolutions",
        json={
            "conflict": "field",
            "path": "max_depth_m",
            "choose": {"actor": chosen["actor"], "counter": chosen["counter"]},
            "reason": "tape",
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    assert views.backlog(data.store.reader())[0] == views.backlog(data.store.reader())[1]
    after = client.get(f"/v1/records/{made[0]}", headers=headers)
    assert after.headers[views.HEADER] == "current"
    assert after.json()["record"]["conflicts"] == []
    report = verify(data.store, data.keys, data.forms)
    assert report.ok, report.problems


def test_a_law_that_needs_the_causal_past_decides_over_pending_views(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    paused: ServerContext,
    make_device: MakeDevice,
) -> None:
    """An immutable field rewritten by its author, whose first write's views are pending,
    is refused (kept) in the receipt as when the views were built in the request."""
    dev = make_device("a")
    fleet = Devices([dev])
    counter = itertools.count(10_000)
    ids = [uuid7() for _ in range(6)]
    creates: list[Op] = [
        Create(
            dot=Dot(actor=dev.device_id, counter=next(counter)),
            record_id=rid,
            form="dna_sample@1",
            hlc=1_750_000_000_000 << 16,
            context={},
            wall_time=1_750_000_000_000,
            fields={"sample_id": f"DSH-01-G1-B017-S{i + 1}", "seal_no": "S-0"},
        )
        for i, rid in enumerate(ids)
    ]
    pusher = data.store
    ctx = paused
    first = decode_receipt(ingest.push(ctx, _seal(dev, fleet, creates)))
    assert first.refused == []
    built, newest = views.backlog(pusher.reader())
    assert built < newest  # deferred
    base = creates[0]
    rewrite = Patch(
        dot=Dot(actor=dev.device_id, counter=next(counter)),
        record_id=ids[0],
        form="dna_sample@1",
        hlc=(1_750_000_000_000 << 16) + 1,
        context={base.dot.actor: base.dot.counter},
        wall_time=1_750_000_000_000,
        fields={"seal_no": "S-9"},
    )
    second = decode_receipt(ingest.push(ctx, _seal(dev, fleet, [rewrite])))
    assert [(r.dot, r.kept) for r in second.refused] == [
        ((dev.device_id, rewrite.dot.counter), True)
    ]
    assert views.backlog(pusher.reader())[0] == views.backlog(pusher.reader())[1]


def test_backpressure_builds_the_backlog_in_the_push(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    paused: ServerContext,
    make_device: MakeDevice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "MAX_BACKLOG", 6)
    dev = make_device("a")
    _new_graves(dev, 6)
    dev.push()
    built, first = views.backlog(data.store.reader())
    assert built < first  # deferred: 6 ops pending, under the cap
    _new_graves(dev, 6, start=20)
    dev.push()
    built, newest = views.backlog(data.store.reader())
    assert built == first < newest  # the first push's views built by the second, itself deferred
    _new_graves(dev, 6, start=40)
    dev.push()
    built, latest = views.backlog(data.store.reader())
    assert built == newest < latest


def test_views_pending_at_a_crash_are_built_when_the_data_directory_opens(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _paused_context(data, monkeypatch)
    dev = make_device("a")
    fleet = Devices([dev])
    graves = _lone_graves(fleet, 8)
    assert decode_receipt(ingest.push(ctx, _seal(dev, fleet, graves))).accepted_ops == len(graves)
    ctx.views.stop()  # stopped before it woke: as a kill between the two commits
    with sqlite3.connect(data.path / "cairn.db") as raw:
        assert raw.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0
        built = int(raw.execute("SELECT value FROM meta WHERE key='views_cursor'").fetchone()[0])
        newest = raw.execute("SELECT MAX(cursor) FROM ops").fetchone()[0]
    assert built < newest
    reopened = open_data_dir(data.path, create=False)
    try:
        conn = reopened.store.reader()
        assert views.backlog(conn) == (newest, newest)
        assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == len(graves)
        assert st.count_ops(conn) == len(graves)
        report = verify(reopened.store, reopened.keys, reopened.forms)
        assert report.ok, report.problems
    finally:
        reopened.store.close()


def test_verify_catches_the_views_up_before_comparing(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _paused_context(data, monkeypatch)
    dev = make_device("a")
    fleet = Devices([dev])
    graves = _lone_graves(fleet, 8)
    ingest.push(ctx, _seal(dev, fleet, graves))
    ctx.views.stop()
    assert views.backlog(data.store.reader())[0] < views.backlog(data.store.reader())[1]
    report = verify(data.store, data.keys, data.forms)
    assert report.ok, report.problems
    assert report.records == len(graves)


def test_deferred_rows_keep_the_receive_time(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _paused_context(data, monkeypatch, defer_min_ops=1)
    dev = make_device("a")
    fleet = Devices([dev])
    graves = _lone_graves(fleet, 8)
    ingest.push(ctx, _seal(dev, fleet, graves))
    ctx.views.stop()
    time.sleep(0.01)
    with data.store.write() as conn:
        assert views.catch_up(data.forms, conn) == len(graves)
    rows = data.store.reader().execute(
        "SELECT r.updated_at_ms, o.received_at_ms, r.updated_cursor, o.pcursor FROM records r"
        " JOIN ops o ON o.project = r.project AND o.record_id = r.record_id"
    )
    for updated, received, cursor, pcursor in rows:
        assert (updated, cursor) == (received, pcursor)


def test_a_builder_in_a_process_of_its_own_builds_the_views(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "DEFER_MIN_OPS", 5)
    dev = make_device("a")
    fleet = Devices([dev])
    ctx = ServerContext(
        config=load_config(data.path), store=data.store, keys=data.keys, forms=data.forms
    )
    ctx.views = views.ViewBuilder(data.store, data.forms, mode="process")
    ctx.views.start()
    try:
        graves = _lone_graves(fleet, 8)
        ingest.push(ctx, _seal(dev, fleet, graves))
        deadline = time.monotonic() + 60
        while ctx.views.built < len(graves) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ctx.views.built == len(graves)
    finally:
        ctx.views.stop()
    conn = data.store.reader()
    assert views.backlog(conn)[0] == views.backlog(conn)[1]
    assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == len(graves)
    report = verify(data.store, data.keys, data.forms)
    assert report.ok, report.problems


def test_the_builder_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="thread or process"):
        views.ViewBuilder(None, None, mode="fork")  # type: ignore[arg-type]


def test_a_read_builds_the_views_itself_when_no_builder_runs(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    paused: ServerContext,
    make_device: MakeDevice,
    admin_headers: dict[str, str],
) -> None:
    dev = make_device("a")
    made = _new_graves(dev, 6)
    dev.push()
    assert views.backlog(data.store.reader())[0] < views.backlog(data.store.reader())[1]
    paused.views.stop()  # as a builder that died
    answer = client.get(f"/v1/projects/{PROJECT}/records", headers=admin_headers)
    assert answer.headers[views.HEADER] == "current"
    assert sorted(r["record_id"] for r in answer.json()["items"]) == sorted(made)


def test_the_builder_writes_nothing_when_the_cursor_moved_while_it_worked(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _paused_context(data, monkeypatch)
    dev = make_device("a")
    fleet = Devices([dev])
    graves = _lone_graves(fleet, 8)
    ingest.push(ctx, _seal(dev, fleet, graves))
    ctx.views.stop()
    derive = views.derive_stored

    first = graves[0]
    fleet.counter[dev.device_id] += 1
    edit = Patch(
        dot=Dot(actor=dev.device_id, counter=fleet.counter[dev.device_id]),
        record_id=first.record_id,
        form=first.form,
        hlc=first.hlc + 1,
        context={first.dot.actor: first.dot.counter},
        wall_time=first.wall_time,
        fields={"max_depth_m": 3.5},
    )

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        out = derive(*args, **kwargs)
        # Meanwhile a push edits a pending record: merged in its request, after catching up.
        assert ingest.push(ctx, _seal(dev, fleet, [edit]))
        return out

    monkeypatch.setattr(views, "derive_stored", meanwhile)
    assert views.build_chunk(data.store, data.forms) is None
    monkeypatch.setattr(views, "derive_stored", derive)
    assert views.build_chunk(data.store, data.forms) == 0  # nothing left
    conn = data.store.reader()
    assert conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == len(graves)
    row = st.get_record(conn, PROJECT, first.record_id)
    assert row is not None and row.updated_cursor == len(graves) + 1  # the edit stands
    report = verify(data.store, data.keys, data.forms)
    assert report.ok, report.problems


def test_a_shared_builder_wakes_the_one_builder_and_notices_when_it_is_gone(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`cairn serve --workers N`: the supervisor's builder (here a thread, woken through
    its socket by a relay) builds what a worker deferred; a worker whose wake-up nobody
    takes stops deferring and builds in the request."""
    monkeypatch.setattr(views, "DEFER_MIN_OPS", 5)
    ctx: ServerContext = client.app.state["cairn"]
    ctx.views.stop()  # this process's own builder: the worker has none of its own
    wake = tmp_path / "views.sock"
    one = views.ViewBuilder(data.store, data.forms, "thread", wake)
    one.start()
    ctx.views = views.ViewBuilder(data.store, data.forms, "shared", wake)
    ctx.views.start()
    assert ctx.views.running
    dev = make_device("a")
    _new_graves(dev, 8)
    dev.push()
    deadline = time.monotonic() + 10
    while one.built < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert one.built == 8  # deferred by the worker, built by the one builder
    built, newest = views.backlog(data.store.reader())
    assert built == newest

    one.stop()
    ctx.views.kick()  # nobody at the socket now
    assert not ctx.views.running
    _new_graves(dev, 8, start=8)
    dev.push()
    built, newest = views.backlog(data.store.reader())
    assert built == newest  # built in the request
    assert one.built == 8
    ctx.views.stop()
