"""`cairn serve` on a new directory prints the admin token once; later starts reuse it."""

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
