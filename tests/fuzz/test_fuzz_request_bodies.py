"""Malformed bodies on every JSON endpoint and on the msgpack device endpoints: only 4xx.

The JSON routes are read from the OpenAPI schema the server publishes, so a new route is
fuzzed without anyone remembering to add it. Two phases per route: structurally malformed
bodies (never valid: must get a 4xx and change nothing), then seeded type mutations of a
valid body (may be accepted, must never be a 5xx). Enrollment and pull requests get
malformed msgpack, hostile declared sizes and bit-flipped valid requests.
"""

from __future__ import annotations

import random
import struct
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from server import admin
from server.datadir import DataDir
from server.store import admin as rows
from server.verify import verify
from sync import wire
from sync.age import generate_x25519
from sync.client import Device
from sync.keys import DeviceKeys, ServerKeys
from tests.fuzz.conftest import FUZZ_CASES, assert_server_sound, consolidated
from tests.fuzz.test_fuzz_sealed_batches import _bit_flips
from tests.server.conftest import PROJECT

# A valid body for every JSON route (keyed by OpenAPI path); the test fails on a new route
# with a JSON body until it gets one here.
VALID: dict[str, dict[str, Any]] = {
    "/v1/projects": {"code": "AZ-FUZZ", "name": "Fuzz"},
    "/v1/projects/{code}/enroll-codes": {"expires_s": 60},
    "/v1/tokens": {"role": "supervisor", "project": PROJECT, "label": "fuzz"},
    "/v1/keys/rotate": {"hybrid": False},
    "/v1/records/{record_id}/resolutions": {
        "conflict": "field",
        "path": "max_depth_m",
        "value": 1.25,
        "reason": "checked on site",
    },
    "/v1/records/{record_id}/review": {"state": "has_issues", "comment": "see photo log"},
    "/v1/projects/{code}/exports": {"recipients": [str(generate_x25519().recipient())]},
}
_BIG = struct.pack(">I", (1 << 32) - 1)
MALFORMED_JSON: list[bytes] = [
    b"",
    b"{",
    b'{"code": "AZ-X", "name": ',
    b"nul",
    b"null",
    b"[]",
    b"1",
    b'"text"',
    b"\xff\xfe\x00{}",
    b'{"code": "\xc3\x28", "name": "x"}',  # invalid UTF-8
    b'{"code": "\\ud800", "name": "x"}',  # a lone surrogate
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b'{"expires_s": 1e999999, "hybrid": NaN}',
    b'{"code": ' + b"9" * 5000 + b"}",
]
WRONG_VALUES: list[Any] = [None, [], {}, 2**70, -(2**70), -1, 0, 1.5, True, "", "x" * 10_000, "\0"]


def _json_routes(client: TestClient) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    schema = client.get("/v1/schema/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def _url(path: str, device: Device) -> str:
    # The grave two teams edited at once (ids made in one millisecond do not sort by time).
    record_id = next(r.id for r in device.records() if "max_depth_m" in r.fields)
    return path.format(code=PROJECT, record_id=record_id, device_id=device.device_id)


def test_every_json_route_has_a_valid_example(client: TestClient) -> None:  # type: ignore[type-arg]
    assert {path for _, path in _json_routes(client)} == set(VALID)


@pytest.mark.parametrize("path", sorted(VALID))
def test_each_valid_example_is_accepted_so_mutations_start_from_a_valid_body(
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
    field_data: Device,
    path: str,
) -> None:
    answer = client.post(_url(path, field_data), json=VALID[path], headers=admin_headers)
    assert 200 <= answer.status_code < 300, (path, answer.text[:300])


def _mutations(rng: random.Random, valid: dict[str, Any]) -> list[bytes]:
    out = []
    for _ in range(FUZZ_CASES):
        body = dict(valid)
        for key in rng.sample(sorted(body), rng.randint(1, len(body))):
            body[key] = rng.choice(WRONG_VALUES)
        if rng.random() < 0.3:
            body[rng.choice(["extra", "kind", "__proto__"])] = rng.choice(WRONG_VALUES)
        raw = msgspec.json.encode(body)
        out.append(_bit_flips(rng, raw) if rng.random() < 0.3 else raw)
    return out


def test_malformed_json_bodies_get_4xx_and_change_nothing(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
    field_data: Device,
) -> None:
    before = consolidated(data)
    routes = _json_routes(client)
    headers = {**admin_headers, "Content-Type": "application/json"}
    for method, path in routes:
        url = _url(path, field_data)
        for body in MALFORMED_JSON:
            for auth in (headers, {"Content-Type": "application/json"}):
                answer = client.request(method, url, content=body, headers=auth)
                assert 400 <= answer.status_code < 500, (path, body[:40], answer.text[:200])
                assert answer.json()["error"] and answer.json()["message"]
    assert_server_sound(data, client, before)
    assert [p.code for p in rows.list_projects(data.store.reader())] == [PROJECT]


def test_type_mutated_json_bodies_never_get_a_5xx(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
    field_data: Device,
) -> None:
    rng = random.Random("json-mutations")
    headers = {**admin_headers, "Content-Type": "application/json"}
    statuses: dict[int, int] = {}
    for method, path in _json_routes(client):
        url = _url(path, field_data)
        for body in _mutations(rng, VALID[path]):
            before = consolidated(data)
            answer = client.request(method, url, content=body, headers=headers)
            assert answer.status_code < 500, (path, body[:80], answer.text[:200])
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if answer.status_code >= 400:  # refused: nothing of it reached the records
                assert consolidated(data) == before, (path, body[:80])
    # Mutations of a valid body reach past the decoder: some are accepted, some refused
    # by the rules behind it, not all by one 400.
    assert any(200 <= s < 300 for s in statuses) and len(statuses) >= 3, statuses
    # The records were compared request by request above; the server still answers and
    # every stored op still rebuilds what is stored.
    assert client.get("/v1/health").status_code == 200
    assert verify(data.store, ServerKeys.load(data.keys_dir), data.forms).problems == []


def _device_bodies(rng: random.Random, valid: bytes) -> list[bytes]:
    hostile = [
        b"",
        b"\xc1",  # never used in msgpack
        b"\xdf" + _BIG,
        b"\x81\xa4code\xdb" + _BIG + b"x",
        b"\x81\xa4code\xa2\xc3\x28",  # invalid UTF-8
        b"\x81\xa1x" + b"\x91" * 100_000 + b"\xc0",  # nesting past the recursion limit
        msgspec.msgpack.encode({"cursor": -1, "limit": 2**63 - 1, "device_id": None}),
        msgspec.msgpack.encode([1, 2, 3]),
    ]
    flips = [_bit_flips(rng, valid) for _ in range(FUZZ_CASES)]
    noise = [rng.randbytes(rng.randint(1, 2048)) for _ in range(FUZZ_CASES // 4)]
    return hostile + flips + noise + [valid[: rng.randrange(len(valid))] for _ in range(8)]


@pytest.mark.parametrize("route", ["enroll", "pull"])
def test_malformed_device_requests_get_4xx_and_change_nothing(
    route: str,
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    field_data: Device,
) -> None:
    rng = random.Random(f"device-{route}")
    keys = field_data.keys()
    if route == "enroll":
        used = admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code
        fresh = DeviceKeys.generate().public()  # a device key enrolls once
        request: msgspec.Struct = wire.EnrollRequest(
            code=used,
            signing_public=fresh.signing_public,
            encryption_recipient=fresh.encryption_recipient,
        )
        assert client.post("/v1/device/enroll", content=wire.encode(request)).status_code == 201
    else:
        request = wire.PullRequest(device_id=field_data.device_id, cursor=0, limit=10)
        request = request.sign(keys.signing_key)
    valid = wire.encode(request)
    devices = admin.list_devices(data.store, None)
    before = consolidated(data)
    for body in _device_bodies(rng, valid):
        if body == valid:
            continue
        answer = client.post(f"/v1/device/{route}", content=body)
        assert 400 <= answer.status_code < 500, (route, body[:40], answer.text[:200])
        assert answer.json()["error"] and answer.json()["message"]
    assert_server_sound(data, client, before)
    assert admin.list_devices(data.store, None) == devices
