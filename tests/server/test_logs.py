"""Request ids and the JSON log lines, in process: the id reaches a handler running in a
worker thread, exceptions are logged without their message, secrets are masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from litestar import get
from litestar.testing import TestClient

from server.app import CairnApp
from server.logs import JsonLines, RequestId, mask

SECRET_TOKEN = "cairn_" + "Q" * 43
log = logging.getLogger("cairn.test")


@get("/threaded", sync_to_thread=True)
def threaded() -> str:
    """Logs from a worker thread, a line holding a token, and an exception's stack."""
    log.warning("handled in a thread; a careless line with %s", SECRET_TOKEN)
    try:
        raise ValueError("the witness Zarifa Mammadova")  # a value that must not be logged
    except ValueError:
        log.exception("could not do it")
    return "ok"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    handler.addFilter(RequestId())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield out
    log.removeHandler(handler)


def test_a_handlers_log_lines_carry_its_request_id_and_nothing_secret(
    lines: io.StringIO,
) -> None:
    with TestClient(CairnApp(route_handlers=[threaded])) as client:
        first, second = client.get("/threaded"), client.get("/threaded")
    assert first.status_code == 200
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    written = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert [w["request_id"] for w in written] == [ids[0], ids[0], ids[1], ids[1]]
    assert written[0]["message"] == "handled in a thread; a careless line with [masked]"
    failure = written[1]
    assert failure["message"] == "could not do it" and failure["error"] == "ValueError"
    assert any("test_logs.py" in frame and "threaded" in frame for frame in failure["stack"])
    assert "Zarifa" not in lines.getvalue() and SECRET_TOKEN not in lines.getvalue()


def test_an_unrouted_request_gets_an_id_too() -> None:
    with TestClient(CairnApp(route_handlers=[threaded])) as client:
        answer = client.get("/nowhere")
    assert answer.status_code == 404 and len(answer.headers["x-request-id"]) == 16


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {SECRET_TOKEN}",
        "bearer abc.def",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "AGE-SECRET-KEY-PQ-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    ],
)
def test_secrets_are_masked(text: str) -> None:
    masked = mask(f"before {text} after")
    assert masked.startswith("before ") and masked.endswith(" after")
    assert "[masked]" in masked and "QQQQ" not in masked and "abc.def" not in masked
