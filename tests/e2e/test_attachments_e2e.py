"""A photo end to end against a real `cairn serve`: attached with the CLI, its upload cut
mid-chunk on the wire, resumed from the server's offset, fetched by a second device with
`cairn device fetch`, read with its thumbnail by a supervisor, archived, and the archive
checked with the standard tools (age, tar, sha256sum, minisign) and `cairn archive verify`."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from server import admin
from server.attachments.files import AttachmentFiles
from server.datadir import open_data_dir
from sync import attachment as fmt
from sync.age import generate_x25519, write_identity_file
from sync.client import Device
from tests.e2e.harness import PROJECT, ServerProcess
from tests.photos import jpeg

TOOLS = all(shutil.which(t) for t in ("age", "minisign", "sha256sum", "tar"))
needs_tools = pytest.mark.skipif(not TOOLS, reason="needs Debian's age, minisign, sha256sum")
CHUNK = 256 * 1024
CUT_AFTER = 3  # whole chunks the server receives before the connection is cut
UPLOAD_PATH = "/v1/device/attachments/"


class _TabletDied(BaseException):
    """The device stops dead (battery out): nothing of the push runs after it."""


class _Wire(httpx.BaseTransport):
    """Real HTTP to the server, noting every upload chunk's offset and length; with `cut`,
    the chunk after `cut` whole ones goes out half-sent on a raw socket that is then shut,
    as a dropped connection does, and the device dies."""

    def __init__(self, url: str, cut: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.url = urlsplit(url)
        self.cut = cut
        self.chunks: list[tuple[int, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == UPLOAD_PATH:
            body = request.read()
            header = fmt.parse_chunk(body).header
            data_chunks = [c for c in self.chunks if c[1]]
            if self.cut is not None and header.length and len(data_chunks) == self.cut:
                self._send_half(body)
                raise _TabletDied
            self.chunks.append((header.offset, header.length))
        return self.inner.handle_request(request)

    def _send_half(self, body: bytes) -> None:
        host, port = self.url.hostname or "127.0.0.1", self.url.port or 80
        head = (
            f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/msgpack\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection((host, port), timeout=10) as raw:
            raw.sendall(head + body[: len(body) // 2])
            raw.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.inner.close()


def _cli(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    extra = ["--home", str(home)] if home is not None else []
    cmd = [sys.executable, "-m", "server.cli", *args[:2], *extra, *args[2:]]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _code(data: Path) -> str:
    opened = open_data_dir(data, create=False)
    try:
        return admin.issue_enroll_code(opened.store, PROJECT, 3600, "test").code
    finally:
        opened.store.close()


@pytest.fixture(params=[1, 2], ids=["one-process", "two-workers"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[ServerProcess, str]]:
    """A real server with the project, and its first admin token; also as two worker
    processes (`--workers 2`), where an upload's chunks may reach either."""
    data = tmp_path / "server"
    opened = open_data_dir(data, create=True)
    assert opened.first_admin_token is not None
    token = opened.first_admin_token.token
    admin.create_project(opened.store, PROJECT, "End to end", "test")
    opened.store.close()
    server = ServerProcess(data, ("--workers", str(request.param)))
    server.start()
    yield server, token
    server.stop()


def _wait_for_part(part: Path, size: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size == size):
        time.sleep(0.05)


@needs_tools
def test_a_photo_survives_a_cut_upload_and_reaches_devices_supervisors_and_the_archive(
    served: tuple[ServerProcess, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, admin_token = served
    monkeypatch.setattr("sync.uploads.CHUNK_BYTES", CHUNK)
    taken = dt.datetime.now(dt.UTC).replace(microsecond=0)
    photo = tmp_path / "DSH-01-G1.jpg"
    photo.write_bytes(jpeg(seed=11, taken=taken, size=(1600, 1200), lat=40.1, lon=46.9))
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()

    # Device A: enrolled and the photo attached with the CLI, as a team member would.
    home_a, home_b = tmp_path / "tablet-a", tmp_path / "tablet-b"
    _cli("device", "enroll", server.url, _code(server.data), "--label", "tablet-a", home=home_a)
    made = _cli(
        "device",
        "new",
        "photo_log",
        "--set",
        "photo_no=DSH-01-P00001",
        "--attach",
        f"file={photo}",
        "--set",
        f"taken_at={taken.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "--set",
        "photographer=A. Aliyev",
        "--set",
        "subject_type=grave",
        "--gps",
        "40.1,46.9,5",
        home=home_a,
    )
    record = made.stdout.strip().splitlines()[-1]

    # The push: the batch goes, then the photo's chunks; the fourth is cut mid-body.
    cut = _Wire(server.url, cut=CUT_AFTER)
    tablet = Device(home_a, transport=cut, sleep=lambda _s: None)
    with pytest.raises(_TabletDied):
        tablet.push()
    tablet.close()
    # The device keeps no sealed copy, only its plan: the sealed bytes are made from it.
    sealed_size = fmt.decode_plan((home_a / "outbox" / f"{sha}.plan").read_bytes()).sealed_size
    assert sealed_size > (CUT_AFTER + 2) * CHUNK  # a photo of several chunks
    assert [o for o, n in cut.chunks if n] == [i * CHUNK for i in range(CUT_AFTER)]
    files = AttachmentFiles(server.data)
    device_id = json.loads(_cli("device", "status", "--json", home=home_a).stdout)["device_id"]
    part = files.partial(device_id, sha)
    _wait_for_part(part, CUT_AFTER * CHUNK)
    assert part.stat().st_size == CUT_AFTER * CHUNK  # the half-sent chunk left nothing
    assert not files.blobs.has(sha)

    # The device comes back: it asks where the upload stands and sends only the rest.
    wire = _Wire(server.url)
    tablet = Device(home_a, transport=wire, sleep=lambda _s: None)
    summary = tablet.push()
    tablet.close()
    assert summary.attachments == 1
    assert wire.chunks[0] == (0, 0)  # the question: where does the upload stand?
    sent = [c for c in wire.chunks if c[1]]
    assert sent[0][0] == CUT_AFTER * CHUNK
    assert sum(n for _o, n in sent) == sealed_size - CUT_AFTER * CHUNK  # no byte twice
    assert files.blobs.path(sha).read_bytes() == photo.read_bytes()
    status = json.loads(_cli("device", "status", "--json", home=home_a).stdout)
    assert status["attachments"] == {"awaiting_receipt": 0, "delivered": 1}

    # Device B pulls the record and fetches the photo byte for byte with the CLI.
    _cli("device", "enroll", server.url, _code(server.data), "--label", "tablet-b", home=home_b)
    _cli("device", "pull", home=home_b)
    out = tmp_path / "fetched"
    fetched = _cli("device", "fetch", record, "--out", str(out), home=home_b)
    assert fetched.stdout.split() == [sha, str(out / sha)]
    assert (out / sha).read_bytes() == photo.read_bytes()

    # A supervisor reads the record, the photo and its thumbnail.
    with httpx.Client(base_url=server.url, timeout=30) as http:
        admin_headers = {"Authorization": f"Bearer {admin_token}"}
        token = http.post(
            "/v1/tokens", json={"role": "supervisor", "project": PROJECT}, headers=admin_headers
        )
        assert token.status_code == 201, token.text
        supervisor = {"Authorization": f"Bearer {token.json()['token']}"}
        shown = http.get(f"/v1/records/{record}", headers=supervisor)
        assert shown.status_code == 200, shown.text
        (attachment,) = shown.json()["attachments"]
        assert attachment["received"] is True
        assert attachment["exif"]["camera_model"] == "EOS R6"
        assert attachment["flags"] == []  # taken where and when the record says
        got = http.get(attachment["url"], headers=supervisor)
        assert got.status_code == 200
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["etag"].strip('"') == sha
        assert got.content == photo.read_bytes()
        thumb = http.get(attachment["thumbnail_url"], headers=supervisor)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(thumb.content)) as small:
            assert small.format == "JPEG" and max(small.size) <= 512

        # The archive, over HTTP, checked with the standard tools alone.
        identity = generate_x25519()
        key = tmp_path / "key.txt"
        write_identity_file(key, identity)
        archive = tmp_path / "archive.age"
        body = {"recipients": [str(identity.recipient())]}
        with http.stream(
            "POST", f"/v1/projects/{PROJECT}/exports", json=body, headers=admin_headers
        ) as answer:
            assert answer.status_code == 200
            with archive.open("wb") as f:
                for chunk in answer.iter_bytes():
                    f.write(chunk)
    into = tmp_path / "opened"
    into.mkdir()
    with subprocess.Popen(["age", "-d", "-i", str(key), str(archive)], stdout=subprocess.PIPE) as a:
        untar = subprocess.run(["tar", "-x", "-C", str(into)], stdin=a.stdout, capture_output=True)
    assert a.returncode == 0 and untar.returncode == 0, untar.stderr
    (top,) = into.iterdir()
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=top, capture_output=True)
    assert sums.returncode == 0, sums.stdout
    assert f"attachments/{sha}: OK".encode() in sums.stdout
    signed = subprocess.run(
        ["minisign", "-V", "-p", "cairn.pub", "-m", "manifest.json"], cwd=top, capture_output=True
    )
    assert signed.returncode == 0, signed.stderr
    assert (top / "attachments" / sha).read_bytes() == photo.read_bytes()
    sealed = top / "attachments" / "sealed" / sha / f"{device_id}.sealed"
    assert sealed.read_bytes() == files.sealed(device_id, sha).read_bytes()
    assert sealed.stat().st_size == sealed_size  # kept exactly as the device sealed it
    named = subprocess.run(["sha256sum", f"attachments/{sha}"], cwd=top, capture_output=True)
    assert named.stdout.split()[0].decode() == sha  # the file's name is its hash
    verified = subprocess.run(
        [sys.executable, "-m", "server.cli", "archive", "verify", str(archive), "-i", str(key)],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "attachments hashed against their names: 1" in verified.stdout
