"""The published OpenAPI schema documents the error answers the server really gives.

Litestar documents only a 400 of its own ValidationException shape; Cairn answers every
error, on every route, with one body (`ErrorResponse`: error, message, details), mapped in
`server.app`. The JSON render plugin here adds that body for every error status to every
operation as the schema is served (once; Litestar caches the schema dictionary), so an
app that never serves its schema never pays for building it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

ERROR_STATUSES = {
    "400": "Malformed request; `error` names the problem",
    "401": "No token, an unknown or revoked token, or an unknown device signer",
    "403": "A known caller without the right for this action",
    "404": "No such thing (or not visible to this caller)",
    "409": "The request clashes with what is stored",
    "410": "An enrollment code that expired or was already used",
    "413": "Body over the size limit",
    "422": "A sealed batch refused (crypto, signer, routing); it is kept in quarantine",
    "429": "Too many wrong tokens from this address; see the Retry-After header",
    "500": "An unexpected error; nothing from the request was stored",
    "507": "The server's disk or database is full; nothing was stored",
}
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A stable short code"},
        "message": {"type": "string", "description": "What was wrong and what to do"},
        "details": {"type": "object", "additionalProperties": True},
    },
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add Cairn's error body, for every error status, to every operation of `schema`."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorResponse" in schemas:
        return schema
    schemas["ErrorResponse"] = _ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for path_item in schema.get("paths", {}).values():
        for method in _METHODS:
            if method in path_item:
                responses = path_item[method].setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses[status] = {"description": description, "content": body}
    return schema


class ErrorDocumentingJsonPlugin(JsonRenderPlugin):
    """Serves openapi.json with Cairn's error responses documented."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """Render the schema as JSON after documenting the errors."""
        return self.render_json(request, document_errors(openapi_schema))


def openapi_config(version: str) -> OpenAPIConfig:
    """The schema as JSON at /v1/schema and /v1/schema/openapi.json, with the errors documented.

    Only the schema itself is served: Litestar's documentation pages (Redoc, Swagger…)
    load their scripts from other hosts, which no page of Cairn may do, and with several
    render plugins the root served whichever one Litestar picked first.
    """
    return OpenAPIConfig(
        title="Cairn",
        version=version,
        description="Offline-first sync server for forensic field teams.",
        path="/v1/schema",
        render_plugins=[ErrorDocumentingJsonPlugin(path=["/", "/openapi.json"])],
    )
