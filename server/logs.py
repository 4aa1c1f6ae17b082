"""What the server's logs may hold: routes and statuses, never field values or bodies.

Query strings carry what people type (`?q=` searches identifiers such as a witness's
name), so the access log keeps the route only (`RouteOnly`); the error handlers log the
kind of a decoding failure, never the bytes that failed.
"""

from __future__ import annotations

import copy
import logging
from typing import Any


class RouteOnly(logging.Filter):
    """Cut the query string from uvicorn's access log lines (path argument, third)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument to the route; always keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with `RouteOnly` on its access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["route_only"] = {"()": RouteOnly}
    config["loggers"]["uvicorn.access"]["filters"] = ["route_only"]
    return config
