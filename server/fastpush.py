"""`POST /v1/device/batches` answered straight from ASGI, beside Litestar.

The push is the one request a server takes thousands of times a second from many small
devices, and for a one-record batch Litestar's routing, dependency injection, request and
response objects were a large share of its CPU. This handler does what the routed one does
(`server.controllers.device.DeviceController.push`, which stays for the OpenAPI schema and
for any path this one does not take): the body limit from Content-Length before reading and
again while reading, 400 for an empty body, `ingest.push` in Litestar's thread pool with the
client address uvicorn reports (the proxy's client's, when the proxy is trusted), the
receipt as msgpack, and every error answered with the same JSON body and headers as the
app's exception handlers (server/app.py).
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar.concurrency import sync_to_thread

from server import ingest
from server.context import ServerContext
from server.errors import BadRequest, CairnServerError, PayloadTooLarge, TooManyRequests

log = logging.getLogger("cairn.server")

PATH = "/v1/device/batches"
_JSON = msgspec.json.Encoder()


class _Disconnected(Exception):
    """The client went away before its body arrived: nothing to answer."""


def takes(scope: dict[str, Any]) -> bool:
    """True for the requests this handler answers (a POST of a sealed batch)."""
    return bool(scope["method"] == "POST" and scope["path"] == PATH)


async def _body(scope: dict[str, Any], receive: Any, limit: int) -> bytes:
    declared = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value.decode("latin-1")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"body of {declared} bytes is over the limit of {limit} bytes; "
            "split the batch into smaller ones"
        )
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the limit of {limit} bytes; split it")
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    body = parts[0] if len(parts) == 1 else b"".join(parts)
    if not body:
        raise BadRequest("empty body", code="empty_body")
    return body


async def serve(ctx: ServerContext, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer one push."""
    from server.app import ErrorResponse

    try:
        body = await _body(scope, receive, ctx.config.max_batch_bytes)
        client = scope.get("client")
        host = client[0] if client else "unknown"
        # Litestar's executor, as the routed handler used: the loop's default pool (a few
        # threads), so that many pushes queue in order rather than share the interpreter
        # with the writer thirty ways (anyio's 40 threads took 500-record batches at 32
        # devices from p99 4.6 s to 6.8 s).
        answer = await sync_to_thread(ingest.push, ctx, body, host)
        status, media, extra = 200, b"application/msgpack", []
    except _Disconnected:
        return
    except CairnServerError as exc:
        retry = exc.details.get("retry_after_s") if isinstance(exc, TooManyRequests) else None
        extra = [(b"retry-after", str(retry).encode())] if retry is not None else []
        error = ErrorResponse(error=exc.code, message=exc.message, details=exc.details)
        answer, status, media = _JSON.encode(error), exc.status, b"application/json"
    except Exception:
        log.exception("unexpected error on POST %s", PATH)
        error = ErrorResponse(
            error="internal",
            message="the server hit an unexpected error; nothing from this request was "
            "stored. It has been logged; please report it",
        )
        answer, status, media = _JSON.encode(error), 500, b"application/json"
    headers = [(b"content-type", media), (b"content-length", str(len(answer)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": answer})
