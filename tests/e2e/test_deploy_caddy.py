"""Cairn deployed as deploy/ says: a real Caddy (Debian's `caddy`) with `tls internal` in
front of a real `cairn serve`, all on loopback.

The site block is deploy/Caddyfile's own, with only its name and upstream changed to
this test's ports; the global options are the test's (no admin endpoint, no trust-store
install, bound to 127.0.0.1, Caddy's state under tmp_path). Clients trust the root
certificate of Caddy's internal CA from its data directory, as a field base's tablets do.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server import admin
from server.datadir import open_data_dir
from server.ratelimit import DEFAULT_MAX_FAILURES
from sync.client import Device
from tests.e2e.harness import PROJECT, ServerProcess, free_port, prepare
from tests.examples import GRAVE

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = (ROOT / "deploy/Caddyfile").read_text()
SITE, UPSTREAM = "cairn.base.lan {", "reverse_proxy 127.0.0.1:8000"

pytestmark = pytest.mark.skipif(
    shutil.which("caddy") is None,
    reason="Debian's caddy is not installed (apt-get install caddy; .ci/run installs it)",
)


class Caddy:
    """`caddy run` on the deployed site block, on a free loopback port."""

    def __init__(self, home: Path, upstream_port: int) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.upstream_port = upstream_port
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        assert SITE in DEPLOYED and UPSTREAM in DEPLOYED, "deploy/Caddyfile changed shape"
        site = DEPLOYED[DEPLOYED.index(SITE) :]
        site = site.replace(SITE, f"127.0.0.1:{self.port} {{")
        site = site.replace(UPSTREAM, f"reverse_proxy 127.0.0.1:{self.upstream_port}")
        return (
            "{\n\tadmin off\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n"
            f"\thttps_port {self.port}\n\thttp_port {free_port()}\n"
            "\tauto_https disable_redirects\n}\n\n" + site
        )

    @property
    def root_cert(self) -> Path:
        return self.home / "data/caddy/pki/authorities/local/root.crt"

    def start(self, timeout: float = 30.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        caddyfile = self.home / "Caddyfile"
        caddyfile.write_text(self.config())
        env = {
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "PATH": "/usr/bin:/bin",
        }
        with open(self.home / "caddy.log", "wb") as log:
            self.proc = subprocess.Popen(
                ["caddy", "run", "--adapter", "caddyfile", "--config", str(caddyfile)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("caddy exited:\n" + (self.home / "caddy.log").read_text())
            if self.root_cert.exists():
                try:
                    with self.client() as client:
                        if client.get("/v1/health").status_code == 200:
                            return
                except (httpx.TransportError, ssl.SSLError):
                    pass
            time.sleep(0.1)
        raise RuntimeError(
            "caddy did not answer in time:\n" + (self.home / "caddy.log").read_text()
        )

    def tls(self) -> ssl.SSLContext:
        """Trust Caddy's internal CA, and nothing else."""
        return ssl.create_default_context(cafile=str(self.root_cert))

    def client(self, source: str | None = None) -> httpx.Client:
        """An HTTPS client, from loopback address `source` (127.0.0.x) when given."""
        transport = httpx.HTTPTransport(verify=self.tls(), local_address=source)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _serve(data: Path, *extra_args: str) -> tuple[ServerProcess, str]:
    """A project, an admin token, then `cairn serve` on the data directory."""
    prepare(data)
    opened = open_data_dir(data, create=False)
    try:
        token = admin.issue_token(opened.store, "admin", None, "test").token
    finally:
        opened.store.close()
    server = ServerProcess(data, extra_args=extra_args)
    server.start()
    return server, token


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[ServerProcess, Caddy]]:
    """`cairn serve` (its default --forwarded-allow-ips 127.0.0.1) behind Caddy."""
    server, token = _serve(tmp_path / "data")
    server.admin_token = token
    caddy = Caddy(tmp_path / "caddy", server.port)
    try:
        caddy.start()
        yield server, caddy
    finally:
        caddy.stop()
        server.stop()


def _sign_in(client: httpx.Client, token: str) -> httpx.Response:
    page = client.get("/login")
    assert page.status_code == 200
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce is not None
    return client.post("/login", data={"nonce": nonce[1], "token": token}, follow_redirects=False)


def test_a_device_pushes_over_https_and_only_with_the_ca_trusted(
    deployed: tuple[ServerProcess, Caddy], tmp_path: Path
) -> None:
    server, caddy = deployed
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(caddy.url + "/v1/health")
    device = Device(tmp_path / "home", transport=httpx.HTTPTransport(verify=caddy.tls()))
    try:
        device.enroll(caddy.url, server.enroll_code(), label="tablet 1")
        device.new("site_grave", GRAVE)
        assert device.push().batches == 1
        assert device.store.get_str("server_url") == caddy.url
    finally:
        device.close()
    # The command line trusts the CA through SSL_CERT_FILE, as the README says.
    enrolled = subprocess.run(
        [
            *(sys.executable, "-m", "server.cli", "device", "enroll"),
            *(caddy.url, server.enroll_code(), "--home", str(tmp_path / "cli-home")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SSL_CERT_FILE": str(caddy.root_cert)},
    )
    assert enrolled.returncode == 0, enrolled.stderr
    with caddy.client() as client:
        records = client.get(
            f"/v1/projects/{PROJECT}/records",
            headers={"Authorization": f"Bearer {server.admin_token}"},
        )
    assert records.status_code == 200
    assert [r["identifier"] for r in records.json()["items"]] == ["DSH-01-G1"]


def test_console_sign_in_over_https_sets_secure_cookies(
    deployed: tuple[ServerProcess, Caddy],
) -> None:
    server, caddy = deployed
    assert server.admin_token is not None
    with caddy.client() as client:
        login_page = client.get("/login")
        assert "secure" in login_page.headers["set-cookie"].lower().split("; ")
        answer = _sign_in(client, server.admin_token)
        assert answer.status_code == 303
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "cairn_session=" in c)
        flags = {part.split("=")[0].strip().lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite"} <= flags
        assert "samesite=strict" in cookie.lower()
        home = client.get("/")
        assert home.status_code == 200 and PROJECT in home.text
    # The same sign-in straight to cairn serve over plain HTTP: no Secure flag (the flag
    # comes from Caddy's X-Forwarded-Proto, trusted because Caddy is 127.0.0.1).
    with httpx.Client(base_url=server.url) as plain:
        answer = _sign_in(plain, server.admin_token)
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "cairn_session=" in c)
        assert "secure" not in cookie.lower()


def _lock_out(caddy: Caddy, source: str) -> None:
    """DEFAULT_MAX_FAILURES wrong tokens from `source`, each forging another
    X-Forwarded-For (Caddy replaces it with the real peer): then 429."""
    with caddy.client(source) as guesser:
        for n in range(DEFAULT_MAX_FAILURES):
            wrong = guesser.get(
                "/v1/projects",
                headers={
                    "Authorization": f"Bearer cairn_wrong{n}",
                    "X-Forwarded-For": f"10.9.9.{n}",
                },
            )
            assert wrong.status_code == 401, wrong.text
        locked = guesser.get("/v1/projects", headers={"Authorization": "Bearer cairn_wrong"})
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


def test_forwarded_allow_ips_gives_each_client_its_own_failed_login_limit(
    deployed: tuple[ServerProcess, Caddy],
) -> None:
    server, caddy = deployed
    token = server.admin_token
    assert token is not None
    _lock_out(caddy, "127.0.0.2")
    # Another tablet behind the same proxy is not locked out, on the API nor the console.
    with caddy.client("127.0.0.3") as other:
        ok = other.get("/v1/projects", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert _sign_in(other, token).status_code == 303
    with caddy.client("127.0.0.2") as guesser:
        assert _sign_in(guesser, token).status_code == 429


def test_without_a_trusted_proxy_every_client_shares_the_proxys_limit(tmp_path: Path) -> None:
    server, token = _serve(tmp_path / "data", "--forwarded-allow-ips", "")
    caddy = Caddy(tmp_path / "caddy", server.port)
    try:
        caddy.start()
        _lock_out(caddy, "127.0.0.2")
        with caddy.client("127.0.0.3") as other:
            answer = other.get("/v1/projects", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 429
    finally:
        caddy.stop()
        server.stop()
