"""Who may read a file: only through a record of a project they can see.

A supervisor or admin reads a file when a record of a project their token sees
references it and that project holds it (one of its devices uploaded it); a device reads
it when a record of its own project does. For anyone else the file does not exist: the
answer is the same 404 as for a hash nobody ever sent, so no project learns what another
holds.
"""

from __future__ import annotations

import sqlite3

from server.auth import Principal
from server.errors import NotFound
from server.store import attachments as rows
from sync.blobs import is_sha256


def _not_found(sha256: str) -> NotFound:
    return NotFound(
        f"no attachment {sha256[:64]!r} that you may see (or it has not arrived yet)",
        code="attachment_not_found",
    )


def visible_project(conn: sqlite3.Connection, principal: Principal, sha256: str) -> str:
    """A project the principal sees that references and holds the file; else 404."""
    if not is_sha256(sha256):
        raise _not_found(sha256)
    for project in rows.projects_referencing(conn, sha256):
        if principal.role != "admin" and principal.project != project:
            continue
        if rows.project_holds(conn, project, sha256):
            return project
    raise _not_found(sha256)


def device_may_read(conn: sqlite3.Connection, project: str, sha256: str) -> rows.BlobRow:
    """The file's row when a record of the device's project references and holds it."""
    if (
        not is_sha256(sha256)
        or not rows.project_references(conn, project, sha256)
        or not rows.project_holds(conn, project, sha256)
    ):
        raise _not_found(sha256)
    blob = rows.get_blob(conn, sha256)
    if blob is None:
        raise _not_found(sha256)
    return blob
