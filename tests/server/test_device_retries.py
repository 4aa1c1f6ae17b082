"""The device's retry loop waits as long as the server asks (`Retry-After`), no less."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server import admin
from server.datadir import DataDir
from sync.client import MAX_RETRY_AFTER_S, Device
from tests.examples import GRAVE
from tests.server.conftest import BASE, PROJECT, AppTransport


class Busy(httpx.BaseTransport):
    """Answers the first `times` pushes with `status` and `Retry-After`, then the app."""

    def __init__(self, inner: httpx.BaseTransport, status: int, retry_after: str | None) -> None:
        self.inner, self.status, self.retry_after = inner, status, retry_after
        self.times = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/device/batches" and self.times > 0:
            self.times -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(
                self.status, headers=headers, json={"error": "busy", "message": "busy"}
            )
        return self.inner.handle_request(request)


@pytest.mark.parametrize(
    ("status", "retry_after", "waits"),
    [
        (429, "7", [7.0, 7.0]),
        (503, "2.5", [2.5, 2.5]),
        (429, "100000", [MAX_RETRY_AFTER_S, MAX_RETRY_AFTER_S]),
        (503, None, [0.5, 1.0]),  # no header: the doubling back-off
        (429, "Wed, 21 Oct 2015 07:28:00 GMT", [0.5, 1.0]),
    ],
)
def test_push_waits_what_retry_after_asks_then_delivers(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    status: int,
    retry_after: str | None,
    waits: list[float],
) -> None:
    busy = Busy(AppTransport(client), status, retry_after)
    slept: list[float] = []
    device = Device(tmp_path / "home", transport=busy, sleep=slept.append)
    try:
        device.enroll(BASE, admin.issue_enroll_code(data.store, PROJECT, 3600, "t").code)
        device.new("site_grave", GRAVE)
        busy.times = 2
        assert device.push().batches == 1
        assert slept == waits
    finally:
        device.close()
