"""Attachment rows: which ops reference which files, which files are held, who uploaded.

Visibility is per project: every query that answers "is this file here" takes the
project and looks only at that project's references and uploads, so a hash referenced
in one project is never confirmed to another project's users or devices.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

import msgspec

REFS_FORMAT_KEY = "attachment_refs_format"
REFS_FORMAT = "1"


class RefRow(msgspec.Struct, frozen=True, kw_only=True):
    """One op's reference to one file."""

    project: str
    record_id: str
    sha256: str
    actor: str
    counter: int
    path: str
    filename: str = ""


class BlobRow(msgspec.Struct, frozen=True, kw_only=True):
    """A file the server holds."""

    sha256: str
    size: int
    media_type: str
    exif: str
    stored_at_ms: int


class UploadRow(msgspec.Struct, frozen=True, kw_only=True):
    """One device's accepted upload of one file."""

    project: str
    device_id: str
    sha256: str
    size: int
    sealed_sha256: str
    sealed_size: int
    received_at_ms: int
    receipt: bytes


def insert_refs(conn: sqlite3.Connection, rows: Sequence[RefRow]) -> None:
    """Record references (the same op's reference twice is kept once)."""
    conn.executemany(
        "INSERT OR IGNORE INTO attachment_refs "
        "(project, record_id, sha256, actor, counter, path, filename) VALUES (?,?,?,?,?,?,?)",
        [(r.project, r.record_id, r.sha256, r.actor, r.counter, r.path, r.filename) for r in rows],
    )


def clear_refs(conn: sqlite3.Connection) -> None:
    """Forget every reference (before rebuilding them from the ops)."""
    conn.execute("DELETE FROM attachment_refs")


def device_references(conn: sqlite3.Connection, device_id: str, sha256: str) -> bool:
    """True when an op of this device references the file."""
    row = conn.execute(
        "SELECT 1 FROM attachment_refs WHERE sha256 = ? AND actor = ? LIMIT 1",
        (sha256, device_id),
    ).fetchone()
    return row is not None


def project_references(conn: sqlite3.Connection, project: str, sha256: str) -> bool:
    """True when an op of a record of ``project`` references the file."""
    row = conn.execute(
        "SELECT 1 FROM attachment_refs WHERE sha256 = ? AND project = ? LIMIT 1",
        (sha256, project),
    ).fetchone()
    return row is not None


def projects_referencing(conn: sqlite3.Connection, sha256: str) -> list[str]:
    """The projects with a record referencing the file."""
    rows = conn.execute(
        "SELECT DISTINCT project FROM attachment_refs WHERE sha256 = ? ORDER BY project",
        (sha256,),
    )
    return [r[0] for r in rows]


def project_holds(conn: sqlite3.Connection, project: str, sha256: str) -> bool:
    """True when a device of ``project`` uploaded the file (so the project has it)."""
    row = conn.execute(
        "SELECT 1 FROM attachment_uploads WHERE sha256 = ? AND project = ? LIMIT 1",
        (sha256, project),
    ).fetchone()
    return row is not None


def get_blob(conn: sqlite3.Connection, sha256: str) -> BlobRow | None:
    """The held file of that hash, if any."""
    row = conn.execute(
        "SELECT sha256, size, media_type, exif, stored_at_ms FROM attachment_blobs "
        "WHERE sha256 = ?",
        (sha256,),
    ).fetchone()
    return (
        None if row is None else BlobRow(**dict(zip(BlobRow.__struct_fields__, row, strict=True)))
    )


def insert_blob(conn: sqlite3.Connection, row: BlobRow) -> bool:
    """Record a held file; False if it was held already."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO attachment_blobs (sha256, size, media_type, exif, stored_at_ms) "
        "VALUES (?,?,?,?,?)",
        (row.sha256, row.size, row.media_type, row.exif, row.stored_at_ms),
    )
    return cur.rowcount == 1


_UPLOAD_COLUMNS = ", ".join(UploadRow.__struct_fields__)


def _upload(row: tuple[object, ...]) -> UploadRow:
    return UploadRow(**dict(zip(UploadRow.__struct_fields__, row, strict=True)))  # type: ignore[arg-type]


def get_upload(conn: sqlite3.Connection, device_id: str, sha256: str) -> UploadRow | None:
    """This device's accepted upload of the file, if any."""
    row = conn.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM attachment_uploads WHERE device_id = ? AND sha256 = ?",
        (device_id, sha256),
    ).fetchone()
    return None if row is None else _upload(row)


def insert_upload(conn: sqlite3.Connection, row: UploadRow) -> None:
    """Record an accepted upload."""
    conn.execute(
        f"INSERT INTO attachment_uploads ({_UPLOAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
        tuple(getattr(row, f) for f in UploadRow.__struct_fields__),
    )


def project_uploads(conn: sqlite3.Connection, project: str) -> Iterator[UploadRow]:
    """Every accepted upload of the project's devices, by hash then device."""
    rows = conn.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM attachment_uploads WHERE project = ? "
        "ORDER BY sha256, device_id",
        (project,),
    )
    return (_upload(r) for r in rows)


def all_uploads(conn: sqlite3.Connection) -> Iterator[UploadRow]:
    """Every accepted upload, by hash then device."""
    rows = conn.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM attachment_uploads ORDER BY sha256, device_id"
    )
    return (_upload(r) for r in rows)


class RecordAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """One file a record's ops reference, and whether the project holds it."""

    sha256: str
    paths: list[str]
    filenames: list[str]
    referenced_by: list[str]
    received: bool
    size: int | None = None
    media_type: str | None = None
    exif: str = "{}"


def record_attachments(
    conn: sqlite3.Connection, project: str, record_ids: Iterable[str]
) -> dict[str, list[RecordAttachment]]:
    """For each record, the files its ops reference (by hash), held by the project or not."""
    ids = list(record_ids)
    out: dict[str, list[RecordAttachment]] = {r: [] for r in ids}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            "SELECT r.record_id, r.sha256, group_concat(DISTINCT r.path), "
            "group_concat(DISTINCT r.filename), group_concat(DISTINCT r.actor), "
            "EXISTS (SELECT 1 FROM attachment_uploads u WHERE u.sha256 = r.sha256 "
            "AND u.project = r.project), b.size, b.media_type, b.exif "
            "FROM attachment_refs r LEFT JOIN attachment_blobs b ON b.sha256 = r.sha256 "
            f"WHERE r.project = ? AND r.record_id IN ({marks}) "
            "GROUP BY r.record_id, r.sha256 ORDER BY r.record_id, min(r.path), r.sha256",
            (project, *part),
        )
        for rid, sha, paths, names, actors, held, size, media_type, exif in rows:
            out[rid].append(
                RecordAttachment(
                    sha256=sha,
                    paths=sorted(str(paths).split(",")),
                    filenames=sorted(n for n in str(names or "").split(",") if n),
                    referenced_by=sorted(str(actors).split(",")),
                    received=bool(held),
                    size=size if held else None,
                    media_type=media_type if held else None,
                    exif=exif if held and exif else "{}",
                )
            )
    return out


def missing_clause() -> str:
    """SQL: the record `records.record_id` of `records.project` waits for a file."""
    return (
        "EXISTS (SELECT 1 FROM attachment_refs ar WHERE ar.project = records.project "
        "AND ar.record_id = records.record_id AND NOT EXISTS (SELECT 1 FROM "
        "attachment_uploads au WHERE au.sha256 = ar.sha256 AND au.project = ar.project))"
    )


def project_missing(conn: sqlite3.Connection, project: str) -> list[tuple[str, str, str, str]]:
    """(sha256, record id, path, actor) of every reference the project holds no file for."""
    rows = conn.execute(
        "SELECT r.sha256, r.record_id, r.path, r.actor FROM attachment_refs r "
        "WHERE r.project = ? AND NOT EXISTS (SELECT 1 FROM attachment_uploads u "
        "WHERE u.sha256 = r.sha256 AND u.project = r.project) "
        "ORDER BY r.actor, r.record_id, r.path, r.sha256",
        (project,),
    )
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def project_hashes(conn: sqlite3.Connection, project: str) -> list[str]:
    """Every file hash the project holds (a device of it uploaded), sorted."""
    rows = conn.execute(
        "SELECT DISTINCT sha256 FROM attachment_uploads WHERE project = ? ORDER BY sha256",
        (project,),
    )
    return [r[0] for r in rows]


def set_exif(conn: sqlite3.Connection, sha256: str, exif: str) -> None:
    """Store the EXIF facts read from a held file."""
    conn.execute("UPDATE attachment_blobs SET exif = ? WHERE sha256 = ?", (exif, sha256))


def project_refs_by_hash(conn: sqlite3.Connection, project: str) -> Iterator[list[RefRow]]:
    """The project's references grouped by file hash (sorted), one hash's rows at a time."""
    rows = conn.execute(
        "SELECT project, record_id, sha256, actor, counter, path, filename FROM attachment_refs "
        "WHERE project = ? ORDER BY sha256, record_id, path, actor, counter",
        (project,),
    )
    group: list[RefRow] = []
    for row in rows:
        ref = RefRow(**dict(zip(RefRow.__struct_fields__, row, strict=True)))
        if group and group[0].sha256 != ref.sha256:
            yield group
            group = []
        group.append(ref)
    if group:
        yield group


def uploads_of(conn: sqlite3.Connection, project: str, sha256: str) -> list[UploadRow]:
    """The project's devices' accepted uploads of one file, by device."""
    rows = conn.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM attachment_uploads WHERE project = ? AND sha256 = ? "
        "ORDER BY device_id",
        (project, sha256),
    )
    return [_upload(r) for r in rows]
