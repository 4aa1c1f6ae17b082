"""User mistakes over HTTP get a clear 4xx in one JSON shape, and change nothing."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from server.datadir import DataDir
from server.store import audit_log


def _codes(client: TestClient, headers: dict[str, str]) -> list[str]:  # type: ignore[type-arg]
    return [p["code"] for p in client.get("/v1/projects", headers=headers).json()]


def test_oversized_json_bodies_are_refused_with_413(
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
) -> None:
    huge = {"code": "BIG", "name": "x" * (2 * 1024 * 1024)}
    answer = client.post("/v1/projects", json=huge, headers=admin_headers)
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"
    assert "BIG" not in _codes(client, admin_headers)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "bad_request"),
        (b'{"code": 5, "name": "x"}', 400, "bad_request"),
        (b'{"code": "lower", "name": "x"}', 400, "bad_project_code"),
        (b'{"code": "AZ-DASHALTI", "name": "again"}', 409, "project_exists"),
    ],
)
def test_bad_project_requests_name_the_problem_and_store_nothing(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
    body: bytes,
    status: int,
    error: str,
) -> None:
    before = audit_log.heads(data.store.reader())
    headers = {**admin_headers, "Content-Type": "application/json"}
    answer = client.post("/v1/projects", content=body, headers=headers)
    assert answer.status_code == status
    assert answer.json()["error"] == error and answer.json()["message"]
    assert audit_log.heads(data.store.reader()) == before


def test_unknown_routes_and_methods_answer_in_the_same_shape(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    assert client.get("/v1/nope").json()["error"] == "not_found"
    answer = client.get("/v1/device/batches")
    assert answer.status_code == 405 and answer.json()["error"] == "method_not_allowed"


def test_openapi_schema_lists_the_routes(client: TestClient) -> None:  # type: ignore[type-arg]
    paths = client.get("/v1/schema/openapi.json").json()["paths"]
    for route in ("/v1/projects", "/v1/device/batches", "/v1/device/pull", "/v1/keys/rotate"):
        assert route in paths
