"""The console over the app, without a browser: who may see what, headers, sign-in limits."""

from __future__ import annotations

from collections.abc import Callable

from litestar.testing import TestClient

from server import admin
from server.datadir import DataDir
from sync.client import Device
from tests.examples import GRAVE
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]


def _sign_in(client: TestClient, token: str) -> int:  # type: ignore[type-arg]
    page = client.get("/login")
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    answer = client.post("/login", data={"nonce": nonce, "token": token}, follow_redirects=False)
    return answer.status_code


def test_pages_need_a_session_and_carry_a_strict_content_security_policy(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    answer = client.get(f"/p/{PROJECT}/records", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    login = client.get("/login")
    csp = login.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert login.headers["x-frame-options"] == "DENY"
    assert "cairn_session" not in login.headers.get("set-cookie", "")


def test_a_supervisor_sees_only_their_project_and_no_admin_page(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    admin.create_project(data.store, "EDL", "Edilli", "test")
    dev = make_device("team-a")
    grave = dev.new("site_grave", GRAVE)
    dev.push()
    token = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    assert _sign_in(client, token) == 303
    assert client.get(f"/p/{PROJECT}").status_code == 200
    assert client.get(f"/r/{grave}").status_code == 200
    other = client.get("/p/EDL/records")
    assert other.status_code == 404 and "EDL" in other.text
    assert client.get("/tokens").status_code == 403
    assert client.get(f"/p/{PROJECT}/devices").status_code == 403
    dashboard = client.get(f"/p/{PROJECT}").text
    assert "team-a" in dashboard and dev.device_id in dashboard


def test_wrong_tokens_at_the_sign_in_page_count_against_the_api_limit(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    statuses = [_sign_in(client, f"cairn_wrong{i}") for i in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429
    api = client.get(f"/v1/projects/{PROJECT}/records", headers={"Authorization": "Bearer x"})
    assert api.status_code == 429  # the same limiter guards both doors


def test_a_sign_in_form_without_its_check_is_refused(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    token = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    answer = client.post("/login", data={"token": token}, follow_redirects=False)
    assert answer.status_code == 400 and "stale" in answer.text
    assert "cairn_session" not in answer.headers.get("set-cookie", "")


def test_an_empty_token_is_asked_for_again_in_the_consoles_words(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    page = client.get("/login")
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    answer = client.post("/login", data={"nonce": nonce, "token": "  "})
    assert answer.status_code == 400 and "paste your token" in answer.text
    assert "Authorization" not in answer.text  # an HTTP header means nothing to a person
