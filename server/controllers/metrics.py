"""`GET /metrics`: the Prometheus text format, for an admin or a metrics token."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from server import auth, openapi
from server.context import Cairn
from server.errors import Forbidden
from server.http_auth import bearer_token
from server.metrics import CONTENT_TYPE


@get(
    "/metrics",
    sync_to_thread=True,
    media_type=CONTENT_TYPE,
    tags=["meta"],
    security=openapi.BEARER_ONLY,
    opt=openapi.doc(
        answer=openapi.binary(CONTENT_TYPE, "The Prometheus text exposition format"),
        errors={403: "A supervisor token (`metrics_forbidden`)"},
        metrics_token=True,
    ),
)
def metrics(request: Request[Any, Any, Any], cairn: Cairn) -> Response[bytes]:
    """Counters, histograms and sizes in the Prometheus text format (version 0.0.4); needs
    an admin token or a metrics token (`cairn admin token --role metrics`), which reads
    nothing else."""
    row = bearer_token(request, cairn, where="metrics")
    if row.role not in ("admin", auth.METRICS_ROLE):
        raise Forbidden(
            "/metrics needs a metrics token ('cairn admin token --role metrics') or an admin token",
            code="metrics_forbidden",
        )
    return Response(cairn.metrics.render(), media_type=CONTENT_TYPE)
