"""`GET /metrics` after real pushes, pulls, downloads and refusals, read back with the
Prometheus project's own text-format parser."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from server import admin
from server.datadir import DataDir
from sync.age import generate_x25519
from sync.client import Device, uuid7
from sync.ops import Create, Dot, Patch
from sync.sealed import seal_batch
from tests.examples import GRAVE
from tests.photos import jpeg
from tests.server.conftest import PROJECT

Client = TestClient  # type: ignore[type-arg]
MakeDevice = Callable[[str], Device]
ENCODE = msgspec.msgpack.Encoder()


class Scrape:
    """One scrape, parsed: samples by name, looked up by a subset of their labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: list[Sample] = [
            s for family in text_string_to_metric_families(text) for s in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        found = [
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        assert len(found) == 1, (name, labels, found)
        return found[0]

    def has(self, name: str, **labels: str) -> bool:
        return any(
            s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
            for s in self.samples
        )


def scrape(client: Client, headers: dict[str, str]) -> Scrape:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(answer.text)


@pytest.fixture
def metrics_headers(data: DataDir) -> dict[str, str]:
    token = admin.issue_token(data.store, "metrics", None, "test", label="prometheus").token
    return {"Authorization": f"Bearer {token}"}


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


def _create(device: Device, counter: int) -> Create:
    return Create(
        dot=Dot(actor=device.device_id, counter=counter),
        record_id=uuid7(),
        form="site_grave@1",
        hlc=(1_750_000_000_000 + counter) << 16,
        context={},
        wall_time=1_750_000_000_000,
        fields={**GRAVE, "site_code": f"MX-{counter:03d}"},
    )


def test_a_fresh_server_exposes_every_series_at_zero(
    client: Client, metrics_headers: dict[str, str]
) -> None:
    got = scrape(client, metrics_headers)
    for name in (
        "cairn_batches_accepted_total",
        "cairn_batches_replayed_total",
        "cairn_ops_accepted_total",
        "cairn_pull_pages_total",
        "cairn_writer_queue_depth",
        "cairn_stray_quarantine_items",
        "cairn_stray_quarantine_bytes",
        "cairn_attachment_files",
    ):
        assert got.value(name) == 0, name
    assert got.value("cairn_attachment_bytes", kind="blobs") == 0
    assert got.value("cairn_database_bytes") > 0
    for family in ("cairn_ingest_seconds", "cairn_export_seconds"):
        assert f"# TYPE {family} histogram" in got.text
    assert "_created" not in got.text


def test_pushes_pulls_downloads_and_refusals_are_counted(
    client: Client,
    data: DataDir,
    make_device: MakeDevice,
    admin_headers: dict[str, str],
    metrics_headers: dict[str, str],
) -> None:
    a, b = make_device("team-a"), make_device("team-b")
    for n in (1, 2):
        a.new("site_grave", {**GRAVE, "grave_no": n})
    a.push()  # one batch, two ops, through the device's own client

    # A batch with a malformed op (refused, kept in quarantine) and an edit of an
    # immutable field (stored as evidence, refused by the record's rules).
    first = _create(b, 1)
    move = Patch(
        dot=Dot(actor=b.device_id, counter=2),
        record_id=first.record_id,
        form="site_grave@1",
        hlc=first.hlc + 1,
        context={b.device_id: 1},
        wall_time=first.wall_time,
        fields={"datum_point": {"lat": 41.5, "lon": 47.0}},
    )
    bad = ENCODE.encode({"kind": "create", "dot": {"actor": b.device_id, "counter": 0}})
    body = b"\x93" + ENCODE.encode(first) + bad + ENCODE.encode(move)
    sealed = _sealed(b, 1, body)
    assert client.post("/v1/device/batches", content=sealed).status_code == 200
    assert client.post("/v1/device/batches", content=sealed).status_code == 200  # a replay
    garbage = client.post("/v1/device/batches", content=b"not a sealed batch at all")
    assert garbage.status_code >= 400
    refusal = garbage.json()["error"]

    b.pull()
    csv = client.get(f"/v1/projects/{PROJECT}/records.csv?form=site_grave", headers=admin_headers)
    assert csv.status_code == 200 and "MX-001" in csv.text
    geo = client.get(f"/v1/projects/{PROJECT}/records.geojson", headers=admin_headers)
    assert geo.status_code == 200
    archive = client.post(
        f"/v1/projects/{PROJECT}/exports",
        json={"recipients": [str(generate_x25519().recipient())]},
        headers=admin_headers,
    )
    assert archive.status_code == 200 and len(archive.content) > 0
    assert client.get("/v1/projects", headers={"Authorization": "Bearer cairn_wrong"}).status_code
    login = client.get("/login")
    nonce = login.text.split('name="nonce" value="')[1].split('"')[0]
    assert client.post("/login", data={"nonce": nonce, "token": "cairn_wrong"}).status_code == 401

    got = scrape(client, metrics_headers)
    assert got.value("cairn_batches_accepted_total") == 2
    assert got.value("cairn_batches_replayed_total") == 1
    assert got.value("cairn_batches_refused_total", reason=refusal) == 1
    assert got.value("cairn_ops_accepted_total") == 2 + 2
    assert got.value("cairn_ops_refused_total", reason="malformed_op", kept="false") == 1
    kept = [
        s for s in got.samples if s.name == "cairn_ops_refused_total" and s.labels["kept"] == "true"
    ]
    assert sum(s.value for s in kept) == 1
    assert got.value("cairn_ingest_seconds_count", outcome="accepted") == 2
    assert got.value("cairn_ingest_seconds_count", outcome="refused") == 1
    assert got.value("cairn_ingest_seconds_bucket", outcome="accepted", le="+Inf") == 2
    assert got.value("cairn_ingest_seconds_sum", outcome="accepted") > 0
    assert got.value("cairn_pull_pages_total") >= 1
    for kind in ("csv", "geojson", "archive"):
        assert got.value("cairn_export_seconds_count", kind=kind) == 1, kind
    assert got.value("cairn_failed_logins_total", where="api", reason="unauthorized") == 1
    assert got.value("cairn_failed_logins_total", where="console", reason="unauthorized") == 1
    assert got.value("cairn_quarantine_items", project=PROJECT) == 1
    assert got.value("cairn_quarantine_bytes", project=PROJECT) == len(bad)
    assert got.value("cairn_stray_quarantine_items") == 1
    assert got.value("cairn_stray_quarantine_bytes") == len(b"not a sealed batch at all")
    db = data.store.path
    on_disk = db.stat().st_size + Path(f"{db}-wal").stat().st_size
    assert 0 < got.value("cairn_database_bytes") <= on_disk * 2
    # No value, identifier, device id or token in any series.
    for secret in (
        "MX-001",
        "DSH-01",
        a.device_id,
        b.device_id,
        admin_headers["Authorization"][7:],
    ):
        assert secret not in got.text


def test_the_attachment_store_size_is_what_it_holds(
    client: Client, make_device: MakeDevice, metrics_headers: dict[str, str], tmp_path: Path
) -> None:
    device = make_device("camera")
    photo = tmp_path / "P1.jpg"
    photo.write_bytes(jpeg(seed=3, taken=dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)))
    value = device.attachments.attach(photo)
    device.new(
        "photo_log",
        {
            "photo_no": "DSH-01-P00001",
            "file": value,
            "taken_at": "2026-05-01T10:00:00Z",
            "photographer": "A. Aliyev",
            "subject_type": "grave",
        },
    )
    assert device.push().attachments == 1
    got = scrape(client, metrics_headers)
    assert got.value("cairn_attachment_files") == 1
    assert got.value("cairn_attachment_bytes", kind="blobs") == photo.stat().st_size
    assert got.value("cairn_attachment_bytes", kind="sealed") > photo.stat().st_size


def test_the_writer_queue_depth_counts_transactions_holding_or_awaiting_the_writer(
    client: Client, data: DataDir, metrics_headers: dict[str, str]
) -> None:
    scrape(client, metrics_headers)  # records the token's use: the next scrapes write nothing
    entered = threading.Event()

    def waiting_writer() -> None:
        entered.set()
        with data.store.write():
            pass

    with data.store.write():
        assert scrape(client, metrics_headers).value("cairn_writer_queue_depth") == 1
        other = threading.Thread(target=waiting_writer)
        other.start()
        entered.wait(5)
        for _ in range(100):  # until the other thread is queued behind us (bounded)
            if data.store.writers_waiting == 2:
                break
            threading.Event().wait(0.01)
        assert scrape(client, metrics_headers).value("cairn_writer_queue_depth") == 2
    other.join(5)
    assert scrape(client, metrics_headers).value("cairn_writer_queue_depth") == 0


def test_metrics_need_an_admin_or_metrics_token(
    client: Client, data: DataDir, admin_headers: dict[str, str]
) -> None:
    none = client.get("/metrics")
    assert (none.status_code, none.json()["error"]) == (401, "unauthorized")
    assert scrape(client, admin_headers).value("cairn_batches_accepted_total") == 0
    supervisor = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {supervisor}"})
    assert (refused.status_code, refused.json()["error"]) == (403, "metrics_forbidden")
    got = scrape(client, admin_headers)
    # A request without any token is no failed login; a wrong one is.
    assert not got.has("cairn_failed_logins_total", where="metrics")
    client.get("/metrics", headers={"Authorization": "Bearer cairn_guess"})
    assert (
        scrape(client, admin_headers).value(
            "cairn_failed_logins_total", where="metrics", reason="unauthorized"
        )
        == 1
    )
