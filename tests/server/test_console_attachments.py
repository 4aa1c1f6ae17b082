"""The console's record page shows each photo: its thumbnail (loaded from the thumbnail
route with the console session), file name, EXIF facts and flags; a file still on a
tablet is named as such, with the device that holds it."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from PIL import Image

from server import admin
from server.datadir import DataDir
from sync.client import Device
from tests.photos import jpeg
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]
HERE = {"lat": 40.1, "lon": 46.9, "h_acc_m": 5.0}


def _record(device: Device, photo: Path, no: int) -> tuple[str, str]:
    value: dict[str, Any] = device.attachments.attach(photo)
    record = device.new(
        "photo_log",
        {
            "photo_no": f"DSH-01-P{no:05d}",
            "file": value,
            "taken_at": "2026-05-01T10:00:00Z",
            "photographer": "A. Aliyev",
            "subject_type": "grave",
            "location": HERE,
        },
    )
    return record, str(value["sha256"])


def _sign_in(client: TestClient, token: str) -> None:  # type: ignore[type-arg]
    page = client.get("/login")
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    answer = client.post("/login", data={"nonce": nonce, "token": token}, follow_redirects=False)
    assert answer.status_code == 303


def test_the_record_page_shows_the_thumbnail_name_exif_and_flags_of_a_photo(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    photo = tmp_path / "grave-far.jpg"
    # 10 km north of the record's fix: the reviewer must see it, nothing is corrected.
    photo.write_bytes(
        jpeg(lat=40.19, lon=46.9, taken=dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC), seed=4)
    )
    record, sha = _record(device, photo, 1)
    device.push()
    _sign_in(client, admin.issue_token(data.store, "supervisor", PROJECT, "test").token)

    page = client.get(f"/r/{record}")
    assert page.status_code == 200
    html = page.text
    src = f"/v1/attachments/{sha}/thumbnail?size=256"
    assert f'<img class="thumb" src="{src}"' in html
    assert f'href="/v1/attachments/{sha}"' in html
    assert "grave-far.jpg" in html
    assert "Canon EOS R6" in html
    assert "2026-05-01T10:00:00+00:00" in html  # EXIF time taken
    assert "40.19, 46.9" in html  # EXIF position
    assert "photo far from record" in html and "from the record&#39;s" in html
    assert "not yet received" not in html

    # The browser loads the image from the thumbnail route with the same session.
    thumb = client.get(src)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert max(small.size) == 256
    full = client.get(f"/v1/attachments/{sha}")
    assert full.status_code == 200 and full.content == photo.read_bytes()


def test_a_file_not_yet_received_names_the_device_that_holds_it(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("tablet-7")
    photo = tmp_path / "P2.jpg"
    photo.write_bytes(jpeg(seed=5))
    record, sha = _record(device, photo, 2)
    device.seal_pending()  # the batch goes, the photo stays on the tablet
    for batch in device.store.pending_batches():
        assert client.post("/v1/device/batches", content=batch.sealed).status_code == 200
    _sign_in(client, admin.issue_token(data.store, "supervisor", PROJECT, "test").token)
    html = client.get(f"/r/{record}").text
    assert "not yet received from device tablet-7" in html
    assert "P2.jpg" in html and sha[:12] in html
    assert '<img class="thumb"' not in html
    assert client.get(f"/v1/attachments/{sha}/thumbnail").status_code == 404


def test_the_thumbnail_route_takes_a_live_session_of_the_project_only(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    device = make_device("team-a")
    photo = tmp_path / "P3.jpg"
    photo.write_bytes(jpeg(seed=6))
    _record_id, sha = _record(device, photo, 3)
    device.push()
    src = f"/v1/attachments/{sha}/thumbnail"
    assert client.get(src).status_code == 401  # neither token nor session

    admin.create_project(data.store, "EDL", "Edilli", "test")
    _sign_in(client, admin.issue_token(data.store, "supervisor", "EDL", "test").token)
    assert client.get(src).status_code == 404  # another project's file: not there
    assert client.get(f"/v1/attachments/{sha}").status_code == 404

    token = admin.issue_token(data.store, "supervisor", PROJECT, "test")
    _sign_in(client, token.token)
    assert client.get(src).status_code == 200
    admin.revoke_token(data.store, token.token_id, "test")
    assert client.get(src).status_code == 401  # revoking the token ends its sessions
