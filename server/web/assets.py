"""Where the console's templates and static files are, and the router that serves them.

Static files (our stylesheet and scripts, and Leaflet and Swagger UI vendored from npm at
the versions `web/package-lock.json` pins, with their licences and `SHA256SUMS`) are served by Cairn
itself: a page never loads anything from another host.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from server.web.admin_pages import AdminPages
from server.web.api_docs import api_docs
from server.web.guard import security_headers
from server.web.pages import ConsolePages
from server.web.values import record_url

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def utc(ms: int | None) -> str:
    """Milliseconds since the epoch as a UTC minute, the way the pages show times."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["utc"] = utc
    engine.engine.filters["record_url"] = record_url


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 over server/web/templates, autoescaping every value."""
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_filters)


def console_router(tile_url: str | None) -> Router:
    """The console's pages and static files, every answer with the security headers."""

    def headers(response):  # type: ignore[no-untyped-def]
        return security_headers(response, tile_url)

    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        cache_control=CacheControlHeader(max_age=3600),
        include_in_schema=False,
    )
    return Router(
        path="/", route_handlers=[ConsolePages, AdminPages, api_docs, static], after_request=headers
    )
