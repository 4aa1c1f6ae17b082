"""/v1/docs: the API's documentation page, Swagger UI over the published schema.

Swagger UI is vendored from npm at the version `web/package-lock.json` pins
(server/web/static/vendor/swagger-ui, with its licence and checksums); the page and its
start-up script are Cairn's own. Served by the console's router, so it carries the
console's Content-Security-Policy: nothing from another host, no inline script or style.
"""

from __future__ import annotations

from litestar import get
from litestar.response import Template


@get("/v1/docs", include_in_schema=False, sync_to_thread=False)
def api_docs() -> Template:
    """The API's documentation page (no token needed: the schema is public)."""
    return Template(template_name="api_docs.html")
