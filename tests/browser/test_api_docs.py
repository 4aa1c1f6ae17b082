"""/v1/docs in real Chromium: Swagger UI, served by Cairn itself, shows every operation of
the published schema, with nothing loaded from another host (offline field bases)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.test_console import shot
from tests.e2e.harness import ServerProcess, prepare


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "server"
    prepare(data)
    proc = ServerProcess(data)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def test_the_docs_page_shows_every_operation_from_this_host_only(
    server: ServerProcess, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    schema = httpx.get(server.url + "/v1/schema/openapi.json").json()
    operations = sum(len(item) for item in schema["paths"].values())
    browser.get(server.url + "/v1/docs")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) == operations:
            break
        time.sleep(0.2)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) == operations
    # Open the push route: its body is the sealed batch, its answer msgpack.
    push = browser.find_element(By.ID, "operations-device-V1DeviceBatchesPush")
    push.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    time.sleep(0.5)
    assert "application/msgpack" in push.text and "docs/protocol.md" in push.text
    shot(browser, "api-docs")
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "no resource was loaded"
    here = urlsplit(server.url).netloc
    assert {urlsplit(url).netloc for url in loaded} == {here}, loaded
