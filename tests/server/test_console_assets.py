"""What the console serves is ours: vendored files match their checksums and licences, and
no template or script refers to another host (field bases are often offline)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

ROOT = Path(__file__).resolve().parents[2]
VENDORED = [ROOT / "server/web/static/vendor", ROOT / "tests/browser/vendor"]
OURS = [
    *sorted((ROOT / "server/web/templates").glob("*.html")),
    ROOT / "server/web/static/console.js",
    ROOT / "server/web/static/api-docs.js",
    ROOT / "server/web/static/console.css",
]


@pytest.mark.parametrize("folder", VENDORED, ids=lambda p: p.name)
def test_every_vendored_file_matches_its_checksum_and_comes_with_its_licence(folder: Path) -> None:
    listed = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.removeprefix("./")] = digest
    present = {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS"
    }
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert any(name.endswith("LICENSE") for name in listed)


def test_the_pinned_versions_are_the_ones_vendored() -> None:
    lock = (ROOT / "web/package-lock.json").read_text()
    leaflet = (ROOT / "server/web/static/vendor/leaflet/leaflet.js").read_text()[:200]
    assert '"node_modules/leaflet": {\n      "version": "1.9.4"' in lock
    assert "1.9.4" in leaflet
    swagger = (ROOT / "server/web/static/vendor/swagger-ui/swagger-ui-bundle.js").read_text()
    assert '"node_modules/swagger-ui-dist": {\n      "version": "5.35.0"' in lock
    assert "5.35.0" in swagger


def test_the_api_docs_page_is_served_by_cairn_under_the_console_policy(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    page = client.get("/v1/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    for source in sources:
        assert source.startswith("/"), source
        assert client.get(source).status_code == 200, source


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_no_page_or_script_of_ours_loads_anything_from_another_host(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", text), path
    assert "<script>" not in text and " on" + "click=" not in text  # no inline script
    assert "style=" not in text  # no inline style (the CSP forbids both)
