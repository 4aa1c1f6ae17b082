"""Fixtures for server tests: a real data directory, the app, and enrolled field devices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from litestar.testing.transport import TestClientTransport

from server import admin
from server.app import create_app
from server.config import load_config
from server.datadir import DataDir, open_data_dir
from sync.client import Device
from tests.examples import GRAVE

PROJECT = "AZ-DASHALTI"
BASE = "http://testserver.local"


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataDir]:
    """A fresh data directory with one project."""
    opened = open_data_dir(tmp_path / "cairn-data", create=True)
    admin.create_project(opened.store, PROJECT, "Dashalti", "test")
    yield opened
    opened.store.close()


@pytest.fixture
def client(data: DataDir) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The app over `data`, through Litestar's test client."""
    app = create_app(load_config(data.path), data)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


@pytest.fixture
def admin_headers(data: DataDir) -> dict[str, str]:
    """Authorization for the first admin token."""
    assert data.first_admin_token is not None
    return {"Authorization": f"Bearer {data.first_admin_token.token}"}


class AppTransport(httpx.BaseTransport):
    """Litestar's test transport as a complete httpx transport (it lacks close())."""

    def __init__(self, client: TestClient) -> None:  # type: ignore[type-arg]
        self.inner = TestClientTransport(client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)


@pytest.fixture
def make_device(
    data: DataDir,
    client: TestClient,
    tmp_path: Path,  # type: ignore[type-arg]
) -> Iterator[Callable[[str], Device]]:
    """Enroll field devices (each with its own home) against the test app."""
    made: list[Device] = []
    transport = AppTransport(client)

    def make(name: str) -> Device:
        code = admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code
        device = Device(tmp_path / f"device-{name}", transport=transport, sleep=lambda _s: None)
        device.enroll(BASE, code, label=name)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


@pytest.fixture
def synced(data: DataDir, make_device: Callable[[str], Device]) -> DataDir:
    """A data directory with two devices' records, a conflict and a pull."""
    a, b = make_device("a"), make_device("b")
    grave = a.new("site_grave", GRAVE)
    a.push()
    b.pull()
    a.edit(grave, {"max_depth_m": 2.0})
    b.edit(grave, {"max_depth_m": 2.2})
    b.new("site_grave", {**GRAVE, "site_code": "DSH-02"})
    a.push()
    b.push()
    return data
