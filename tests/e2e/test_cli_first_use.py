"""The commands as a new user first runs them, against a real `cairn serve`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sync.client import Device
from sync.keys import ServerKeys
from tests.e2e.harness import PROJECT, ServerProcess, free_port, prepare
from tests.examples import GRAVE


def _cairn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_serve_on_a_busy_port_says_so_and_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        data = tmp_path / "new-data"
        done = _cairn("serve", "--data", str(data), "--port", str(port))
    assert done.returncode == 2
    assert done.stderr == (
        f"cairn: error: port {port} on 127.0.0.1 is already in use (another 'cairn serve' "
        "or another program); stop that one, or choose a free port with --port\n"
    )
    assert "Listening" not in done.stdout and "Admin token" not in done.stdout
    assert not data.exists()


def test_admin_enroll_prints_the_command_with_the_servers_url(tmp_path: Path) -> None:
    data = tmp_path / "d"
    prepare(data)
    before = _cairn("admin", "enroll", PROJECT, "--data", str(data))
    assert "cairn device enroll http://SERVER:8000 " in before.stdout
    assert "it has not run on this data directory yet" in before.stdout
    server = ServerProcess(data)
    server.start()
    try:
        done = _cairn("admin", "enroll", PROJECT, "--data", str(data))
        code = done.stdout.splitlines()[0]
        line = f"  cairn device enroll {server.url} {code}"
        assert line in done.stdout.splitlines()
        # The printed command, run as printed, enrolls.
        home = tmp_path / "home"
        enrolled = _cairn("device", *line.split()[2:], "--home", str(home))
        assert enrolled.returncode == 0, enrolled.stderr
        assert f"in project {PROJECT}" in enrolled.stdout
        proxied = _cairn("admin", "enroll", PROJECT, "--data", str(data), "--url", "https://x.org")
        assert "  cairn device enroll https://x.org " in proxied.stdout
    finally:
        server.stop()


def test_enroll_with_the_server_down_leaves_nothing_and_says_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"http://127.0.0.1:{free_port()}"
    done = _cairn("device", "enroll", url, "ABCD-EFGH", "--home", str(home))
    assert done.returncode == 2
    assert "could not reach the server" in done.stderr
    assert "this device is not enrolled" in done.stderr
    assert "run the same command again" in done.stderr
    assert "receipted" not in done.stderr and "nothing was lost" not in done.stderr
    assert not home.exists()
    # A home that was there before keeps what it had, but no keys of the failed attempt.
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    assert _cairn("device", "enroll", url, "ABCD-EFGH", "--home", str(home)).returncode == 2
    assert (home / "notes.txt").read_text() == "mine"
    assert not (home / "keys").exists()


def test_rotate_keys_from_the_cli_takes_effect_without_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "d"
    prepare(data)
    server = ServerProcess(data)
    server.start()
    device = Device(tmp_path / "home")
    try:
        device.enroll(server.url, server.enroll_code(), label="t1")
        old = device.store.get_str("batch_key_id")
        done = _cairn("admin", "rotate-keys", "--data", str(data))
        assert done.returncode == 0, done.stderr
        assert "restart" not in done.stdout
        new = ServerKeys.load(data / "keys").current.key_id
        assert new != old
        # The running server hands out the new key at once: a pull names it...
        device.pull()
        assert device.store.get_str("batch_key_id") == new
        # ...a batch sealed to it is accepted, and a new device enrolls with it.
        device.new("site_grave", GRAVE)
        assert device.push().batches == 1
        other = Device(tmp_path / "home2")
        try:
            assert other.enroll(server.url, server.enroll_code()).batch_key_id == new
        finally:
            other.close()
    finally:
        device.close()
        server.stop()


@pytest.mark.parametrize("first", ["/v1/schema", "/v1/schema/openapi.json"])
def test_schema_url_serves_the_same_json_whichever_is_asked_first(
    tmp_path: Path, first: str
) -> None:
    server = ServerProcess(tmp_path / "d")
    server.start()
    try:
        answers = {}
        for path in (first, *({"/v1/schema", "/v1/schema/openapi.json"} - {first})):
            answer = httpx.get(server.url + path)
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "application/vnd.oai.openapi+json"
            answers[path] = answer.content
        assert answers["/v1/schema"] == answers["/v1/schema/openapi.json"]
        assert b"ErrorResponse" in answers["/v1/schema"]
        assert b"cdn." not in answers["/v1/schema"]
        assert httpx.get(server.url + "/v1/schema/redoc").status_code == 404
    finally:
        server.stop()
