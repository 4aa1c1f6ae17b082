"""Real Chromium (Debian's chromium + chromium-driver) against a real `cairn serve`.

Screenshots of every page a test visits are saved as artifacts under
``$CAIRN_ARTIFACTS/screenshots`` (default ``.artifacts/screenshots`` in the repository).
Without Chromium the tests are skipped, except under CI, where `.ci/run` installs it and
a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]


def artifacts() -> Path:
    """Where screenshots go."""
    base = Path(os.environ.get("CAIRN_ARTIFACTS") or ROOT / ".artifacts")
    out = base / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """A headless Chromium driven by Selenium through Debian's chromedriver."""
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing; .ci/run installs them")
        pytest.skip(
            "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
