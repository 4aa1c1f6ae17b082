"""The field web app (/field/) and the form definitions it renders (GET /v1/forms).

The app is static files built from web/field (server/web/static/field, committed; CI
rebuilds and compares): a page, its script, a service worker, a manifest and icons. Like
the console, it loads nothing from another host; its CSP is the console's with `blob:`
images (photos shown from the device's own store before they are uploaded).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, Router, get
from litestar.static_files import create_static_files_router

from forms.laws import rules_of
from server.context import Cairn
from server.web.assets import STATIC
from server.web.guard import security_headers

FIELD = STATIC / "field"


def field_security_headers(response: Response[Any]) -> Response[Any]:
    """The console's headers; images may also be `blob:` URLs of the device's own photos."""
    security_headers(response, None)
    response.headers["Content-Security-Policy"] = response.headers[
        "Content-Security-Policy"
    ].replace("img-src 'self' data:", "img-src 'self' data: blob:")
    return response


@get("/v1/forms", tags=["meta"], sync_to_thread=False, security=[])
def published_forms(cairn: Cairn) -> dict[str, Any]:
    """Every form definition this server validates against, with the write rules the merge
    runs for it (what a device needs to record offline; no record data, no token needed)."""
    forms = list(cairn.forms.all())
    body = {
        "forms": [msgspec.to_builtins(f) for f in forms],
        "rules": {
            f.ref: {
                "immutable": sorted(r.immutable),
                "append_only_choices": sorted(r.append_only_choices),
                "groups": sorted(r.groups),
                "append_only_groups": sorted(r.append_only_groups),
                "item_keys": {g: list(k) for g, k in r.item_keys.items()},
                "order_by": dict(r.order_by),
            }
            for f in forms
            for r in (rules_of(cairn.forms.latest(f.id)),)
        },
    }
    return body


def field_router() -> Router:
    """/field/: the app's files, every answer with the field app's security headers."""

    def headers(response):  # type: ignore[no-untyped-def]
        return field_security_headers(response)

    static = create_static_files_router(
        path="/field",
        directories=[FIELD],
        html_mode=True,
        include_in_schema=False,
    )
    return Router(path="/", route_handlers=[static], after_request=headers)
