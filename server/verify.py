"""`cairn verify`: prove that what is stored is what was received, and still consistent.

Six checks, each reported separately:

1. every audit chain (the server's, each project's, and the frozen format-1 log) links
   from its first entry to its head, and each anchors the format-1 head it opened on;
2. the server keys are the ones the audit log's key changes made (`server.key_changes`):
   no current or retired batch key without its `server.init` / `keys.rotate` entry;
3. every raw sealed batch still decrypts with our keys, its SHA-256 matches the one in its
   receipt, and the device signature inside it verifies with the device's public key;
4. every stored attachment hashes to its name and has its recorded size, and every
   device's sealed upload of it is present, hashes to the SHA-256 its receipt names, and
   carries a header signed by that device for that very file and size;
5. the materialized tables (records, identifiers, points) are rebuilt from the ops alone
   into a scratch database and compared row by row, byte for byte, with the live ones;
6. every render made ahead for downloads (`server.export.renders`) that a download would
   copy (its key matches its record) equals the record rendered now.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import msgspec

from forms.library import FormLibrary
from server import views
from server.attachments.files import AttachmentFiles
from server.audit import chain, legacy
from server.audit.chain import OPEN
from server.export import renders
from server.key_changes import key_events, key_problems
from server.materialize import rebuild_into
from server.store import Store, audit_log
from server.store import admin as admin_rows
from server.store import attachments as attachment_rows
from server.store import renders as rt
from server.store import sync_tables as st
from sync import attachment as attachment_format
from sync.blobs import hash_file
from sync.errors import CairnCryptoError
from sync.keys import ServerKeys
from sync.sealed import extract_signed_batch, verify_batch_signature


class VerifyReport(msgspec.Struct, kw_only=True):
    """What `cairn verify` found."""

    audit_entries: int = 0
    audit_chains: int = 0
    legacy_audit_entries: int = 0
    batches: int = 0
    attachments: int = 0
    sealed_attachments: int = 0
    ops: int = 0
    records: int = 0
    renders: int = 0
    problems: list[str] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


Progress = Callable[[str], None]

# Columns compared between the live and the rebuilt tables (updated_at_ms records when a
# row was written, not what it holds, so it is left out).
_RECORD_COLUMNS = (
    "record_id, project, form_id, form_version, identifier, review_state, retracted,"
    " conflict_count, updated_cursor, state"
)
_TABLES = {
    "records": f"SELECT {_RECORD_COLUMNS} FROM records ORDER BY project, record_id",
    "identifiers": "SELECT project, form_id, name, scope, value, record_id, key FROM identifiers"
    " ORDER BY project, record_id, name, key",
    "points": "SELECT p.project, p.record_id, r.min_lat, r.min_lon FROM record_points p"
    " JOIN record_rtree r USING (point_id) ORDER BY p.project, p.record_id",
}


def _check_audit(conn: sqlite3.Connection, report: VerifyReport) -> None:
    for problem in legacy.verify_chain(audit_log.legacy_entries(conn)):
        report.problems.append(f"format-1 audit entry {problem.seq}: {problem.message}")
    legacy_seq, legacy_head = audit_log.legacy_head_of(conn)
    report.legacy_audit_entries = legacy_seq
    for name in audit_log.missing_chains(conn):
        report.problems.append(f"audit chain {name}: never opened")
    for name in audit_log.chains(conn):
        report.audit_chains += 1
        for problem in chain.verify_chain(
            _anchored(conn, name, legacy_seq, legacy_head, report), name
        ):
            report.problems.append(f"audit chain {name} entry {problem.seq}: {problem.message}")


def _anchored(
    conn: sqlite3.Connection, name: str, legacy_seq: int, legacy_head: str, report: VerifyReport
) -> Iterator[chain.ChainEntry]:
    """A chain's entries, counted, checking that its opening anchors the format-1 head."""
    for entry in audit_log.entries(conn, name):
        report.audit_entries += 1
        anchor = entry.data.get("legacy") if entry.kind == OPEN else None
        if isinstance(anchor, dict) and (anchor.get("seq"), anchor.get("head")) != (
            legacy_seq,
            legacy_head,
        ):
            report.problems.append(
                f"audit chain {name}: anchors format-1 entry {anchor.get('seq')} "
                f"{anchor.get('head')}, but that log ends at {legacy_seq} {legacy_head}"
            )
        yield entry


def _check_keys(conn: sqlite3.Connection, keys: ServerKeys, report: VerifyReport) -> None:
    for problem in key_problems(key_events(conn), keys):
        report.problems.append(f"server keys: {problem}")


def _check_batches(conn: sqlite3.Connection, keys: ServerKeys, report: VerifyReport) -> None:
    identities = keys.batch_identities()
    for batch in st.iter_batches(conn):
        report.batches += 1
        where = f"batch {batch.batch_id} (device {batch.device_id}, seq {batch.seq})"
        if hashlib.sha256(batch.sealed).hexdigest() != batch.sealed_sha256:
            report.problems.append(f"{where}: stored bytes do not match their SHA-256")
            continue
        device = admin_rows.get_device(conn, batch.device_id)
        if device is None:
            report.problems.append(f"{where}: its device is not in the database")
            continue
        try:
            signed = extract_signed_batch(batch.sealed, identities)
            verify_batch_signature(signed, device.signing_public)
        except CairnCryptoError as exc:
            report.problems.append(f"{where}: {exc}")


def _check_attachments(conn: sqlite3.Connection, data_dir: Path, report: VerifyReport) -> None:
    files = AttachmentFiles(data_dir)
    blobs = conn.execute("SELECT sha256, size FROM attachment_blobs ORDER BY sha256")
    for sha, size in blobs:
        report.attachments += 1
        path = files.blobs.path(sha)
        if not path.is_file():
            report.problems.append(f"attachment {sha}: the stored file is missing")
            continue
        digest, actual = hash_file(path)
        if digest != sha:
            report.problems.append(
                f"attachment {sha}: its bytes hash to {digest}, not to its name (changed on disk)"
            )
        elif actual != size:
            report.problems.append(f"attachment {sha}: {actual} bytes, not the {size} recorded")
    for upload in attachment_rows.all_uploads(conn):
        if upload.sealed_sha256:
            report.sealed_attachments += 1
            _check_sealed(conn, files, upload, report)
        if attachment_rows.get_blob(conn, upload.sha256) is None:
            report.problems.append(
                f"attachment {upload.sha256}: receipted to {upload.device_id}, but not stored"
            )


def _check_sealed(
    conn: sqlite3.Connection,
    files: AttachmentFiles,
    upload: attachment_rows.UploadRow,
    report: VerifyReport,
) -> None:
    where = f"attachment {upload.sha256}: the sealed upload of {upload.device_id}"
    path = files.sealed(upload.device_id, upload.sha256)
    if not path.is_file():
        report.problems.append(f"{where} is missing")
        return
    digest, _size = hash_file(path)
    if digest != upload.sealed_sha256:
        report.problems.append(f"{where} does not hash to the SHA-256 in its receipt")
        return
    device = admin_rows.get_device(conn, upload.device_id)
    try:
        with path.open("rb") as f:
            head = attachment_format.read_head(f)
        if device is None:
            raise CairnCryptoError("its device is not in the database")
        header = attachment_format.verify_attachment_header(head, device.signing_public)
    except CairnCryptoError as exc:
        report.problems.append(f"{where}: {exc}")
        return
    if (header.device_id, header.sha256_hex, header.size) != (
        upload.device_id,
        upload.sha256,
        upload.size,
    ):
        report.problems.append(f"{where}: its signed header names another device, file or size")


# How rows of each compared table are named in a report: the columns that identify one,
# in the order the table's query sorts them.
RowKey = Callable[[tuple[object, ...]], tuple[str, ...]]
_ROW_KEYS: dict[str, RowKey] = {
    "records": lambda row: (str(row[1]), str(row[0])),  # project, record
    # project, record, rule, key
    "identifiers": lambda row: (str(row[0]), str(row[5]), str(row[2]), str(row[6])),
    "points": lambda row: (str(row[0]), str(row[1])),
}


def _check_materialized(
    conn: sqlite3.Connection, forms: FormLibrary, report: VerifyReport, say: Progress
) -> None:
    report.ops = st.count_ops(conn)
    with tempfile.TemporaryDirectory(prefix="cairn-verify-") as scratch_dir:
        scratch = Store(Path(scratch_dir) / "scratch.db")
        try:
            with scratch.write() as out:
                rebuild_into(out, forms, st.ops_by_record(conn), 0, say)
            fresh = scratch.reader()
            for table, sql in _TABLES.items():
                live = conn.execute(sql)
                count = _compare(table, live, fresh.execute(sql), _ROW_KEYS[table], report)
                if table == "records":
                    report.records = count
        finally:
            scratch.close()


def _compare(
    table: str,
    live: Iterable[tuple[object, ...]],
    fresh: Iterable[tuple[object, ...]],
    key: RowKey,
    report: VerifyReport,
) -> int:
    """Walk the live and the rebuilt rows together (both sorted by `key`), one row at a
    time; report every row that differs, is missing, or has no op behind it; return how
    many live rows there are."""
    live_rows, fresh_rows = iter(live), iter(fresh)
    a, b = next(live_rows, None), next(fresh_rows, None)
    count = 0
    while a is not None or b is not None:
        if a is not None and (b is None or key(a) < key(b)):
            report.problems.append(f"{table} {' '.join(key(a))}: present but no op creates it")
            a, count = next(live_rows, None), count + 1
        elif b is not None and (a is None or key(b) < key(a)):
            report.problems.append(f"{table} {' '.join(key(b))}: missing from the live table")
            b = next(fresh_rows, None)
        else:
            assert a is not None and b is not None
            if a != b:
                name = " ".join(key(a))
                report.problems.append(f"{table} {name}: differs from its rebuild from the ops")
            a, b, count = next(live_rows, None), next(fresh_rows, None), count + 1
    return count


def _check_renders(conn: sqlite3.Connection, forms: FormLibrary, report: VerifyReport) -> None:
    """Every render a download would copy (its key matches its record's row) is what
    rendering the record now gives; renders whose key does not match are never used."""
    keys = renders.keys_for(forms)
    batch: list[tuple[st.RecordRow, bytes | None, str | None, bytes]] = []

    def check() -> None:
        fresh = renders.render_rows(forms, [row for row, _, _, _ in batch])
        for (row, spec, line, part), (_, _, _, fresh_spec, fresh_line, fresh_part) in zip(
            batch, fresh, strict=True
        ):
            if part != fresh_part or (spec == fresh_spec and line != fresh_line):
                report.problems.append(
                    f"render of record {row.project} {row.record_id}: differs from the record "
                    "rendered now (a download would have sent it)"
                )
        batch.clear()

    for row, key, spec, line, part in rt.every(conn):
        if key != keys.of(row):
            continue
        report.renders += 1
        batch.append((row, spec, line, part))
        if len(batch) == renders.SWEEP_CHUNK:
            check()
    check()


def verify(
    store: Store,
    keys: ServerKeys,
    forms: FormLibrary,
    progress: Progress | None = None,
    *,
    data_dir: Path | None = None,
) -> VerifyReport:
    """Run every check on a data directory's store (and its attachments, kept in
    `data_dir`, by default the store's directory). It modifies nothing received; views
    still being built after a push (`server.views`) are first caught up, so that what is
    compared with the rebuild reflects every op."""
    report = VerifyReport()
    say = progress or (lambda _msg: None)
    with store.snapshot() as conn:
        built, newest = views.backlog(conn)
    if built < newest:
        say(f"building the views of {newest - built:,} ops first")
        with store.write() as conn:
            views.catch_up(forms, conn)
    with store.snapshot() as conn:
        say("checking the audit chains")
        _check_audit(conn, report)
        say("checking the server keys against their audit entries")
        _check_keys(conn, keys, report)
        say("re-verifying every stored batch")
        _check_batches(conn, keys, report)
        say("re-hashing every attachment and checking its sealed uploads")
        _check_attachments(conn, data_dir or store.path.parent, report)
        say("rebuilding records from the ops")
        _check_materialized(conn, forms, report, say)
        say("checking the records' renders made ahead for downloads")
        _check_renders(conn, forms, report)
    return report
