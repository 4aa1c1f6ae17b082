"""Fuzz fixtures: the server test fixtures, a project with data in it, and data snapshots.

The size of every fuzz test is CAIRN_FUZZ_CASES (default 40 per mutation kind, which keeps
CI quick); raise it for a longer run, e.g. `CAIRN_FUZZ_CASES=2000 uv run pytest tests/fuzz`.
Every case is drawn from a seeded `random.Random`, so a failure names a reproducible case.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import load_config
from server.datadir import DataDir
from server.store import sync_tables as st
from server.verify import verify
from sync import canonical
from sync.client import Device
from sync.keys import ServerKeys
from sync.record import Record
from tests.examples import GRAVE
from tests.identifier_oracle import assert_identifier_rows_obey_the_law
from tests.server.conftest import BASE, PROJECT, admin_headers, data, make_device

__all__ = ["admin_headers", "client", "data", "make_device"]


@pytest.fixture
def client(data: DataDir) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The app over `data`, without the per-address limit on refused batches: a fuzz run
    sends thousands from one address on purpose (the limit has its own tests)."""
    app = create_app(load_config(data.path, stray_per_minute=10**9), data)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


FUZZ_CASES = int(os.environ.get("CAIRN_FUZZ_CASES", "40"))
_RECORD = msgspec.msgpack.Decoder(Record)


def consolidated(data: DataDir) -> dict[str, bytes]:
    """The canonical encoding of every consolidated record, by record id."""
    return {
        row.record_id: canonical.record_bytes(_RECORD.decode(row.state))
        for row in st.iter_records(data.store.reader())
    }


def assert_server_sound(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    before: dict[str, bytes],
) -> None:
    """The server answers, every record is byte-identical, and `cairn verify` is clean."""
    assert client.get("/v1/health").status_code == 200
    assert consolidated(data) == before
    # The keys on disk, as `cairn verify` reads them (a fuzzed rotation replaced the app's).
    keys = ServerKeys.load(data.keys_dir)
    assert verify(data.store, keys, data.forms).problems == []
    assert_identifier_rows_obey_the_law(data, PROJECT)


@pytest.fixture
def field_data(make_device: Callable[[str], Device]) -> Device:
    """A device that pushed three graves (one edited twice, and its depth edited at once by
    another team: an open conflict to resolve): data the fuzz must not touch."""
    device = make_device("fuzz-team")
    first = device.new("site_grave", GRAVE)
    device.new("site_grave", {**GRAVE, "site_code": "DSH-02", "grave_no": 2})
    device.new("site_grave", {**GRAVE, "site_code": "DSH-03", "grave_no": 3})
    device.push()
    other = make_device("fuzz-other")
    other.pull()
    device.edit(first, {"max_depth_m": 2.5})
    device.edit(first, {"status": "closed"})
    other.edit(first, {"max_depth_m": 2.7})
    device.push()
    other.push()
    device.pull()
    return device
