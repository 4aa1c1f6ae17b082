"""Rotating the server batch key: late uploads still open, devices learn the new key."""

from __future__ import annotations

from collections.abc import Callable

from litestar.testing import TestClient

from server.audit.chain import SERVER, project_chain
from server.datadir import DataDir
from server.store import audit_log
from server.store import sync_tables as st
from sync.client import Device
from sync.keys import ServerKeys
from tests.examples import GRAVE
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]


def test_rotation_keeps_late_batches_and_devices_move_to_the_new_key(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
    make_device: MakeDevice,
) -> None:
    early, late = make_device("early"), make_device("late")
    old_key = early.store.get_str("batch_key_id")
    # `late` seals a batch to the old key while offline, before the rotation.
    late.new("site_grave", GRAVE)
    late.seal_pending()
    answer = client.post("/v1/keys/rotate", json={"hybrid": True}, headers=admin_headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["batch_key_id"] != old_key and body["retired_key_ids"] == [old_key]
    assert ServerKeys.load(data.keys_dir).current.key_id == body["batch_key_id"]
    # The late upload, sealed to the retired key, is still accepted.
    assert late.push().batches == 1
    # A pull tells the device the new key; its next batch is sealed to it.
    early.pull()
    assert early.store.get_str("batch_key_id") == body["batch_key_id"]
    early.new("site_grave", {**GRAVE, "site_code": "DSH-02"})
    early.push()
    keys_used = {b.key_id for b in st.iter_batches(data.store.reader())}
    assert keys_used == {old_key, body["batch_key_id"]}
    for chain in (SERVER, project_chain(PROJECT)):  # the project's chain records it too
        rotations = [e for e in audit_log.entries(data.store.reader(), chain)]
        assert [e.subject for e in rotations if e.kind == "keys.rotate"] == [body["batch_key_id"]]


def test_only_admins_rotate_keys(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.post("/v1/keys/rotate", json={}).status_code == 401
