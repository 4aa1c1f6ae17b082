"""`cairn serve --log-format json`: one JSON object a line, each request under the id its
answer carries as X-Request-ID, and never a token, key, query string or field value."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from server import admin
from server.datadir import open_data_dir
from sync.client import Device
from tests.e2e.harness import PROJECT, ServerProcess
from tests.examples import GRAVE

# What people type and what must never reach a log line.
WITNESS = "Zarifa-Mammadova"
COURT_ORDER = "Court order ZETA-9931/2026"


def _data_dir(path: Path) -> tuple[str, str]:
    """A data directory made before the server starts: (admin token, supervisor token)."""
    data = open_data_dir(path, create=True)
    try:
        assert data.first_admin_token is not None
        admin.create_project(data.store, PROJECT, "Logs", "test")
        supervisor = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
        return data.first_admin_token.token, supervisor
    finally:
        data.store.close()


def _json_lines(output: list[str]) -> list[dict[str, Any]]:
    """The log lines after the start-up banner (which `print`s, it does not log)."""
    start = next(i for i, line in enumerate(output) if "Listening on" in line) + 1
    lines = [line for line in output[start:] if line.strip()]
    return [json.loads(line) for line in lines]  # every one must be JSON


def test_json_logs_carry_request_ids_and_nothing_secret(tmp_path: Path) -> None:
    admin_token, supervisor = _data_dir(tmp_path / "data")
    server = ServerProcess(
        tmp_path / "data", extra_args=("--log-format", "json", "--log-level", "info")
    )
    server.start()
    auth = {"Authorization": f"Bearer {admin_token}"}
    try:
        listed = httpx.get(f"{server.url}/v1/projects?q={WITNESS}", headers=auth)
        assert listed.status_code == 200
        search = httpx.get(
            f"{server.url}/v1/projects/{PROJECT}/records",
            params={"q": WITNESS},
            headers={"Authorization": f"Bearer {supervisor}"},
        )
        assert search.status_code == 200
        wrong = httpx.get(f"{server.url}/v1/projects", headers={"Authorization": "Bearer cairn_x"})
        assert wrong.status_code == 401
        undecodable = httpx.post(
            f"{server.url}/v1/projects",
            content=b'{"code": "\xff\xfe", "name": "' + WITNESS.encode() + b'"}',
            headers={**auth, "Content-Type": "application/json"},
        )
        assert undecodable.status_code == 400
        missing = httpx.get(f"{server.url}/no/such/page?token={admin_token}")
        assert missing.status_code == 404
        metrics = httpx.get(f"{server.url}/metrics", headers=auth)
        assert metrics.status_code == 200

        device = Device(tmp_path / "home", sleep=lambda s: time.sleep(min(s, 0.2)))
        try:
            device.enroll(server.url, server.enroll_code(), label="team-a")
            device.new("site_grave", {**GRAVE, "legal_authority_ref": COURT_ORDER})
            assert device.push().batches == 1
            device.pull()
        finally:
            device.close()
    finally:
        server.stop()

    lines = _json_lines(server.output)
    assert lines, "no log line at all"
    for line in lines:
        assert {"time", "level", "logger", "request_id"} <= line.keys(), line
    access = [line for line in lines if line["logger"] == "cairn.access"]
    ids = [line["request_id"] for line in access]
    assert len(ids) == len(set(ids)) and all(ids), "one id per request"

    answers = (listed, search, wrong, undecodable, missing, metrics)
    by_id = {line["request_id"]: line for line in access}
    for answer in answers:
        request_id = answer.headers["x-request-id"]
        line = by_id[request_id]
        assert line["status"] == answer.status_code
        assert line["path"] == answer.request.url.path and "?" not in line["path"]
        assert line["method"] == answer.request.method
        assert line["duration_ms"] >= 0 and line["client"] == "127.0.0.1"
    # The handler's own warning is filed under the request that caused it.
    warned = [line for line in lines if line["logger"] == "cairn.server"]
    assert any(
        line["request_id"] == undecodable.headers["x-request-id"]
        and "UnicodeDecodeError" in line["message"]
        for line in warned
    ), warned
    pushes = [line for line in access if line["path"] == "/v1/device/batches"]
    assert [line["status"] for line in pushes] == [200]
    # Server start and stop lines (no request): request_id null.
    assert any(line["request_id"] is None for line in lines)

    text = "".join(server.output[1:])
    for secret in (admin_token, supervisor, WITNESS, "ZETA-9931", "AGE-SECRET-KEY"):
        assert secret not in text, secret


def test_text_logs_keep_routes_only_and_answers_carry_a_request_id(tmp_path: Path) -> None:
    admin_token, _ = _data_dir(tmp_path / "data")
    server = ServerProcess(tmp_path / "data", extra_args=("--log-level", "info"))
    server.start()
    try:
        answer = httpx.get(
            f"{server.url}/v1/projects?q={WITNESS}",
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert answer.status_code == 200 and len(answer.headers["x-request-id"]) == 16
    finally:
        server.stop()
    text = "".join(server.output)
    assert '"GET /v1/projects HTTP/1.1" 200' in text
    assert WITNESS not in text and admin_token not in text
