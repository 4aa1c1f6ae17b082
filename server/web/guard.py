"""Who is signed in to the console, CSRF checks, and the headers every page carries."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from server.auth import Principal, check_usable, note_use, principal_of
from server.clock import now_ms
from server.context import ServerContext
from server.errors import CairnServerError, Forbidden, Unauthorized
from server.store import admin as rows
from server.web.sessions import COOKIE, SessionStore, WebSession, same_secret


class SignInNeeded(Exception):
    """No live session: the browser goes to the sign-in page."""


def context(request: Request[Any, Any, Any]) -> ServerContext:
    """The server's services."""
    ctx: ServerContext = request.app.state.cairn
    return ctx


def sessions(request: Request[Any, Any, Any]) -> SessionStore:
    """The console's session store."""
    store: SessionStore = request.app.state.web_sessions
    return store


def signed_in(request: Request[Any, Any, Any]) -> tuple[Principal, WebSession]:
    """The principal and session behind the request's cookie (the token re-read each time,
    so a revoked or expired token ends its sessions); SignInNeeded otherwise."""
    cookie = request.cookies.get(COOKIE)
    session = sessions(request).get(cookie)
    if session is None:
        raise SignInNeeded
    store = context(request).store
    token = rows.get_token(store.reader(), session.token_id)
    try:
        if token is None:
            raise SignInNeeded
        check_usable(token, now_ms())  # revoked or expired since sign-in: the session ends
    except (SignInNeeded, Unauthorized):
        sessions(request).drop(cookie)
        raise SignInNeeded from None
    note_use(store, token)
    return principal_of(token), session


def check_csrf(session: WebSession, form: dict[str, Any]) -> None:
    """Every form post carries the session's CSRF token (403 otherwise)."""
    if not same_secret(form.get("csrf"), session.csrf):
        raise Forbidden(
            "this form is stale or did not come from the console (CSRF check failed); "
            "reload the page and try again",
            code="csrf_failed",
        )


def admin_only(principal: Principal) -> None:
    """Administrators only (403 page otherwise)."""
    if principal.role != "admin":
        raise Forbidden("this page needs an administrator token")


def is_https(request: Request[Any, Any, Any]) -> bool:
    """Whether the browser reached us over HTTPS (directly or through a trusted proxy)."""
    return request.url.scheme == "https"


def content_security_policy(tile_url: str | None) -> str:
    """No inline script or style, nothing from another host (but a configured tile server)."""
    images = "'self' data:"
    if tile_url:
        scheme, _, rest = tile_url.partition("://")
        host = rest.split("/", 1)[0].replace("{s}", "*")
        images += f" {scheme}://{host}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def security_headers(response: Response[Any], tile_url: str | None) -> Response[Any]:
    """Add the headers every console answer carries."""
    response.headers["Content-Security-Policy"] = content_security_policy(tile_url)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def to_sign_in(request: Request[Any, Any, Any], _exc: SignInNeeded) -> Response[Any]:
    """Send the browser to the sign-in page."""
    return security_headers(Redirect("/login", status_code=303), None)


def error_page(request: Request[Any, Any, Any], exc: CairnServerError) -> Response[Any]:
    """A user's mistake as a page that says what was wrong (the API's sentence)."""
    page = Template(
        template_name="error.html",
        context={"status": exc.status, "code": exc.code, "message": exc.message, "me": None},
        status_code=exc.status,
    )
    return security_headers(page, context(request).config.tile_url)
