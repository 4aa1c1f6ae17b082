"""What the server's logs may hold: routes and statuses, never field values or bodies.

Query strings carry what people type (`?q=` searches identifiers such as a witness's
name), so the access log keeps the route only (`RouteOnly`); the error handlers log the
kind of a decoding failure, never the bytes that failed.

Every HTTP request gets a request id, made here (never taken from the client, whose header
could carry anything, a token included): it is answered as `X-Request-ID` and carried by
every log line written while the request is served, threads included (`REQUEST_ID` is a
context variable, and Litestar's worker threads run in a copy of the request's context).

`cairn serve --log-format json` writes one JSON object a line: `time`, `level`, `logger`,
`request_id`, then either `message` or, for each request (`logger` `cairn.access`),
`method`, `path` (no query string), `status`, `duration_ms` and `client`. An exception is
logged as its type and stack (file, line, function), never its message, which may quote
the data that failed. Text that looks like a bearer token or an age secret key is masked
in every message, in both formats.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

import msgspec

REQUEST_ID: ContextVar[str | None] = ContextVar("cairn_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
ACCESS = logging.getLogger("cairn.access")
LOG_FORMATS = ("text", "json")

# A bearer token (`cairn_` + 43 url-safe characters), an "Authorization: Bearer …" value,
# an age identity (X25519 or post-quantum). Masked wherever they would appear.
_SECRETS = re.compile(
    r"cairn_[A-Za-z0-9_-]{16,}|(?i:bearer)\s+\S+|AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+",
)


def mask(text: str) -> str:
    """`text` with anything shaped like a token or secret key replaced by `[masked]`."""
    return _SECRETS.sub("[masked]", text)


def new_request_id() -> str:
    """64 random bits as 16 hex digits: unique enough to find one request's lines."""
    return secrets.token_hex(8)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


async def serve_with_request_id(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run one HTTP request under a new request id: set for its log lines, answered as
    `X-Request-ID`, and logged once done on `cairn.access` (route, status, duration)."""
    request_id = new_request_id()
    token = REQUEST_ID.set(request_id)
    started = time.perf_counter()
    status = 500  # what the client gets if the app dies before answering

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            message = {**message, "headers": headers}
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        if ACCESS.isEnabledFor(logging.INFO):
            client = scope.get("client")
            ACCESS.info(
                "request",
                extra={
                    "cairn_fields": {
                        "method": scope.get("method", ""),
                        "path": scope.get("path", ""),  # the route: ASGI keeps the query apart
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client": client[0] if client else None,
                    }
                },
            )
        REQUEST_ID.reset(token)


class RequestId(logging.Filter):
    """Give every record the id of the request being served (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set `record.request_id`; always keep the record."""
        record.request_id = REQUEST_ID.get()
        return True


class Masked(logging.Filter):
    """Mask token- and key-shaped text in a record's message (text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, masked; always keep the record."""
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class RouteOnly(logging.Filter):
    """Cut the query string from uvicorn's access log lines (path argument, third)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument to the route; always keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


_ENCODE = msgspec.json.Encoder()


class JsonLines(logging.Formatter):
    """One JSON object a line (see the module's docstring for its keys)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        fields = getattr(record, "cairn_fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = mask(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line["error"] = type(exc).__name__
            line["stack"] = [
                f"{PurePath(frame.filename).name}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(exc.__traceback__)
            ]
        return _ENCODE.encode(line).decode()


def uvicorn_log_config(log_format: str = "text", level: str = "info") -> dict[str, Any]:
    """The logging configuration of `cairn serve`.

    text: uvicorn's own, with `RouteOnly` on its access log and request ids and masking
    on the rest. json: every logger (uvicorn's, Litestar's, Cairn's) as JSON lines on
    standard error, with Cairn's access line (which has the duration) in place of uvicorn's.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    level = level.upper()
    filters = config.setdefault("filters", {})
    filters["route_only"] = {"()": RouteOnly}
    filters["request_id"] = {"()": RequestId}
    filters["masked"] = {"()": Masked}
    if log_format == "text":
        config["loggers"]["uvicorn.access"]["filters"] = ["route_only"]
        config["handlers"]["default"]["filters"] = ["request_id", "masked"]
        config["loggers"]["cairn"] = {"handlers": ["default"], "level": level, "propagate": False}
        # uvicorn's access line is the text format's; Cairn's own would repeat it.
        config["loggers"]["cairn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
        return config
    config["formatters"]["json"] = {"()": JsonLines}
    config["handlers"] = {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
            "stream": "ext://sys.stderr",
        }
    }
    config["loggers"] = {
        "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "litestar": {"handlers": ["json"], "level": "INFO", "propagate": False},
        "cairn": {"handlers": ["json"], "level": level, "propagate": False},
    }
    config["root"] = {"handlers": ["json"], "level": "WARNING"}
    return config
