"""The published OpenAPI schema: every operation as the server really answers it.

Litestar builds the schema from the handlers (paths, parameters, JSON bodies, answers,
the handler's docstring as its description). The controllers add what it cannot know,
per route, with `doc(...)` in the handler's `opt`:

- the errors the route itself can answer, each status with its `error` codes
  (`errors={404: "...", 409: "..."}`);
- the request body of a device route (msgpack, with the schema of the decoded map, or
  raw sealed bytes) and the real content type of an answer that is not JSON (msgpack,
  a sealed page, CSV, GeoJSON, an age-encrypted archive, a file, a thumbnail).

The render plugin below then completes every operation as the schema is served (once;
Litestar caches the schema dictionary, so an app that never serves it never pays): the
security schemes (a bearer token; the console's session cookie where a route takes it;
the device's signature, which is inside the body), a summary from the docstring's first
line, enums for roles and review states, and the errors every route of a kind answers
(401 and 429 where a token is checked, 400 where a parameter or JSON body is parsed, 413
for a body, 507 for a write, 500 everywhere), all with Cairn's one error body
(`ErrorResponse`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from server.admin import ROLES
from server.resolution import SETTABLE
from server.review import REVIEW_STATES

PROTOCOL = "docs/protocol.md"
BEARER = "bearerToken"
SESSION = "consoleSession"
DEVICE = "deviceSignature"

# Security requirements, for a controller's or handler's `security`.
BEARER_ONLY: list[dict[str, list[str]]] = [{BEARER: []}]
BEARER_OR_SESSION: list[dict[str, list[str]]] = [{BEARER: []}, {SESSION: []}]
DEVICE_SIGNED: list[dict[str, list[str]]] = [{DEVICE: []}]

SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "A supervisor or admin token (`cairn_…`), from `cairn admin token` "
        "or `POST /v1/tokens`; shown once, stored only as a hash. A supervisor token "
        "sees one project: another project answers 404, as one that does not exist.",
    },
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": "cairn_session",
        "description": "The web console's session (after signing in at /login with a "
        "token); taken only where a route says so, and only without an Authorization "
        "header.",
    },
    DEVICE: {
        "type": "http",
        "scheme": "cairn-device-signature",
        "description": "No header: the request body itself is signed by the device's "
        "Ed25519 key, enrolled once with a one-time code (`POST /v1/device/enroll`); "
        f"sealed batches are also encrypted to the server's key. See {PROTOCOL}.",
    },
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
_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_ERROR_BODY = {"application/json": {"schema": _ERROR_REF}}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_BINARY = {"type": "string", "format": "binary"}
# Texts of the errors whole kinds of route answer (added by `complete`).
_TOKEN_401 = (
    "No `Authorization: Bearer` header, or an unknown, revoked or expired token (`unauthorized`)"
)
_TOKEN_403 = "A metrics token, which reads only /metrics (`metrics_token_only`)"
_TOKEN_429 = (
    "Too many wrong tokens from this client address (`too_many_failures`); its tokens are "
    "not checked until the `Retry-After` header's seconds have passed"
)
_PARSE_400 = "A parameter or JSON body that does not parse or has the wrong type (`bad_request`)"
_JSON_413 = "The JSON body is over the server's limit (`too_large`, `details.limit_bytes`)"
_WRITE_507 = "The server's disk or database is full; nothing was stored (`storage_full`)"
_ANY_500 = "An unexpected error; nothing from the request was stored (`internal`)"
# Enums by (component, property) and by query parameter name.
_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("TokenRequest", "role"): ROLES,
    ("IssuedToken", "role"): ROLES,
    ("TokenResponse", "role"): ROLES,
    ("ReviewRequest", "state"): SETTABLE,
    ("RecordSummaryResponse", "review_state"): REVIEW_STATES,
    ("RecordView", "review_state"): REVIEW_STATES,
    ("AppliedResponse", "previous_state"): REVIEW_STATES,
}
_PARAMETER_ENUMS: dict[str, tuple[str, ...]] = {"review_state": REVIEW_STATES}


@dataclass(frozen=True)
class Content:
    """A body that is not Litestar's JSON: its media type, meaning and decoded shape."""

    media_type: str
    description: str
    # A msgspec Struct the bytes decode to (msgpack map); None: opaque bytes (or `schema`).
    struct: type[msgspec.Struct] | None = None
    schema: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Doc:
    """What a handler adds to its operation (see the module docstring)."""

    errors: Mapping[int, str]
    body: Content | None
    answer: Content | None
    more_answers: Mapping[int, str]
    # The route takes a metrics token too (only /metrics): no 403 `metrics_token_only`.
    metrics_token: bool = False


def doc(
    *,
    errors: Mapping[int, str] | None = None,
    body: Content | None = None,
    answer: Content | None = None,
    more_answers: Mapping[int, str] | None = None,
    metrics_token: bool = False,
) -> dict[str, Any]:
    """A handler's `opt` documenting its operation: errors by status, a non-JSON request
    body or answer, other success statuses (206, 304…) by status."""
    return {"openapi": Doc(errors or {}, body, answer, more_answers or {}, metrics_token)}


def msgpack(struct: type[msgspec.Struct], description: str) -> Content:
    """A msgpack map decoding to `struct` (bytes fields are msgpack bin)."""
    return Content("application/msgpack", f"{description} (msgpack; see {PROTOCOL})", struct)


def binary(media_type: str, description: str, **headers: str) -> Content:
    """Opaque bytes of `media_type`, with the response headers named."""
    return Content(media_type, description, headers=headers)


def _declared(app: Litestar) -> dict[tuple[str, str], Doc]:
    """Each handler's Doc by (method, schema path)."""
    found: dict[tuple[str, str], Doc] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            declared = handler.opt.get("openapi")
            if isinstance(declared, Doc):
                for method in handler.http_methods:
                    found[(method.lower(), route.path_format.rstrip("/") or "/")] = declared
    return found


def _struct_schemas(schema: dict[str, Any], structs: set[type[msgspec.Struct]]) -> None:
    """Add the msgpack structs' schemas to the components (bytes as msgpack bin)."""
    if not structs:
        return
    ordered = sorted(structs, key=lambda s: s.__name__)
    _, components = msgspec.json.schema_components(
        ordered, ref_template="#/components/schemas/{name}"
    )
    schemas = schema["components"]["schemas"]
    for name, body in components.items():
        body = _binary_bytes(body)
        if name in schemas and schemas[name] != body:
            raise ValueError(f"two different schemas named {name} in the OpenAPI document")
        schemas[name] = body


def _binary_bytes(node: Any) -> Any:
    """msgspec's JSON schema says base64 text for bytes; over msgpack they are bin."""
    if isinstance(node, dict):
        if node.get("contentEncoding") == "base64":
            return {"type": "string", "format": "binary", "description": "msgpack bin"}
        return {k: _binary_bytes(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_binary_bytes(v) for v in node]
    return node


def _content(content: Content) -> dict[str, Any]:
    if content.struct is not None:
        body: Mapping[str, Any] = {"$ref": f"#/components/schemas/{content.struct.__name__}"}
    else:
        body = content.schema or _BINARY
    return {content.media_type: {"schema": dict(body)}}


def _error(responses: dict[str, Any], status: int, text: str) -> None:
    key = str(status)
    known = responses.get(key)
    if known is not None and known.get("content") == _ERROR_BODY:
        if text not in known["description"]:
            known["description"] += "; " + text
        return
    # Litestar's own 400 (its ValidationException shape) is replaced: Cairn answers
    # every error with ErrorResponse.
    responses[key] = {"description": text, "content": copy.deepcopy(_ERROR_BODY)}


def _complete(op: dict[str, Any], method: str, declared: Doc | None) -> None:
    description = (op.get("description") or "").strip()
    if description:
        # The docstring's first sentence (its first paragraph may wrap over lines).
        paragraph = " ".join(description.split("\n\n", 1)[0].split())
        op["summary"] = paragraph.split(". ", 1)[0].rstrip(".")
    responses: dict[str, Any] = op.setdefault("responses", {})
    for key in [k for k in responses if k.startswith(("4", "5"))]:
        if responses[key].get("content") != _ERROR_BODY:
            del responses[key]
    if declared is not None:
        if declared.body is not None:
            op["requestBody"] = {
                "required": True,
                "description": declared.body.description,
                "content": _content(declared.body),
            }
        if declared.answer is not None:
            success = next((k for k in sorted(responses) if k.startswith("2")), "200")
            answer: dict[str, Any] = {
                "description": declared.answer.description,
                "content": _content(declared.answer),
            }
            if declared.answer.headers:
                answer["headers"] = {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in declared.answer.headers.items()
                }
            responses[success] = answer
        for status, text in declared.more_answers.items():
            responses[str(status)] = {"description": text}
        for status, text in sorted(declared.errors.items()):
            _error(responses, status, text)
    schemes = {name for requirement in op.get("security", []) for name in requirement}
    if op.get("parameters") or "application/json" in op.get("requestBody", {}).get("content", {}):
        _error(responses, 400, _PARSE_400)
    if "application/json" in op.get("requestBody", {}).get("content", {}):
        _error(responses, 413, _JSON_413)
    if BEARER in schemes:
        _error(responses, 401, _TOKEN_401)
        if declared is None or not declared.metrics_token:
            _error(responses, 403, _TOKEN_403)
        _error(responses, 429, _TOKEN_429)
    if method == "post":
        _error(responses, 507, _WRITE_507)
    _error(responses, 500, _ANY_500)
    for parameter in op.get("parameters", []):
        values = _PARAMETER_ENUMS.get(parameter["name"])
        if values is not None:
            parameter["schema"] = {"oneOf": [{"type": "string", "enum": list(values)}]}


def complete(schema: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """Complete `schema` in place (see the module docstring); idempotent."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    if components.get("securitySchemes") == SECURITY_SCHEMES:
        return schema
    components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    schemas["ErrorResponse"] = copy.deepcopy(_ERROR_SCHEMA)
    declared = _declared(app)
    structs: set[type[msgspec.Struct]] = set()
    for path, path_item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method in path_item:
                found = declared.get((method, path.rstrip("/") or "/"))
                _complete(path_item[method], method, found)
                for content in (found.body, found.answer) if found else ():
                    if content is not None and content.struct is not None:
                        structs.add(content.struct)
    _struct_schemas(schema, structs)
    for (name, prop), values in _ENUMS.items():
        schemas[name]["properties"][prop] = {"type": "string", "enum": list(values)}
    return schema


class CompletingJsonPlugin(JsonRenderPlugin):
    """Serves openapi.json completed by `complete`."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """Render the schema as JSON after completing it."""
        return self.render_json(request, complete(openapi_schema, request.app))


def openapi_config(version: str) -> OpenAPIConfig:
    """The schema as JSON at /v1/schema and /v1/schema/openapi.json.

    Only the schema itself is served here: Litestar's documentation pages load their
    scripts from other hosts, which no page of Cairn may do; Cairn serves its own page,
    /v1/docs, from vendored files (server/web/api_docs.py).
    """
    return OpenAPIConfig(
        title="Cairn",
        version=version,
        description=(
            "Offline-first sync server for forensic field teams. Human routes speak JSON "
            "with a bearer token; device routes speak msgpack and sealed batches, signed "
            f"by the device ({PROTOCOL}). Every error is one JSON body, `ErrorResponse`: "
            "a stable `error` code, a `message` for a person, and `details`."
        ),
        path="/v1/schema",
        use_handler_docstrings=True,
        render_plugins=[CompletingJsonPlugin(path=["/", "/openapi.json"])],
    )
