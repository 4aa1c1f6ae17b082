"""A device names who recorded what by their labels, learnt from the server's pull pages."""

from __future__ import annotations

from collections.abc import Callable

from litestar.testing import TestClient

from server import admin
from server.cli.render import render_record
from server.datadir import DataDir
from sync.client import Device
from tests.examples import GRAVE
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]


def test_conflicts_on_the_device_name_devices_and_supervisors_by_their_labels(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b = make_device("tablet-a"), make_device("tablet-b")
    grave = a.new("site_grave", GRAVE)
    a.push()
    b.pull()
    a.edit(grave, {"max_depth_m": 2.4})
    b.edit(grave, {"max_depth_m": 2.6})
    a.push()
    b.push()
    b.pull()
    labels = b.labels()
    assert labels[a.device_id] == "tablet-a" and labels[b.device_id] == "tablet-b"
    text = render_record(b.view(grave), labels=labels)
    assert "2.4 by tablet-a" in text and "2.6 by tablet-b" in text
    assert a.device_id not in text
    token = admin.issue_token(data.store, "supervisor", PROJECT, "test", label="Dr. Huseynova")
    headers = {"Authorization": f"Bearer {token.token}"}
    answer = client.post(
        f"/v1/records/{grave}/resolutions",
        headers=headers,
        json={"conflict": "field", "path": "max_depth_m", "value": 2.5, "reason": "re-measured"},
    )
    assert answer.status_code == 201, answer.text
    b.pull()
    assert b.labels()[f"sup-{token.token_id}"] == "Dr. Huseynova"
