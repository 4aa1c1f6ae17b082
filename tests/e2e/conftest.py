"""Fixtures: real `cairn serve` processes and device homes that talk to them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.client import Device
from tests.e2e.harness import ServerProcess, prepare


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    """Start fresh servers, each on its own data directory; all stopped at the end."""
    servers: list[ServerProcess] = []

    def make(name: str) -> ServerProcess:
        data = tmp_path / f"server-{name}"
        prepare(data)
        server = ServerProcess(data)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def make_device(tmp_path: Path) -> Iterator[Callable[[str, ServerProcess], Device]]:
    """Enroll device homes against a server."""
    devices: list[Device] = []

    def make(name: str, server: ServerProcess) -> Device:
        device = Device(tmp_path / f"home-{name}", sleep=lambda s: time.sleep(min(s, 0.2)))
        device.enroll(server.url, server.enroll_code(), label=name)
        devices.append(device)
        return device

    yield make
    for device in devices:
        device.close()
