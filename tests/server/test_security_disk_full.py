"""A full disk: the device gets a clear 507, nothing is corrupted, service resumes after.

The database is capped with SQLite's `PRAGMA max_page_count` on the server's write
connection, which fails writes exactly as a full disk does ("database or disk is full",
SQLITE_FULL), without needing a small filesystem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server import admin
from server.attachments.files import AttachmentFiles
from server.datadir import DataDir
from server.errors import StorageFull
from server.store import sync_tables as st
from server.verify import verify
from sync.client import Device, Unreachable
from tests.examples import GRAVE
from tests.fuzz.conftest import consolidated
from tests.photos import jpeg

MakeDevice = Callable[[str], Device]
NOTES = "Soil disturbed over 4 m x 6 m; two layers of lime; " * 40


def _cap_database(data: DataDir, extra_pages: int) -> None:
    with data.store.write() as conn:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


def _uncap_database(data: DataDir) -> None:
    with data.store.write() as conn:
        conn.execute("PRAGMA max_page_count = 4294967294")


def _record_many(device: Device, first: int, n: int) -> None:
    for i in range(first, first + n):
        values = {**GRAVE, "site_code": f"DSH-{i:02d}", "grave_no": i, "datum_description": NOTES}
        device.new("site_grave", values)


@pytest.mark.parametrize("extra_pages", [0, 20])
def test_a_full_database_refuses_with_507_keeps_data_sound_and_recovers(
    extra_pages: int,
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    device = make_device("team-a")
    _record_many(device, 1, 3)
    device.push()
    before = consolidated(data)

    _cap_database(data, extra_pages)
    _record_many(device, 10, 60)
    device.seal_pending()
    (batch,) = device.store.pending_batches()
    answer = client.post("/v1/device/batches", content=batch.sealed)
    assert answer.status_code == 507
    assert answer.json()["error"] == "storage_full"
    assert "nothing from this request was stored" in answer.json()["message"]
    full = r"server could not take it: the server's disk or database is full"
    with pytest.raises(Unreachable, match=full):
        device.push()  # the client retries a 507, then says what happened
    assert len(device.store.pending_batches()) == 1  # the device keeps the batch
    assert consolidated(data) == before
    assert st.get_batch(data.store.reader(), batch.batch_id) is None
    assert verify(data.store, data.keys, data.forms).problems == []

    _uncap_database(data)
    summary = device.push()
    assert (summary.batches, summary.ops, summary.refused) == (1, 60, [])
    assert len(consolidated(data)) == len(before) + 60
    assert verify(data.store, data.keys, data.forms).problems == []


def _attached(device: Device, tmp_path: Path) -> tuple[str, bytes]:
    photo = tmp_path / "photo.jpg"
    # A camera model longer than a database page: keeping the photo's facts surely needs a
    # new page, whatever room the pages the filler left still have.
    photo.write_bytes(jpeg(size=(900, 700), camera=("Canon", "EOS R6 " + "II " * 2000)))
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
    return value["sha256"], photo.read_bytes()


def _nothing_stored(data: DataDir, sha: str) -> None:
    conn = data.store.reader()
    assert conn.execute("SELECT COUNT(*) FROM attachment_blobs").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM attachment_uploads").fetchone()[0] == 0
    files = AttachmentFiles(data.path)
    assert not files.blobs.has(sha)
    assert list((files.root / "blobs").rglob("*.tmp")) == []
    assert [f for f in (files.root / "sealed").rglob("*") if f.is_file()] == []


def _fill_the_last_pages(data: DataDir) -> None:
    """Use up the room a capped database still has once no batch fits (free pages, such as
    those a migration's rebuilt table leaves, and the rest of each page) with ever smaller
    rows: then no commit at all fits, as on a disk that is full."""
    for size in (4096, 512, 64, 8):
        for n in range(10_000):
            try:
                with data.store.write() as conn:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        (f"fill-{size}-{n}", "x" * size),
                    )
            except StorageFull:
                break


def test_a_full_database_refuses_an_upload_with_507_leaves_no_blob_and_resumes(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    sha, raw = _attached(device, tmp_path)
    device.seal_pending()
    for batch in device.store.pending_batches():
        assert client.post("/v1/device/batches", content=batch.sealed).status_code == 200
    _cap_database(data, 0)
    # Fill what free space the pages still have, as a full disk would have it: batches of
    # ten records until one is refused, then of one record (a smaller write) until one is.
    filler = make_device("filler")
    for size in (10, 1):
        for i in range(100):
            _record_many(filler, (100 if size == 10 else 5000) + size * i, size)
            filler.seal_pending()
            pending = filler.store.pending_batches()[-1]
            if client.post("/v1/device/batches", content=pending.sealed).status_code == 507:
                break
        else:
            pytest.fail("the capped database never filled up")
    _fill_the_last_pages(data)
    before = consolidated(data)
    with pytest.raises(Unreachable, match="507 storage_full"):
        device.push()  # every chunk lands; the commit that would keep the file fails
    _nothing_stored(data, sha)
    assert device.status()["attachments"] == {"awaiting_receipt": 1, "delivered": 0}
    assert consolidated(data) == before

    _uncap_database(data)
    assert device.push().attachments == 1
    assert AttachmentFiles(data.path).blobs.path(sha).read_bytes() == raw
    assert verify(data.store, data.keys, data.forms).problems == []


def test_an_upload_that_would_leave_too_little_disk_free_gets_507_and_nothing_stored(
    data: DataDir, tmp_path: Path
) -> None:
    from server.app import create_app
    from server.config import load_config
    from tests.server.conftest import BASE, PROJECT, AppTransport

    app = create_app(load_config(data.path, min_free_bytes=2**62), data)
    with TestClient(app, base_url=BASE) as full:
        code = admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code
        device = Device(tmp_path / "dev", transport=AppTransport(full), sleep=lambda _s: None)
        device.enroll(BASE, code)
        sha, _raw = _attached(device, tmp_path)
        with pytest.raises(Unreachable, match="507 storage_full"):
            device.push()
        _nothing_stored(data, sha)
        part = AttachmentFiles(data.path).partial(device.device_id, sha)
        assert not part.exists() or part.stat().st_size == 0
        assert full.get("/v1/health").status_code == 200
        device.close()
