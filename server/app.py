"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException

from server import auth, fastpush, logs, openapi, runtime, views
from server.attachments.controller import AttachmentController, DeviceAttachmentController
from server.config import Config
from server.context import Cairn, ServerContext
from server.controllers.admin import AdminController, KeysController
from server.controllers.device import DeviceController
from server.controllers.export import ExportController
from server.controllers.metrics import metrics
from server.controllers.review import ReviewController
from server.datadir import DataDir, open_data_dir
from server.errors import CairnServerError, TooManyRequests
from server.http_auth import api_principal
from server.ratelimit import FailedAuthLimiter, SharedFailedAuthLimiter
from server.runtime import FileLock, SharedState
from server.web.assets import console_router, template_config
from server.web.field import field_router, published_forms
from server.web.sessions import SessionStore, SharedSessionStore

log = logging.getLogger("cairn.server")


class ErrorResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Every error body: a stable code, a sentence for a person, optional details."""

    error: str
    message: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class HealthResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Liveness answer."""

    status: str
    version: str


def _cairn_error(request: Request[Any, Any, Any], exc: CairnServerError) -> Response[ErrorResponse]:
    retry = exc.details.get("retry_after_s") if isinstance(exc, TooManyRequests) else None
    return Response(
        ErrorResponse(error=exc.code, message=exc.message, details=exc.details),
        status_code=exc.status,
        headers={"Retry-After": str(retry)} if retry is not None else None,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorResponse]:
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    extra = (
        exc.extra if isinstance(exc.extra, dict) else {"problems": exc.extra} if exc.extra else {}
    )
    message = str(exc.detail)
    if exc.status_code == 413:
        # Only JSON routes reach here: the device routes check their own limits first.
        limit = request.app.state.cairn.config.max_json_bytes
        message = f"the request body is over this route's limit of {limit} bytes; send less"
        extra = {"limit_bytes": limit}
    return Response(
        ErrorResponse(
            error=code.get(exc.status_code, "http_error"), message=message, details=extra
        ),
        status_code=exc.status_code,
    )


def _undecodable(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorResponse]:
    # msgspec (under Litestar's JSON parsing too) raises these instead of DecodeError for
    # invalid UTF-8 and for nesting deeper than the interpreter's recursion limit.
    # The kind of failure only: the exception's text or repr would quote the body.
    log.warning(
        "undecodable body on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return Response(
        ErrorResponse(
            error="bad_request",
            message="the request body could not be decoded (invalid UTF-8 or nested too "
            "deeply); send well-formed JSON or msgpack",
        ),
        status_code=400,
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorResponse]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return Response(
        ErrorResponse(
            error="internal",
            message="the server hit an unexpected error; nothing from this request was stored. "
            "It has been logged; please report it",
        ),
        status_code=500,
    )


def _provider(context: ServerContext) -> Callable[[], ServerContext]:
    """The `cairn` dependency: the app's one context (the same object as `state.cairn`)."""

    def cairn() -> ServerContext:
        return context

    return cairn


def token_principal(request: Request[Any, Any, Any], cairn: Cairn) -> auth.Principal:
    """The principal of the request's bearer token: 401 without one or for a revoked or
    expired one, 429 when locked out, 403 for a metrics token (server/http_auth.py)."""
    return api_principal(request, cairn)


@get("/v1/health", tags=["meta"], security=[])
async def health() -> HealthResponse:
    """Liveness check (no token needed)."""
    from server import __version__

    return HealthResponse(status="ok", version=__version__)


class CairnApp(Litestar):
    """The Litestar app, each HTTP request served under a request id (server/logs.py);
    a pushed batch is answered beside Litestar (server/fastpush.py)."""

    cairn_context: ServerContext | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Every HTTP request (routed or not) gets its id; lifespan events pass through."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        ctx = self.cairn_context
        if ctx is not None and fastpush.takes(scope):
            await logs.serve_with_request_id(
                lambda s, r, w: fastpush.serve(ctx, s, r, w), scope, receive, send
            )
            return
        await logs.serve_with_request_id(super().__call__, scope, receive, send)


def _per_request_state(config: Config) -> dict[str, Any]:
    """The failed-token limiter and the console sessions: in this process's memory, or
    (several workers) in the runtime directory's state database they all share."""
    if config.runtime_dir is None:
        return {"auth_limiter": FailedAuthLimiter(), "web_sessions": SessionStore()}
    shared = SharedState(config.runtime_dir)
    return {
        "auth_limiter": SharedFailedAuthLimiter(shared),
        "web_sessions": SharedSessionStore(shared),
    }


def create_app(config: Config, data: DataDir | None = None) -> Litestar:
    """Build the app over an existing data directory (created by `cairn serve` if new)."""
    data = data or open_data_dir(config.data_dir, create=False)
    context = ServerContext(config=config, store=data.store, keys=data.keys, forms=data.forms)
    data.store.group_commit = config.group_commit
    if config.runtime_dir is not None:
        data.store.process_lock = FileLock(config.runtime_dir / runtime.WRITER_LOCK)
    from server import __version__

    # Two body limits, both configured: every JSON body (admin, review, export routes) is
    # refused over max_json_bytes, unread; only the device routes may carry a sealed batch
    # of up to max_batch_bytes (each device route checks its own limit, see its _body).
    devices = Router(
        "/",
        route_handlers=[DeviceController, DeviceAttachmentController],
        request_max_body_size=max(config.max_batch_bytes, config.max_chunk_bytes + 8192),
    )
    app = CairnApp(
        route_handlers=[
            health,
            metrics,
            published_forms,
            AdminController,
            KeysController,
            devices,
            ReviewController,
            AttachmentController,
            ExportController,
            console_router(config.tile_url),
            field_router(),
        ],
        template_config=template_config(),
        state=State({"cairn": context, **_per_request_state(config)}),
        dependencies={
            # No parameters: Litestar then calls it without building and validating a
            # signature model of the State on every request (0.3 ms of a one-record push).
            "cairn": Provide(_provider(context), sync_to_thread=False),
            "principal": Provide(token_principal, sync_to_thread=True),
        },
        exception_handlers={
            CairnServerError: _cairn_error,
            HTTPException: _http_error,
            UnicodeDecodeError: _undecodable,
            RecursionError: _undecodable,
            Exception: _unexpected,
        },
        request_max_body_size=config.max_json_bytes,
        openapi_config=openapi.openapi_config(__version__),
        middleware=[views.middleware(context.store, context.views)],
        on_startup=[context.views.start],
        on_shutdown=[context.views.stop, lambda: data.store.close()],
    )
    app.cairn_context = context
    return app
