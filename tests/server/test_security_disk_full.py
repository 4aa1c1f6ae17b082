"""A full disk: the device gets a clear 507, nothing is corrupted, service resumes after.

The database is capped with SQLite's `PRAGMA max_page_count` on the server's write
connection, which fails writes exactly as a full disk does ("database or disk is full",
SQLITE_FULL), without needing a small filesystem.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar.testing import TestClient

from server.datadir import DataDir
from server.store import sync_tables as st
from server.verify import verify
from sync.client import Device, Unreachable
from tests.examples import GRAVE
from tests.fuzz.conftest import consolidated

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
