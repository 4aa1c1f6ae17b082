"""Bearer tokens on HTTP requests: the failed-token lockout, last-used times, metrics.

Every token-authenticated route (the API's `principal` dependency, `/metrics`) comes
through `bearer_token`, so a revoked or expired token is refused the same way everywhere.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from server import auth
from server.context import ServerContext
from server.errors import TooManyRequests, Unauthorized
from server.ratelimit import FailedAuthLimiter
from server.store import admin as rows


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address (the proxy's client's, when the proxy is trusted)."""
    return request.client.host if request.client else "unknown"


def bearer_token(
    request: Request[Any, Any, Any], cairn: ServerContext, where: str = "api"
) -> rows.TokenRow:
    """The request's usable bearer token, its use recorded; failures count towards the
    failed-token lockout per client address (policy in server/ratelimit.py)."""
    limiter: FailedAuthLimiter = request.app.state.auth_limiter
    client = client_address(request)
    retry = limiter.retry_after(client)
    if retry is not None:
        cairn.metrics.failed_login(where, "locked_out")
        raise TooManyRequests(
            f"too many wrong tokens from this address; try again in {retry} s",
            retry_after_s=retry,
        )
    try:
        row = auth.token_row(cairn.store.reader(), request.headers.get("authorization"))
    except Unauthorized as exc:
        if request.headers.get("authorization"):
            limiter.record_failure(client)
            cairn.metrics.failed_login(where, exc.code)
        raise
    auth.note_use(cairn.store, row)
    return row


def api_principal(request: Request[Any, Any, Any], cairn: ServerContext) -> auth.Principal:
    """The `principal` of every API route: an admin or supervisor token."""
    principal = auth.principal_of(bearer_token(request, cairn))
    auth.require_api_role(principal)
    return principal
