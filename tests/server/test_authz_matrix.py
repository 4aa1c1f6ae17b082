"""Who may call what: every review route × every kind of caller × own and other project.

Callers: no token (a field device has none), an unknown token, an admin (every project),
a supervisor of project A. Targets: a project (or a record of a project) A or B. A
supervisor asking about project B gets 404, exactly like a project that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server import admin
from server.datadir import DataDir
from sync.client import Device
from tests.server.conftest import BASE, PROJECT, AppTransport
from tests.server.review_fixtures import OTHER, bearer, grave, supervisor

ROOT = Path(__file__).resolve().parents[2]
CONFLICTED = ("max_depth_m", "width_m", "length_m")
REVIEW_STEPS = ("has_issues", "approved", "has_issues", "approved")
Body = Callable[[str, str, int], dict[str, Any] | None]  # (project, field, n)


def _resolution(_project: str, field: str, _n: int) -> dict[str, Any]:
    return {"conflict": "field", "path": field, "value": 1.25, "reason": "checked on site"}


def _review(_project: str, _field: str, n: int) -> dict[str, Any]:
    return {
        "state": REVIEW_STEPS[n],
        "comment": "see photo log",
        "override_reason": "conflicts are the subject of this test, not the review",
    }


# (method, path template, body builder, success status, admin only)
ROUTES: list[tuple[str, str, Body | None, int, bool]] = [
    ("GET", "/v1/projects/{code}/records", None, 200, False),
    ("GET", "/v1/projects/{code}/conflicts", None, 200, False),
    ("GET", "/v1/projects/{code}/duplicates", None, 200, False),
    ("GET", "/v1/projects/{code}/stratigraphy", None, 200, False),
    ("GET", "/v1/projects/{code}/quarantine", None, 200, False),
    ("GET", "/v1/projects/{code}/records.geojson", None, 200, False),
    ("GET", "/v1/projects/{code}/records.csv?form=site_grave", None, 200, False),
    ("GET", "/v1/records/{record_id}", None, 200, False),
    ("GET", "/v1/records/{record_id}/history", None, 200, False),
    ("POST", "/v1/records/{record_id}/resolutions", _resolution, 201, False),
    ("POST", "/v1/records/{record_id}/review", _review, 201, False),
    ("POST", "/v1/projects/{code}/enroll-codes", lambda _p, _f, _n: {}, 201, True),
    ("GET", "/v1/devices?project={code}", None, 200, True),
    ("POST", "/v1/tokens", lambda p, _f, _n: {"role": "supervisor", "project": p}, 201, True),
]
CALLERS = ("none", "bad_token", "admin", "supervisor_a")


def _device(data: DataDir, client: TestClient, home: Path, project: str) -> Device:  # type: ignore[type-arg]
    code = admin.issue_enroll_code(data.store, project, 3600, "test").code
    device = Device(home, transport=AppTransport(client), sleep=lambda _s: None)
    device.enroll(BASE, code, label=home.name)
    return device


@pytest.fixture
def world(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> Iterator[dict[str, Any]]:
    """Projects A and B, each with a grave in conflict on three fields, and the callers."""
    headers = {
        "none": {},
        "bad_token": bearer("cairn_not-a-token"),
        "admin": bearer(data.first_admin_token.token),  # type: ignore[union-attr]
        "supervisor_a": supervisor(data, PROJECT),
    }
    supervisor(data, OTHER)  # creates project B
    records: dict[str, str] = {}
    devices: list[Device] = []
    for project in (PROJECT, OTHER):
        a = _device(data, client, tmp_path / f"{project}-a", project)
        b = _device(data, client, tmp_path / f"{project}-b", project)
        devices += [a, b]
        record_id = a.new("site_grave", grave())
        a.push()
        b.pull()
        b.edit(record_id, dict.fromkeys(CONFLICTED, 2.0))
        a.edit(record_id, dict.fromkeys(CONFLICTED, 3.0))
        a.push()
        b.push()
        records[project] = record_id
    yield {"headers": headers, "records": records}
    for device in devices:
        device.close()


def _expected(caller: str, project: str, success: int, admin_only: bool) -> int:
    if caller in ("none", "bad_token"):
        return 401
    if caller == "admin":
        return success
    if admin_only:
        return 403
    return success if project == PROJECT else 404


@pytest.mark.parametrize(
    ("method", "template", "body", "success", "admin_only"), ROUTES, ids=[r[1] for r in ROUTES]
)
def test_every_caller_gets_exactly_the_expected_status(
    client: TestClient,  # type: ignore[type-arg]
    world: dict[str, Any],
    method: str,
    template: str,
    body: Body | None,
    success: int,
    admin_only: bool,
) -> None:
    successes = {PROJECT: 0, OTHER: 0}
    for project in (PROJECT, OTHER):
        for caller in CALLERS:
            url = template.format(code=project, record_id=world["records"][project])
            want = _expected(caller, project, success, admin_only)
            n = successes[project]
            payload = body(project, CONFLICTED[min(n, 2)], min(n, 3)) if body else None
            resp = client.request(method, url, headers=world["headers"][caller], json=payload)
            assert resp.status_code == want, (caller, project, resp.text)
            if want == success:
                successes[project] += 1
            else:
                assert resp.json()["error"] and resp.json()["message"]


def test_unknown_projects_and_records_are_404_for_admins_too(
    client: TestClient,  # type: ignore[type-arg]
    world: dict[str, Any],
) -> None:
    admin_headers = world["headers"]["admin"]
    for method, template, body, _success, admin_only in ROUTES:
        if admin_only:
            continue
        url = template.format(code="NO-SUCH", record_id="018f0000-0000-7000-8000-00000000dead")
        payload = body("NO-SUCH", CONFLICTED[0], 0) if body else None
        resp = client.request(method, url, headers=admin_headers, json=payload)
        assert resp.status_code == 404, (url, resp.text)


def test_every_review_route_is_in_the_matrix_and_documented_in_the_readme(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    schema = client.get("/v1/schema/openapi.json").json()
    review_routes = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if "review" in op.get("tags", [])
    }
    in_matrix = {f"{m} {t.split('?')[0]}" for m, t, *_ in ROUTES}
    assert review_routes <= in_matrix
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z]+ /v1/[^`?\[]*)", readme, re.M))
    assert review_routes <= documented, review_routes - documented
