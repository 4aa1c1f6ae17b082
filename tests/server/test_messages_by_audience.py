"""HTTP clients read messages about the request; command-line users read messages about flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.cli import main
from server.datadir import DataDir

Client = TestClient  # type: ignore[type-arg]
FLAG = re.compile(r"--[a-z]|'cairn ")


def test_token_project_is_a_body_field_and_the_schema_says_so(client: Client) -> None:
    op = client.get("/v1/schema/openapi.json").json()["paths"]["/v1/tokens"]["post"]
    assert [p["name"] for p in op.get("parameters", [])] == []
    schema = client.get("/v1/schema/openapi.json").json()["components"]["schemas"]
    body = schema[op["requestBody"]["content"]["application/json"]["schema"]["$ref"][21:]]
    assert set(body["properties"]) == {"role", "project", "label", "expires_s"}


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code"),
    [
        ("POST", "/v1/tokens", {"role": "supervisor"}, 400, "project_required"),
        ("POST", "/v1/tokens?project=AZ-DASHALTI", {"role": "supervisor"}, 400, "project_required"),
        ("POST", "/v1/tokens", {"role": "admin", "project": "AZ-DASHALTI"}, 400, "bad_scope"),
        ("POST", "/v1/tokens", {"role": "supervisor", "project": "NOPE"}, 404, "unknown_project"),
        ("POST", "/v1/projects", {"code": "P2", "name": " "}, 400, "bad_project_name"),
        ("POST", "/v1/projects/NOPE/enroll-codes", {}, 404, "unknown_project"),
        ("POST", "/v1/devices/nope/revoke", None, 404, "unknown_device"),
        ("POST", "/v1/tokens/nope/revoke", None, 404, "unknown_token"),
        ("POST", "/v1/tokens", {"role": "admin", "expires_s": 5}, 400, "bad_expiry"),
    ],
)
def test_http_errors_never_speak_of_command_line_flags(
    client: Client,
    admin_headers: dict[str, str],
    method: str,
    url: str,
    body: object,
    status: int,
    code: str,
) -> None:
    answer = client.request(method, url, json=body, headers=admin_headers)
    assert (answer.status_code, answer.json()["error"]) == (status, code)
    assert not FLAG.search(answer.json()["message"]), answer.json()["message"]


def test_a_supervisor_token_over_http_is_bound_to_the_body_project(
    client: Client, admin_headers: dict[str, str]
) -> None:
    body = {"role": "supervisor", "project": "AZ-DASHALTI"}
    answer = client.post("/v1/tokens", json=body, headers=admin_headers)
    assert answer.status_code == 201 and answer.json()["project"] == "AZ-DASHALTI"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["admin", "token", "--role", "supervisor"], "give --project CODE"),
        (["admin", "token", "--role", "admin", "--project", "AZ-DASHALTI"], "drop --project"),
        (["admin", "enroll", "NOPE"], "'cairn admin project create CODE --name NAME'"),
        (["admin", "revoke", "nope"], "'cairn admin devices' lists them"),
        (["admin", "token", "revoke", "nope"], "'cairn admin token list' lists them"),
    ],
)
def test_the_command_line_says_which_flag_to_type(
    data: DataDir, args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--data", str(Path(data.path))]) == 2
    err = capsys.readouterr().err
    assert says in err and err.startswith("cairn: error: ")
