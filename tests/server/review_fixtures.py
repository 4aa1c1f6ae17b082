"""Helpers shared by the review, authorization and download tests (plain functions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server import admin
from server.datadir import DataDir
from server.store import admin as rows
from sync.client import Device
from tests.examples import GRAVE
from tests.server.conftest import PROJECT

OTHER = "AZ-EDILLI"
MakeDevice = Callable[[str], Device]


def bearer(token: str) -> dict[str, str]:
    """Authorization headers for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def supervisor(data: DataDir, project: str = PROJECT) -> dict[str, str]:
    """Headers of a fresh supervisor token for `project` (created if it is missing)."""
    if rows.get_project(data.store.reader(), project) is None:
        admin.create_project(data.store, project, project.title(), "test")
    return bearer(admin.issue_token(data.store, "supervisor", project, "test").token)


def grave(**changes: Any) -> dict[str, Any]:
    """Valid site_grave values, with changes."""
    return {**GRAVE, **changes}


def concurrent_depths(make_device: MakeDevice) -> tuple[Device, Device, str]:
    """Two devices that edited max_depth_m of one grave concurrently (2.5 vs 3.0), pushed."""
    a, b = make_device("team-a"), make_device("team-b")
    record_id = a.new("site_grave", grave())
    a.push()
    b.pull()
    b.edit(record_id, {"max_depth_m": 2.5})
    a.edit(record_id, {"max_depth_m": 3.0})
    a.push()
    b.push()
    return a, b, record_id
