"""Reading attachments: missing files are visible, supervisors read files and thumbnails
of their own project only, devices fetch byte for byte, EXIF disagreements are flagged."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image

from server import admin
from server.attachments.files import AttachmentFiles
from server.datadir import DataDir
from sync.client import Device, Refused
from tests.photos import jpeg
from tests.server.conftest import BASE, PROJECT, AppTransport

MakeDevice = Callable[[str], Device]
WHEN = dt.datetime.now(dt.UTC).replace(microsecond=0)  # taken just before it is attached
HERE = {"lat": 40.1, "lon": 46.9, "h_acc_m": 5.0}


def _photo_record(device: Device, photo: Path, no: int = 1, **extra: Any) -> str:
    values = {
        "photo_no": f"DSH-01-P{no:05d}",
        "file": device.attachments.attach(photo),
        "taken_at": "2026-05-01T10:00:00Z",
        "photographer": "A. Aliyev",
        "subject_type": "grave",
        "location": HERE,
        **extra,
    }
    return device.new("photo_log", values)


def _headers(data: DataDir, role: str = "admin", project: str | None = None) -> dict[str, str]:
    if role == "admin":
        assert data.first_admin_token is not None
        token = data.first_admin_token.token
    else:
        token = admin.issue_token(data.store, role, project, "test").token
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A real JPEG with EXIF taken where and when the record says."""
    path = tmp_path / "grave-1.jpg"
    path.write_bytes(jpeg(lat=40.1001, lon=46.9001, taken=WHEN, size=(800, 600)))
    return path


def test_a_record_shows_which_files_have_not_arrived_until_they_do(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    photo: Path,
) -> None:
    device = make_device("team-a")
    record = _photo_record(device, photo)
    device.seal_pending()
    for batch in device.store.pending_batches():
        assert client.post("/v1/device/batches", content=batch.sealed).status_code == 200
    headers = _headers(data)
    body = client.get(f"/v1/records/{record}", headers=headers).json()
    assert body["missing_attachments"] == 1
    (entry,) = body["attachments"]
    assert entry["received"] is False and entry["url"] is None
    assert entry["paths"] == ["file"] and entry["referenced_by"] == [device.device_id]
    listed = client.get(
        f"/v1/projects/{PROJECT}/records?has_missing_attachments=true", headers=headers
    ).json()
    assert [r["record_id"] for r in listed["items"]] == [record]
    missing = client.get(f"/v1/projects/{PROJECT}/attachments/missing", headers=headers).json()
    assert [(m["record_id"], m["device_label"]) for m in missing["missing"]] == [(record, "team-a")]

    device.push()
    body = client.get(f"/v1/records/{record}", headers=headers).json()
    assert body["missing_attachments"] == 0
    (entry,) = body["attachments"]
    assert entry["received"] is True and entry["media_type"] == "image/jpeg"
    assert entry["exif"]["camera_model"] == "EOS R6"
    assert entry["exif"]["taken_at"] == WHEN.isoformat()
    assert entry["exif"]["gps"] == {"lat": 40.1001, "lon": 46.9001}
    assert entry["flags"] == []  # 14 m from the fix, taken at the recorded time
    listed = client.get(
        f"/v1/projects/{PROJECT}/records?has_missing_attachments=true", headers=headers
    ).json()
    assert listed["items"] == []
    missing = client.get(f"/v1/projects/{PROJECT}/attachments/missing", headers=headers).json()
    assert missing["missing"] == []


def test_a_photo_far_from_the_record_or_its_time_is_flagged_never_corrected(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    far = tmp_path / "far.jpg"
    # 10 km north, and taken long before it was attached.
    far.write_bytes(jpeg(lat=40.19, lon=46.9, taken=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
    record = _photo_record(device, far)
    device.push()
    body = client.get(f"/v1/records/{record}", headers=_headers(data)).json()
    (entry,) = body["attachments"]
    codes = [f["code"] for f in entry["flags"]]
    assert codes == ["photo_far_from_record", "photo_time_far_from_record"]
    assert 9_900 < entry["flags"][0]["distance_m"] < 10_100
    assert entry["flags"][0]["allowed_m"] == 105.0  # the fix's 5 m + the 100 m margin
    assert body["record"]["fields"]["location"]["value"] == HERE  # nothing changed


def test_supervisors_read_the_file_with_ranges_and_a_cached_thumbnail(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    photo: Path,
) -> None:
    device = make_device("team-a")
    _photo_record(device, photo)
    device.push()
    sha = device.attachments.blobs.add_file(photo)[0]
    raw = photo.read_bytes()
    headers = _headers(data, "supervisor", PROJECT)
    whole = client.get(f"/v1/attachments/{sha}", headers=headers)
    assert whole.status_code == 200 and whole.content == raw
    assert whole.headers["content-type"] == "image/jpeg"
    assert whole.headers["content-length"] == str(len(raw))
    assert whole.headers["etag"] == f'"{sha}"'
    part = client.get(f"/v1/attachments/{sha}", headers={**headers, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == raw[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(raw)}"
    tail = client.get(f"/v1/attachments/{sha}", headers={**headers, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == raw[-10:]
    beyond = client.get(
        f"/v1/attachments/{sha}", headers={**headers, "Range": f"bytes={len(raw)}-"}
    )
    assert beyond.status_code == 416 and beyond.json()["error"] == "range_not_satisfiable"
    same = client.get(f"/v1/attachments/{sha}", headers={**headers, "If-None-Match": f'"{sha}"'})
    assert same.status_code == 304

    thumb = client.get(f"/v1/attachments/{sha}/thumbnail", headers=headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert max(image.size) == 256 and image.size == (256, 192)
    cached = AttachmentFiles(data.path).thumb(sha, 256)
    assert cached.read_bytes() == thumb.content
    assert (
        client.get(f"/v1/attachments/{sha}/thumbnail?size=999", headers=headers).json()["error"]
        == "bad_thumbnail_size"
    )
    assert client.get(f"/v1/attachments/{sha}").status_code == 401


def test_another_projects_users_and_devices_cannot_even_confirm_the_file(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    photo: Path,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    _photo_record(device, photo)
    device.push()
    sha = device.attachments.blobs.add_file(photo)[0]
    admin.create_project(data.store, "BA-KAMENICA", "Kamenica", "test")
    stranger = _headers(data, "supervisor", "BA-KAMENICA")
    unknown = "0" * 64
    for path in ("", "/thumbnail"):
        theirs = client.get(f"/v1/attachments/{sha}{path}", headers=stranger)
        nothing = client.get(f"/v1/attachments/{unknown}{path}", headers=stranger)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json()["error"] == nothing.json()["error"] == "attachment_not_found"
        assert theirs.json()["message"].replace(sha, unknown) == nothing.json()["message"]

    # A device of the other project: the same file, attached there, is not receipted for
    # free (the other project does not hold it) and cannot be fetched.
    code = admin.issue_enroll_code(data.store, "BA-KAMENICA", 3600, "test").code
    other = Device(tmp_path / "kamenica", transport=AppTransport(client), sleep=lambda _s: None)
    other.enroll(BASE, code)
    with pytest.raises(Refused, match="404 attachment_not_found"):
        other.attachments.fetch(sha)
    record = _photo_record(other, photo)
    summary = other.push()
    assert summary.attachments == 1
    uploads = data.store.reader().execute(
        "SELECT device_id, sealed_size > 0 FROM attachment_uploads ORDER BY device_id"
    )
    assert sorted(uploads) == sorted([(device.device_id, 1), (other.device_id, 1)])
    assert other.fetch(record)[0][1].read_bytes() == photo.read_bytes()
    other.close()


def test_a_second_device_fetches_the_photo_byte_for_byte(
    data: DataDir, make_device: MakeDevice, photo: Path
) -> None:
    a, b = make_device("team-a"), make_device("team-b")
    record = _photo_record(a, photo)
    a.push()
    b.pull()
    assert not b.attachments.blobs.has(a.record_attachments(record)[0])
    ((sha, path),) = b.fetch(record)
    assert path.read_bytes() == photo.read_bytes()
    assert b.attachments.blobs.path(sha) == path
    # The second device's copy of the same file is receipted without sending its bytes.
    b.edit(record, {"description": "Grave 1, north end"})
    assert b.push().attachments == 0
