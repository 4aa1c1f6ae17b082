"""Device routes: enroll, push a sealed batch, pull a sealed page. They speak msgpack."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.concurrency import sync_to_thread

from server import devices, ingest, openapi
from server.context import Cairn
from server.errors import BadRequest, CairnServerError, PayloadTooLarge
from sync import wire
from sync.receipt import SignedReceipt

BODY_400 = "An empty body (`empty_body`), or one that does not decode (`malformed_request`)"
BODY_413 = "A body over the route's limit (`too_large`)"

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

    @post(
        "/enroll",
        status_code=201,
        opt=openapi.doc(
            body=openapi.msgpack(wire.EnrollRequest, "The one-time code and the device's keys"),
            answer=openapi.msgpack(
                wire.EnrollResponse, "The device id and the server's public keys"
            ),
            errors={
                400: BODY_400 + "; a public key that does not parse (`bad_device_key`)",
                401: "An unknown enrollment code (`unknown_code`)",
                409: "These device keys are enrolled already (`device_key_enrolled`)",
                410: "An enrollment code used already (`code_used`) or expired (`code_expired`)",
                413: BODY_413,
            },
        ),
    )
    async def enroll(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """Enroll a device with a one-time code: msgpack EnrollRequest → EnrollResponse.

        The only device route not signed yet: the code, from an administrator, is the
        credential. The device keeps the server's signing key to check every receipt
        and page it gets from now on.
        """
        body = await _body(request, cairn.config.max_json_bytes)
        message = _decode(wire.ENROLL_REQUEST, body, "enrollment request")
        assert isinstance(message, wire.EnrollRequest)
        answer = await sync_to_thread(devices.enroll, cairn, message)
        return Response(wire.encode(answer), media_type=MSGPACK, status_code=201)

    @post(
        "/batches",
        status_code=200,
        security=openapi.DEVICE_SIGNED,
        opt=openapi.doc(
            body=openapi.binary(
                "application/octet-stream",
                "A sealed batch: a clear routing header, then the device-signed msgpack "
                f"list of ops, age-encrypted to the server's batch key ({openapi.PROTOCOL} "
                "section 3)",
            ),
            answer=openapi.msgpack(
                SignedReceipt,
                "The signed receipt: `receipt` holds the msgpack Receipt (accepted and "
                "refused ops, missing sequence numbers, audit head), `signature` the "
                "server's Ed25519 signature of it",
            ),
            errors={
                400: "Not a sealed batch (`malformed_envelope`, "
                "`unsupported_envelope_version`), a batch id that is not a canonical UUID "
                "(`bad_batch_id`), or an empty body (`empty_body`)",
                403: "Not signed by a device enrolled here (`unknown_signer`), or by a "
                "revoked one (`revoked_signer`)",
                409: "A batch id already received with other bytes (`batch_id_reused`)",
                413: BODY_413,
                422: "Authentic but refused: encrypted to no key the server holds "
                "(`not_for_us`), damaged or cut off (`bad_header_mac`, `truncated_payload`, "
                "`tampered_payload`…), clear routing that differs from the signed one "
                "(`routing_mismatch`), or a body that is not a list of ops "
                "(`malformed_body`); kept in quarantine",
                429: "Too many batches from this address that no enrolled device signed "
                "(`too_many_refused_batches`); see `Retry-After`",
            },
        ),
    )
    async def push(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """Push one sealed batch (raw bytes); the answer is the signed receipt (msgpack).

        Pushing the same batch again answers the same receipt: a device retries until it
        holds one. Ops the server refuses are named in the receipt, never dropped.
        """
        body = await _body(request, cairn.config.max_batch_bytes)
        client = request.client.host if request.client else "unknown"
        receipt = await sync_to_thread(ingest.push, cairn, body, client)
        return Response(receipt, media_type=MSGPACK)

    @post(
        "/pull",
        status_code=200,
        security=openapi.DEVICE_SIGNED,
        opt=openapi.doc(
            body=openapi.msgpack(wire.PullRequest, "Where the device stands, signed by it"),
            answer=openapi.binary(
                "application/octet-stream",
                "A sealed page of the project's ops after the cursor: signed by the server, "
                f"age-encrypted to the device ({openapi.PROTOCOL} section 5)",
            ),
            errors={
                400: BODY_400 + "; a negative cursor or a limit out of range (`bad_pull`)",
                401: "Not signed by a device enrolled here (`unknown_signer`)",
                403: "A revoked device (`revoked_signer`)",
                413: BODY_413,
            },
        ),
    )
    async def pull(self, request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
        """Signed msgpack PullRequest → a sealed page of ops (encrypted to the device).

        The page also carries the server's current batch key, so devices learn a
        rotation on their next pull.
        """
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
