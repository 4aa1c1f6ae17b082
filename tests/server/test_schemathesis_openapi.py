"""API conformance: schemathesis drives every operation of the published OpenAPI schema.

The app runs in-process (schemathesis' ASGI transport) over a real data directory with an
admin token, so generated requests reach the handlers rather than stopping at 401. Checks:
no 5xx, and every response's status, content type, headers and body conform to the schema.
Bounded: CAIRN_SCHEMATHESIS_EXAMPLES examples per operation (default 15).
"""

from __future__ import annotations

import os
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi.schemas import OpenApiSchema

from server.app import create_app
from server.config import load_config
from server.datadir import DataDir

# No 5xx, and every answer conforms to the schema (status, content type, headers, body).
# Not `positive_data_acceptance`: the schema gives types, not every rule (a project code's
# pattern, an existing record id), so schema-valid requests may rightly get a 4xx.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("CAIRN_SCHEMATHESIS_EXAMPLES", "15"))


@schemathesis.serializer("application/msgpack")
def _msgpack(ctx: Any, value: Any) -> bytes:
    """The device routes' bodies: the generated map (bytes fields as bin), as msgpack."""
    return msgspec.msgpack.encode(value, enc_hook=_bin)


def _bin(value: Any) -> bytes:
    # schemathesis wraps the bytes it makes for `format: binary` (str subclass, `.data`).
    data = getattr(value, "data", None)
    if isinstance(data, bytes):
        return data
    raise NotImplementedError(type(value))


# Every operation the server publishes; the first test fails when this list goes stale.
OPERATIONS = [
    "GET /v1/health",
    "GET /v1/forms",
    "GET /metrics",
    "GET /v1/projects",
    "POST /v1/projects",
    "GET /v1/devices",
    "POST /v1/projects/{code}/enroll-codes",
    "POST /v1/tokens",
    "GET /v1/tokens",
    "POST /v1/tokens/{token_id}/revoke",
    "POST /v1/devices/{device_id}/revoke",
    "POST /v1/keys/rotate",
    "POST /v1/device/enroll",
    "POST /v1/device/pull",
    "POST /v1/device/batches",
    "GET /v1/projects/{code}/records.csv",
    "GET /v1/projects/{code}/duplicates",
    "GET /v1/projects/{code}/stratigraphy",
    "GET /v1/projects/{code}/records.geojson",
    "GET /v1/records/{record_id}",
    "GET /v1/projects/{code}/conflicts",
    "GET /v1/projects/{code}/records",
    "GET /v1/projects/{code}/quarantine",
    "GET /v1/records/{record_id}/history",
    "POST /v1/records/{record_id}/resolutions",
    "POST /v1/records/{record_id}/review",
    "POST /v1/projects/{code}/exports",
    "POST /v1/device/attachments",
    "POST /v1/device/attachments/fetch",
    "GET /v1/projects/{code}/attachments/missing",
    "GET /v1/attachments/{sha256}",
    "GET /v1/attachments/{sha256}/thumbnail",
]


@pytest.fixture
def api(data: DataDir) -> OpenApiSchema:
    """The schema the app publishes, bound to that app (in-process, ASGI)."""
    app = create_app(load_config(data.path), data)
    return schemathesis.openapi.from_asgi("/v1/schema/openapi.json", app)


def test_the_operation_list_matches_the_published_schema(api: OpenApiSchema) -> None:
    published = {result.ok().label for result in api.get_all_operations()}
    assert published == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_to_the_published_schema(
    label: str, api: OpenApiSchema, admin_headers: dict[str, str]
) -> None:
    operation = api.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=admin_headers, checks=CHECKS)

    conforms()
