"""POST /v1/projects/{code}/exports: an admin gets a streamed age file; others do not."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable

from litestar.testing import TestClient

from server import admin
from server.audit.chain import project_chain
from server.datadir import DataDir
from server.store import audit_log
from sync.age import decrypt_bytes, generate_hybrid, generate_x25519
from sync.client import Device

PROJECT = "AZ-DASHALTI"
GRAVE = {
    "site_code": "DSH-01",
    "grave_no": 1,
    "legal_authority_ref": "Court order 17/2026",
    "grave_type": "mass",
    "deposition": "primary",
    "datum_point": {"lat": 40.1, "lon": 46.9, "h_acc_m": 2.0},
    "status": "excavating",
}
Client = TestClient  # type: ignore[type-arg]


def _url(code: str = PROJECT) -> str:
    return f"/v1/projects/{code}/exports"


def test_admin_gets_a_streamed_age_file_that_decrypts_to_the_signed_archive(
    data: DataDir,
    client: Client,
    make_device: Callable[[str], Device],
    admin_headers: dict[str, str],
) -> None:
    dev = make_device("team-a")
    record_id = dev.new("site_grave", GRAVE)
    dev.push()
    holders = [generate_hybrid(), generate_hybrid()]
    body = {"recipients": [str(h.recipient()) for h in holders]}
    response = client.post(_url(), json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content.startswith(b"age-encryption.org/v1\n")
    for holder in holders:  # every recipient can open it
        plain = decrypt_bytes(response.content, [holder])
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
            names = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()}
            top = tar.getmembers()[0].name
            records = tar.extractfile(f"{top}/records.jsonl")
            assert records is not None
            assert json.loads(records.readline())["id"] == record_id
        assert {"manifest.json", "manifest.json.minisig", "cairn.pub", "SHA256SUMS"} <= names
    last = list(audit_log.entries(data.store.reader(), project_chain(PROJECT)))[-1]
    assert (last.kind, last.subject) == ("export", PROJECT)
    assert last.data["manifest_sha256"] == response.headers["x-cairn-manifest-sha256"]
    assert not list(data.path.glob(".export-*"))  # the spooled plaintext is gone


def test_a_supervisor_may_not_export(data: DataDir, client: Client) -> None:
    token = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    body = {"recipients": [str(generate_x25519().recipient())]}
    response = client.post(_url(), json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_unknown_project_is_404(client: Client, admin_headers: dict[str, str]) -> None:
    body = {"recipients": [str(generate_x25519().recipient())]}
    response = client.post(_url("NO-SUCH"), json=body, headers=admin_headers)
    assert response.status_code == 404
    assert "NO-SUCH" in response.json()["message"]


def test_a_bad_recipient_is_400_naming_it(client: Client, admin_headers: dict[str, str]) -> None:
    good = str(generate_x25519().recipient())
    response = client.post(
        _url(), json={"recipients": [good, "age1garbage"]}, headers=admin_headers
    )
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "bad_recipient"
    assert "recipient 2" in payload["message"] and "age1garbage" in payload["message"]
    assert payload["details"]["recipient"] == "age1garbage"


def test_mixing_post_quantum_and_classic_recipients_is_400_saying_why(
    client: Client, admin_headers: dict[str, str]
) -> None:
    mixed = [str(generate_x25519().recipient()), str(generate_hybrid().recipient())]
    response = client.post(_url(), json={"recipients": mixed}, headers=admin_headers)
    assert response.status_code == 400
    assert response.json()["error"] == "mixed_recipients"
    assert "cannot share one archive" in response.json()["message"]
