"""Device routes: enroll, push a sealed batch, pull a sealed page. They speak msgpack."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.concurrency import sync_to_thread

from server import devices, ingest
from server.context import Cairn
from server.errors import BadRequest, CairnServerError, PayloadTooLarge
from sync import wire

MSGPACK = "application/msgpack"
SEALED = "application/octet-stream"


async def _body(request: Request[Any, Any, Any], limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"body of {declared} bytes is over the limit of {limit} bytes; "
            "split the batch into smaller ones"
        )
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"body is over the limit of {limit} bytes; split it")
    if not body:
        raise BadRequest("empty body", code="empty_body")
    return body


def _decode(decoder: msgspec.msgpack.Decoder[Any], body: bytes, what: str) -> Any:
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"malformed {what}: {exc}", code="malformed_request") from exc


class DeviceController(Controller):
    """Routes for field devices (no bearer token: requests are signed by the device)."""

    path = "/v1/device"
    tags = ["device"]  # noqa: RUF012

    @post("/enroll", status_code=201)
    async def enroll(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """Enroll with a one-time code: msgpack EnrollRequest → EnrollResponse."""
        body = await _body(request, cairn.config.max_json_bytes)
        message = _decode(wire.ENROLL_REQUEST, body, "enrollment request")
        assert isinstance(message, wire.EnrollRequest)
        answer = await sync_to_thread(devices.enroll, cairn, message)
        return Response(wire.encode(answer), media_type=MSGPACK, status_code=201)

    @post("/batches", status_code=200)
    async def push(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """Push one sealed batch (raw bytes); the answer is the signed receipt (msgpack)."""
        body = await _body(request, cairn.config.max_batch_bytes)
        client = request.client.host if request.client else "unknown"
        receipt = await sync_to_thread(ingest.push, cairn, body, client)
        return Response(receipt, media_type=MSGPACK)

    @post("/pull", status_code=200)
    async def pull(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """Signed msgpack PullRequest → a sealed page of ops (encrypted to the device)."""
        body = await _body(request, cairn.config.max_json_bytes)
        message = _decode(wire.PULL_REQUEST, body, "pull request")
        assert isinstance(message, wire.PullRequest)
        try:
            sealed_page = await sync_to_thread(devices.pull, cairn, message)
        except CairnServerError as exc:
            cairn.metrics.pulls_refused.labels(reason=exc.code).inc()
            raise
        cairn.metrics.pull_pages.inc()
        return Response(sealed_page, media_type=SEALED)
