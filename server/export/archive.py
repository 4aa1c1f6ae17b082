"""The encrypted project archive: a tar of everything, signed manifest, age-encrypted.

`prepare_archive` reads one consistent snapshot of a project (`Store.snapshot`) and spools
every member to disk (see `server.export.spool`): consolidated records, CSV and GeoJSON,
conflicts, every op, every raw sealed batch with its decrypted signed blob, the device
keys, the audit log, the form definitions and every file the records reference (its
bytes streamed from where they are stored, never copied); then the manifest of sizes and SHA-256s,
its minisign signature by the server key, the key itself and `SHA256SUMS`. The export is
audited (kind "export", with the manifest's hash and the recipients' key ids) before a
single byte leaves. `PreparedArchive.chunks()` then streams the tar through age.

Anyone can open the result with standard tools alone:
`age -d -i key.txt FILE | tar -x`, `minisign -V -p cairn.pub -m manifest.json`,
`sha256sum -c SHA256SUMS`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from forms.library import FormLibrary
from server import minisign
from server.audit.chain import project_chain
from server.clock import now_ms
from server.datadir import MARKER
from server.errors import NotFound
from server.export import members
from server.export.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    SUMS,
    AuditRange,
    Manifest,
    MissingAttachment,
    Range,
    encode_manifest,
    sha256sums,
    trusted_comment,
)
from server.export.recipients import parse_recipients
from server.export.spool import Spool, encrypt_chunks
from server.store import Store, audit_log
from server.store import admin as admin_rows
from sync import durable
from sync.age.file import Recipient
from sync.age.source import Writable
from sync.keys import ServerKeys, key_id

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExportSource:
    """What an export reads: the store, the server keys, the forms, the data directory."""

    store: Store
    keys: ServerKeys
    forms: FormLibrary
    data_dir: Path

    def instance_id(self) -> str:
        """The data directory's instance id (from its marker), or '' if unreadable."""
        try:
            marker = json.loads((self.data_dir / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        return str(marker.get("instance_id", "")) if isinstance(marker, dict) else ""


@dataclass
class PreparedArchive:
    """A spooled archive, ready to stream encrypted; close it (or use `with`) when done."""

    spool: Spool
    manifest: Manifest
    manifest_sha256: str
    recipients: Sequence[Recipient]
    order: list[str] = field(default_factory=list)

    @property
    def top(self) -> str:
        """The directory every member sits in once extracted."""
        return self.spool.top

    def tar_chunks(self) -> Iterator[bytes]:
        """The plain tar (for benchmarks and tests; never written to disk by Cairn)."""
        return self.spool.tar_chunks(self.order)

    def chunks(self) -> Iterator[bytes]:
        """The age-encrypted tar, chunk by chunk."""
        return encrypt_chunks(self.spool.tar_chunks(self.order), self.recipients)

    def write(self, out: Writable) -> int:
        """Write the encrypted archive to `out`; return the number of bytes."""
        total = 0
        for chunk in self.chunks():
            out.write(chunk)
            total += len(chunk)
        return total

    def close(self) -> None:
        """Remove the spooled plaintext."""
        self.spool.close()

    def __enter__(self) -> PreparedArchive:
        """Use as a context manager that always removes the spool."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Remove the spool."""
        self.close()


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spool_snapshot(
    conn: sqlite3.Connection,
    source: ExportSource,
    spool: Spool,
    project: str,
    progress: Progress,
) -> tuple[dict[str, int], Range, AuditRange, list[str], list[MissingAttachment]]:
    """Every data member, read from one snapshot; return counts, ranges and data paths."""
    counts: dict[str, int] = {}
    counts["devices"] = members.write_devices(spool, conn, project)
    forms_used: set[tuple[str, int]] = set()
    counts.update(members.write_records(spool, conn, source.forms, project, forms_used, progress))
    op_count, cursors = members.write_ops(spool, conn, project, forms_used, progress)
    counts["ops"] = op_count
    counts.update(members.write_batches(spool, conn, source.keys, project, progress))
    counts["quarantined"] = members.write_quarantine(spool, conn, project, progress)
    audit_count, audit_range = members.write_audit(spool, conn, project)
    counts["audit_entries"] = audit_count
    counts["forms"] = members.write_forms(spool, source.forms, forms_used)
    attachment_counts, missing = members.write_attachments(
        spool, conn, source.data_dir, project, progress
    )
    counts.update(attachment_counts)
    paths = [e.path for e in spool.entries()]
    return counts, cursors, audit_range, paths, missing


def prepare_archive(
    source: ExportSource,
    project: str,
    recipients: Sequence[str],
    *,
    actor: str,
    progress: Progress | None = None,
) -> PreparedArchive:
    """Check recipients, spool a snapshot of `project`, sign and audit it; ready to stream."""
    parsed = parse_recipients(recipients)
    say = progress or (lambda _msg: None)
    exported_ms = now_ms()
    stamp = _iso(exported_ms).replace("-", "").replace(":", "")
    spool = Spool(source.data_dir, f"cairn-archive-{project}-{stamp}", exported_ms // 1000)
    try:
        with source.store.snapshot() as conn:
            row = admin_rows.get_project(conn, project)
            if row is None:
                raise NotFound(f"no project {project!r}; 'cairn admin project list' shows them")
            snapshot = _spool_snapshot(conn, source, spool, project, say)
            counts, cursors, audit_range, paths, missing = snapshot
        public = source.keys.signing_key.public_key()
        spool.add(PUBLIC_KEY, [minisign.public_key_file(public).encode()])
        spool.add(members.README, [members.readme_text(project).encode()])
        manifest = Manifest(
            project=project,
            project_name=row.name,
            instance_id=source.instance_id(),
            exported_at_ms=exported_ms,
            exported_at=_iso(exported_ms),
            exported_by=actor,
            signing_key_id=source.keys.signing_key_id,
            counts=dict(sorted(counts.items())),
            op_cursor=cursors,
            audit=audit_range,
            files=sorted(spool.entries(), key=lambda e: e.path),
            missing_attachments=missing,
        )
        manifest_entry = spool.add(MANIFEST, [encode_manifest(manifest)])
        comment = trusted_comment(manifest, manifest_entry.sha256)
        with open(spool.path_of(MANIFEST), "rb") as f:
            signature = minisign.sign(source.keys.signing_key, f.read(), comment)
        spool.add(SIGNATURE, [signature.encode()])
        spool.add(SUMS, [sha256sums(spool.entries())])
        order = [MANIFEST, SIGNATURE, PUBLIC_KEY, SUMS, members.README, *paths]
        _audit(source.store, project, actor, manifest_entry.sha256, parsed, counts, exported_ms)
        say(f"archive ready: {len(order)} files, {sum(e.size for e in spool.entries())} bytes")
        return PreparedArchive(spool, manifest, manifest_entry.sha256, parsed, order)
    except BaseException:
        spool.close()
        raise


def _audit(
    store: Store,
    project: str,
    actor: str,
    manifest_sha256: str,
    recipients: Sequence[Recipient],
    counts: dict[str, int],
    at_ms: int,
) -> None:
    data = {
        "manifest_sha256": manifest_sha256,
        "recipients": [key_id(str(r)) for r in recipients],
        "records": counts.get("records", 0),
        "ops": counts.get("ops", 0),
    }
    with store.write() as conn:
        audit_log.append(
            conn,
            chain=project_chain(project),
            at_ms=at_ms,
            kind="export",
            actor=actor,
            subject=project,
            data=data,
        )


def export_to_file(
    source: ExportSource,
    project: str,
    recipients: Sequence[str],
    out: Path,
    *,
    actor: str,
    progress: Progress | None = None,
) -> tuple[Manifest, int]:
    """Write the encrypted archive to `out`: it takes the name only once complete and on disk."""
    with prepare_archive(source, project, recipients, actor=actor, progress=progress) as archive:
        with durable.writing(out, 0o600) as f:
            size = archive.write(f)
        return archive.manifest, size
