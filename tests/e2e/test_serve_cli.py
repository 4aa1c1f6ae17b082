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


def test_accepted_connections_send_without_waiting_for_an_ack() -> None:
    """The listening socket names TCP, so asyncio sets TCP_NODELAY on every connection
    it accepts (with protocol 0 it did not, and Nagle held each answer's body)."""
    import asyncio
    import socket

    from server.cli.serve_cmd import _listen
    from tests.e2e.harness import free_port

    port = free_port()
    sock = _listen("127.0.0.1", port)
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(run())
    assert seen and seen[0] != 0


def test_answers_on_a_kept_alive_connection_do_not_wait_for_a_delayed_ack(
    tmp_path: Path,
) -> None:
    """A device pushes batch after batch on one connection: each answer must leave at
    once, not ~40 ms later when the client's delayed ack releases Nagle's hold."""
    import statistics
    import time

    server = ServerProcess(tmp_path / "keepalive")
    server.start()
    try:
        times = []
        with httpx.Client(base_url=server.url) as http:
            for _ in range(21):
                began = time.perf_counter()
                assert http.get("/v1/health").status_code == 200
                times.append(time.perf_counter() - began)
        assert statistics.median(times) < 0.02, times
    finally:
        server.stop()
