"""Tokens over their life: issued (optionally expiring), used (last-used time), listed,
revoked; a revoked or expired token is refused on its next request on every route and in
the console. Real SQLite data directories, the real app, the real command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server import admin, auth
from server.audit.chain import SERVER, project_chain
from server.cli import main
from server.clock import now_ms
from server.controllers import admin as admin_routes
from server.datadir import DataDir
from server.store import APPLICATION_ID, Store, audit_log, schema
from server.store import admin as rows
from server.web import guard
from tests.server.conftest import PROJECT

Client = TestClient  # type: ignore[type-arg]

# A route of each kind a token reaches: projects, records, a review write, admin, metrics.
ROUTES = [
    ("GET", "/v1/projects", None),
    ("GET", f"/v1/projects/{PROJECT}/records", None),
    ("GET", f"/v1/projects/{PROJECT}/records.csv?form=site_grave", None),
    ("POST", "/v1/records/00000000-0000-4000-8000-000000000000/review", {"state": "approved"}),
    ("GET", "/v1/tokens", None),
    ("GET", "/metrics", None),
]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign_in(client: Client, token: str) -> int:
    page = client.get("/login")
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    answer = client.post("/login", data={"nonce": nonce, "token": token}, follow_redirects=False)
    return answer.status_code


def _later(monkeypatch: pytest.MonkeyPatch, ms: int) -> None:
    """Move the clock of the token checks and lists `ms` ahead (the database is untouched)."""
    start = now_ms()
    for module in (auth, admin_routes, guard):
        monkeypatch.setattr(module, "now_ms", lambda: start + ms)


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
def test_a_revoked_token_is_refused_on_its_next_request_on_every_route(
    client: Client, admin_headers: dict[str, str], method: str, url: str, body: object
) -> None:
    issued = client.post(
        "/v1/tokens", json={"role": "admin", "label": "ops"}, headers=admin_headers
    )
    assert issued.status_code == 201
    token = issued.json()["token"]
    before = client.request(method, url, json=body, headers=_bearer(token))
    assert before.status_code != 401, before.text
    revoked = client.post(f"/v1/tokens/{issued.json()['token_id']}/revoke", headers=admin_headers)
    assert (revoked.status_code, revoked.json()["state"]) == (200, "revoked")
    after = client.request(method, url, json=body, headers=_bearer(token))
    assert (after.status_code, after.json()["error"]) == (401, "token_revoked")
    assert "revoked" in after.json()["message"]


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
def test_an_expired_token_is_refused_on_every_route(
    client: Client,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    url: str,
    body: object,
) -> None:
    issued = client.post(
        "/v1/tokens", json={"role": "admin", "expires_s": 3600}, headers=admin_headers
    ).json()
    assert issued["expires_at_ms"] > now_ms() + 3500_000
    assert (
        client.request(method, url, json=body, headers=_bearer(issued["token"])).status_code != 401
    )
    _later(monkeypatch, 3600_000)
    after = client.request(method, url, json=body, headers=_bearer(issued["token"]))
    assert (after.status_code, after.json()["error"]) == (401, "token_expired")
    # The admin token without an expiry still works at that time.
    assert client.get("/v1/tokens", headers=admin_headers).status_code == 200


def test_tokens_are_listed_with_state_expiry_and_last_use_but_never_the_secret(
    client: Client, admin_headers: dict[str, str], data: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"role": "supervisor", "project": PROJECT, "label": "team lead", "expires_s": 86400}
    issued = client.post("/v1/tokens", json=body, headers=admin_headers).json()
    listed = client.get("/v1/tokens", headers=admin_headers)
    assert issued["token"] not in listed.text
    mine = {t["token_id"]: t for t in listed.json()}[issued["token_id"]]
    assert mine["state"] == "active" and mine["last_used_ms"] is None
    assert mine["expires_at_ms"] == issued["expires_at_ms"]
    assert (mine["role"], mine["project"], mine["label"]) == ("supervisor", PROJECT, "team lead")

    assert client.get("/v1/projects", headers=_bearer(issued["token"])).status_code == 200
    first = rows.get_token(data.store.reader(), issued["token_id"])
    assert first is not None and first.last_used_ms is not None
    # Within the minute another request writes nothing: reads stay reads.
    assert client.get("/v1/projects", headers=_bearer(issued["token"])).status_code == 200
    again = rows.get_token(data.store.reader(), issued["token_id"])
    assert again is not None and again.last_used_ms == first.last_used_ms
    # A minute on, the next use is recorded.
    _later(monkeypatch, 61_000)
    assert client.get("/v1/projects", headers=_bearer(issued["token"])).status_code == 200
    later = rows.get_token(data.store.reader(), issued["token_id"])
    assert later is not None and later.last_used_ms is not None
    assert later.last_used_ms >= first.last_used_ms + 60_000
    # Past its expiry the list says so.
    _later(monkeypatch, 86400_000)
    expired = {t["token_id"]: t for t in client.get("/v1/tokens", headers=admin_headers).json()}
    assert expired[issued["token_id"]]["state"] == "expired"


def test_issuing_and_revoking_are_audited_in_the_tokens_chain(
    client: Client, admin_headers: dict[str, str], data: DataDir
) -> None:
    sup = client.post(
        "/v1/tokens",
        json={"role": "supervisor", "project": PROJECT, "expires_s": 600},
        headers=admin_headers,
    ).json()
    met = client.post("/v1/tokens", json={"role": "metrics"}, headers=admin_headers).json()
    for token in (sup, met):
        assert (
            client.post(f"/v1/tokens/{token['token_id']}/revoke", headers=admin_headers).status_code
            == 200
        )
    conn = data.store.reader()
    kinds = ("token.issue", "token.revoke")
    in_project = [
        (e.kind, e.subject) for e in audit_log.of_kinds(conn, project_chain(PROJECT), kinds)
    ]
    assert in_project == [("token.issue", sup["token_id"]), ("token.revoke", sup["token_id"])]
    issue = next(audit_log.of_kinds(conn, project_chain(PROJECT), ("token.issue",)))
    assert issue.data["expires_at_ms"] == sup["expires_at_ms"]
    in_server = [(e.kind, e.subject) for e in audit_log.of_kinds(conn, SERVER, kinds)]
    assert ("token.issue", met["token_id"]) in in_server
    assert ("token.revoke", met["token_id"]) in in_server
    assert sup["token"] not in "\n".join(data.store.db.iterdump())


def test_revoking_twice_an_unknown_token_or_ones_own_is_refused(
    client: Client, admin_headers: dict[str, str], data: DataDir
) -> None:
    issued = client.post("/v1/tokens", json={"role": "admin"}, headers=admin_headers).json()
    url = f"/v1/tokens/{issued['token_id']}/revoke"
    assert client.post(url, headers=admin_headers).status_code == 200
    twice = client.post(url, headers=admin_headers)
    assert (twice.status_code, twice.json()["error"]) == (409, "already_revoked")
    unknown = client.post("/v1/tokens/000000000000/revoke", headers=admin_headers)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_token")
    assert data.first_admin_token is not None
    own = client.post(f"/v1/tokens/{data.first_admin_token.token_id}/revoke", headers=admin_headers)
    assert (own.status_code, own.json()["error"]) == (409, "own_token")
    assert client.get("/v1/tokens", headers=admin_headers).status_code == 200


@pytest.mark.parametrize("expires_s", [0, 59, 11 * 366 * 24 * 3600, -5])
def test_an_expiry_out_of_range_is_refused_and_nothing_is_stored(
    client: Client, admin_headers: dict[str, str], data: DataDir, expires_s: int
) -> None:
    answer = client.post(
        "/v1/tokens", json={"role": "admin", "expires_s": expires_s}, headers=admin_headers
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "bad_expiry")
    assert len(rows.list_tokens(data.store.reader())) == 1


def test_only_admins_list_or_revoke_tokens(
    client: Client, admin_headers: dict[str, str], data: DataDir
) -> None:
    sup = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    assert client.get("/v1/tokens", headers=_bearer(sup)).status_code == 403
    assert data.first_admin_token is not None
    url = f"/v1/tokens/{data.first_admin_token.token_id}/revoke"
    assert client.post(url, headers=_bearer(sup)).status_code == 403
    assert client.get("/v1/tokens", headers=admin_headers).status_code == 200


def test_a_console_session_ends_when_its_token_is_revoked(
    client: Client, data: DataDir, admin_headers: dict[str, str]
) -> None:
    issued = admin.issue_token(data.store, "supervisor", PROJECT, "test")
    assert _sign_in(client, issued.token) == 303
    assert client.get(f"/p/{PROJECT}", follow_redirects=False).status_code == 200
    assert (
        client.post(f"/v1/tokens/{issued.token_id}/revoke", headers=admin_headers).status_code
        == 200
    )
    gone = client.get(f"/p/{PROJECT}", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/login")
    # Signing in again with it is refused, in words.
    page = client.get("/login")
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    again = client.post("/login", data={"nonce": nonce, "token": issued.token})
    assert again.status_code == 401 and "revoked" in again.text


def test_a_console_session_ends_when_its_token_expires(
    client: Client, data: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = admin.issue_token(data.store, "admin", None, "test", expires_s=600)
    assert _sign_in(client, issued.token) == 303
    assert client.get("/tokens", follow_redirects=False).status_code == 200
    _later(monkeypatch, 600_000)
    gone = client.get("/tokens", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/login")


def test_a_metrics_token_reads_only_metrics(client: Client, data: DataDir) -> None:
    token = admin.issue_token(data.store, "metrics", None, "test").token
    assert client.get("/metrics", headers=_bearer(token)).status_code == 200
    for method, url, body in ROUTES[:-1]:
        answer = client.request(method, url, json=body, headers=_bearer(token))
        assert (answer.status_code, answer.json()["error"]) == (403, "metrics_token_only"), url
    assert _sign_in(client, token) == 403
    with pytest.raises(Exception, match="covers every project"):
        admin.issue_token(data.store, "metrics", PROJECT, "test")


def test_a_supervisor_token_cannot_read_metrics(client: Client, data: DataDir) -> None:
    token = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    answer = client.get("/metrics", headers=_bearer(token))
    assert (answer.status_code, answer.json()["error"]) == (403, "metrics_forbidden")


def test_the_command_line_lists_and_revokes_tokens_a_running_server_then_refuses(
    client: Client, data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--data", str(data.path)]
    assert main(["admin", "token", "--role", "supervisor", "--project", PROJECT,
                 "--label", "night shift", "--expires", "30d", *where]) == 0  # fmt: skip
    out = capsys.readouterr().out
    token = out.splitlines()[0]
    assert "valid until" in out and token.startswith("cairn_")
    token_id = auth.hash_secret(token)[:12]
    assert client.get("/v1/projects", headers=_bearer(token)).status_code == 200

    assert main(["admin", "token", "list", *where]) == 0
    listed = capsys.readouterr().out
    line = next(row for row in listed.splitlines() if row.startswith(token_id))
    assert "supervisor" in line and "active" in line and "night shift" in line
    assert "UTC" in line.split("active", 1)[1]  # expiry and last use are shown
    assert token not in listed

    # The command opens its own connection to the database the server is using.
    assert main(["admin", "token", "revoke", token_id, *where]) == 0
    assert "revoked supervisor token" in capsys.readouterr().out
    after = client.get("/v1/projects", headers=_bearer(token))
    assert (after.status_code, after.json()["error"]) == (401, "token_revoked")
    assert main(["admin", "token", "list", *where]) == 0
    assert "revoked" in next(
        row for row in capsys.readouterr().out.splitlines() if row.startswith(token_id)
    )


def test_the_command_line_refuses_a_bad_expiry_and_a_missing_role(
    data: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--data", str(data.path)]
    with pytest.raises(SystemExit):
        main(["admin", "token", "--role", "admin", "--expires", "soon", *where])
    assert "not a duration" in capsys.readouterr().err
    assert main(["admin", "token", *where]) == 2
    assert "give --role" in capsys.readouterr().err
    before = rows.list_tokens(data.store.reader())
    assert main(["admin", "token", "--role", "admin", "--expires", "10s", *where]) == 2
    assert rows.list_tokens(data.store.reader()) == before


def test_tokens_of_an_older_database_survive_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "cairn.db"
    lifecycle = next(i for i, m in enumerate(schema.MIGRATIONS) if "tokens_lifecycle" in m)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for n in range(lifecycle):
        conn.executescript(f"BEGIN;\n{schema.MIGRATIONS[n]}\nPRAGMA user_version = {n + 1};COMMIT;")
    token, token_id, digest = auth.new_token()
    conn.execute("INSERT INTO projects VALUES ('P1', 'one', 1)")
    conn.execute(
        "INSERT INTO tokens (token_hash, token_id, role, project, label, created_at_ms,"
        " revoked_at_ms) VALUES (?, ?, 'supervisor', 'P1', 'old', 5, NULL)",
        (digest, token_id),
    )
    conn.close()
    store = Store(path)
    try:
        row = rows.get_token(store.reader(), token_id)
        assert row is not None
        assert (row.label, row.created_at_ms, row.expires_at_ms, row.last_used_ms) == (
            "old", 5, None, None,
        )  # fmt: skip
        assert auth.authenticate(store.reader(), f"Bearer {token}").project == "P1"
        with store.write() as w:
            w.execute("UPDATE tokens SET role = 'metrics', project = NULL")
        with pytest.raises(sqlite3.IntegrityError), store.write() as w:
            w.execute("UPDATE tokens SET role = 'root'")
    finally:
        store.close()
