"""The published OpenAPI schema is valid OpenAPI (an independent validator) and says what
the server really does: who may call each route, what each device body is, the real
content types, the errors each route answers (not one list for all), enums."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from openapi_spec_validator import validate

from server.admin import ROLES
from server.review import REVIEW_STATES

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    answer = client.get("/v1/schema/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _ops(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def test_the_schema_is_valid_openapi_31(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises on any violation of the OpenAPI 3.1 specification


def test_every_operation_has_a_summary_and_a_description(schema: dict[str, Any]) -> None:
    for label, op in _ops(schema).items():
        assert op.get("summary") and op.get("description"), label
        assert op["summary"] != label.split("/")[-1].title(), label  # not Litestar's guess


def test_security_schemes_name_who_may_call_each_route(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["consoleSession"]["in"] == "cookie"
    ops = _ops(schema)
    assert "security" not in ops["GET /v1/health"]
    assert "security" not in ops["POST /v1/device/enroll"]  # the one-time code is the key
    assert "security" not in ops["GET /v1/forms"]  # form definitions, no record data
    for label, op in ops.items():
        names = {name for requirement in op.get("security", []) for name in requirement}
        if label.startswith("POST /v1/device/") and label != "POST /v1/device/enroll":
            assert names == {"deviceSignature"}, label
        elif label.startswith("GET /v1/attachments/"):
            assert names == {"bearerToken", "consoleSession"}, label
        elif label not in {"GET /v1/health", "POST /v1/device/enroll", "GET /v1/forms"}:
            assert names == {"bearerToken"}, label
        # A token route answers 401 and 429; a device route never answers 429 for tokens.
        assert ("429" in op["responses"]) == (
            "bearerToken" in names or label == "POST /v1/device/batches"
        ), label


def test_device_bodies_are_msgpack_maps_or_sealed_bytes(schema: dict[str, Any]) -> None:
    ops = _ops(schema)
    components = schema["components"]["schemas"]

    def body(label: str) -> dict[str, Any]:
        content: dict[str, Any] = ops[label]["requestBody"]["content"]
        assert len(content) == 1
        return content

    enroll = body("POST /v1/device/enroll")["application/msgpack"]["schema"]["$ref"]
    shape = components[enroll.rsplit("/", 1)[1]]
    assert set(shape["required"]) == {"code", "signing_public", "encryption_recipient"}
    assert shape["properties"]["signing_public"]["format"] == "binary"  # msgpack bin
    pull = body("POST /v1/device/pull")["application/msgpack"]["schema"]["$ref"]
    assert "signature" in components[pull.rsplit("/", 1)[1]]["properties"]
    fetch = body("POST /v1/device/attachments/fetch")["application/msgpack"]["schema"]["$ref"]
    assert "sha256" in components[fetch.rsplit("/", 1)[1]]["properties"]
    for label in ("POST /v1/device/batches", "POST /v1/device/attachments"):
        assert body(label)["application/octet-stream"]["schema"]["format"] == "binary"
    for label in ("POST /v1/device/enroll", "POST /v1/device/batches"):
        assert "docs/protocol.md" in ops[label]["requestBody"]["description"]


def _success(op: dict[str, Any]) -> dict[str, Any]:
    status = min(k for k in op["responses"] if k.startswith("2"))
    answer: dict[str, Any] = op["responses"][status]
    return answer


@pytest.mark.parametrize(
    ("label", "media_type"),
    [
        ("GET /v1/projects/{code}/records.csv", "text/csv; charset=utf-8"),
        ("GET /v1/projects/{code}/records.geojson", "application/geo+json"),
        ("POST /v1/projects/{code}/exports", "application/octet-stream"),
        ("POST /v1/device/enroll", "application/msgpack"),
        ("POST /v1/device/batches", "application/msgpack"),
        ("POST /v1/device/attachments", "application/msgpack"),
        ("POST /v1/device/pull", "application/octet-stream"),
        ("POST /v1/device/attachments/fetch", "application/octet-stream"),
        ("GET /v1/attachments/{sha256}/thumbnail", "image/jpeg"),
        ("GET /v1/projects", "application/json"),
        ("GET /metrics", "text/plain; version=0.0.4; charset=utf-8"),
    ],
)
def test_answers_carry_their_real_content_type(
    schema: dict[str, Any], label: str, media_type: str
) -> None:
    assert list(_success(_ops(schema)[label])["content"]) == [media_type]


def test_real_answers_have_the_documented_content_type(
    client: Client, admin_headers: dict[str, str], schema: dict[str, Any]
) -> None:
    ops = _ops(schema)
    for label, url in [
        (
            "GET /v1/projects/{code}/records.csv",
            "/v1/projects/AZ-DASHALTI/records.csv?form=site_grave",
        ),
        ("GET /v1/projects/{code}/records.geojson", "/v1/projects/AZ-DASHALTI/records.geojson"),
    ]:
        answer = client.get(url, headers=admin_headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] in _success(ops[label])["content"]


def test_errors_are_those_the_route_can_answer(schema: dict[str, Any]) -> None:
    ops = _ops(schema)

    def errors(label: str) -> set[str]:
        return {k for k in ops[label]["responses"] if k[0] in "45"}

    assert errors("GET /v1/health") == {"500"}
    # A token route: no token or a bad one, a metrics token, the failed-token lockout.
    assert errors("GET /v1/projects") == {"401", "403", "429", "500"}
    assert "metrics_token_only" in ops["GET /v1/projects"]["responses"]["403"]["description"]
    assert "metrics_token_only" not in ops["GET /metrics"]["responses"]["403"]["description"]
    assert errors("POST /v1/projects") == {"400", "401", "403", "409", "413", "429", "500", "507"}
    assert errors("GET /v1/projects/{code}/duplicates") == {
        "400",
        "401",
        "403",
        "404",
        "429",
        "500",
    }
    assert errors("POST /v1/device/enroll") == {"400", "401", "409", "410", "413", "500", "507"}
    assert "422" in errors("POST /v1/device/batches")
    assert "416" in errors("GET /v1/attachments/{sha256}")
    assert {"206", "304"} <= set(ops["GET /v1/attachments/{sha256}"]["responses"])
    # Each status names the error codes the route gives with it.
    conflict = ops["POST /v1/records/{record_id}/review"]["responses"]["409"]["description"]
    assert "approval_blocked" in conflict and "invalid_transition" in conflict
    for label, op in ops.items():
        for status, response in op["responses"].items():
            if status[0] in "45":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorResponse", (label, status)
    assert len({frozenset(errors(label)) for label in ops}) >= 8  # not one list for all


def test_roles_and_review_states_are_enums(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["TokenRequest"]["properties"]["role"]["enum"] == list(ROLES)
    states = components["RecordSummaryResponse"]["properties"]["review_state"]["enum"]
    assert states == list(REVIEW_STATES)
    assert set(components["ReviewRequest"]["properties"]["state"]["enum"]) == {
        "has_issues",
        "approved",
        "rejected",
    }
    (parameter,) = [
        p
        for p in _ops(schema)["GET /v1/projects/{code}/records"]["parameters"]
        if p["name"] == "review_state"
    ]
    assert parameter["schema"]["oneOf"][0]["enum"] == list(REVIEW_STATES)
