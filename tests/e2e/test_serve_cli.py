"""`cairn serve`: the admin token is printed once; the client address behind a proxy."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.harness import ServerProcess


def test_first_start_prints_a_working_admin_token_and_later_starts_do_not(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "fresh")
    server.start()
    try:
        token = server.admin_token
        assert token is not None
        answer = httpx.post(
            server.url + "/v1/projects",
            json={"code": "P1", "name": "first"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201
    finally:
        server.stop()
    server.admin_token = None
    server.start()
    try:
        assert server.admin_token is None
        projects = httpx.get(
            server.url + "/v1/projects", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [p["code"] for p in projects] == ["P1"]
    finally:
        server.stop()


WRONG = {"Authorization": "Bearer cairn_" + "x" * 43}


def _lock_out(server: ServerProcess, address: str) -> None:
    """Send the 30 wrong tokens that lock an address out, as coming from `address`."""
    headers = {**WRONG, "X-Forwarded-For": address}
    codes = {httpx.get(f"{server.url}/v1/projects", headers=headers).status_code for _ in range(30)}
    assert codes == {401}


def _status_as(server: ServerProcess, address: str) -> int:
    headers = {**WRONG, "X-Forwarded-For": address}
    return httpx.get(f"{server.url}/v1/projects", headers=headers).status_code


def test_behind_a_trusted_proxy_each_client_is_locked_out_on_its_own(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "proxied")  # default: a proxy on 127.0.0.1 is trusted
    server.start()
    try:
        _lock_out(server, "203.0.113.5")
        assert _status_as(server, "203.0.113.5") == 429
        assert _status_as(server, "203.0.113.6") == 401  # another client, not locked out
    finally:
        server.stop()


def test_with_no_trusted_proxy_the_forwarded_address_is_ignored(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "direct", ("--forwarded-allow-ips", ""))
    server.start()
    try:
        _lock_out(server, "203.0.113.5")
        # X-Forwarded-For cannot buy a guesser a fresh address: the peer is what counts.
        assert _status_as(server, "203.0.113.6") == 429
    finally:
        server.stop()
