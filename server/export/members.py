"""Writing each member of an archive from store rows into the spool, one row at a time.

Each function reads through the snapshot connection it is given and streams into the
spool; none holds more than one record, op or batch in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from forms.library import FormLibrary, parse_form_ref
from server.attachments.files import AttachmentFiles
from server.audit import legacy
from server.audit.chain import GENESIS, OPEN, project_chain
from server.audit.chain import line as chain_line
from server.export import formats
from server.export.manifest import AuditRange, MissingAttachment, Range
from server.export.spool import MemberWriter, Spool
from server.store import admin as admin_rows
from server.store import attachments as attachment_rows
from server.store import audit_log
from server.store import sync_tables as st
from sync import ids
from sync.errors import CairnCryptoError
from sync.keys import ServerKeys, key_id
from sync.sealed import extract_signed_batch

Progress = Callable[[str], None]
README = "README.txt"
AUDIT = "audit.jsonl"
AUDIT_V1 = "audit-v1.jsonl"
ATTACHMENTS = "attachments.jsonl"
EVERY = 10_000
_JSON = msgspec.json.Encoder(order="sorted")
_OP = msgspec.msgpack.Decoder()


class DeviceEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A device's public keys as listed in devices.json."""

    device_id: str
    label: str
    signing_public: str  # base64 of the raw 32-byte Ed25519 public key
    signing_key_id: str
    encryption_recipient: str
    enrolled_at_ms: int
    revoked_at_ms: int | None


class BatchEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One accepted batch as listed in batches.jsonl (the receipt is the server's, signed)."""

    batch_id: str
    device_id: str
    seq: int
    key_id: str
    sealed_sha256: str
    received_at_ms: int
    op_count: int
    receipt: str  # base64 of the signed receipt sent to the device
    signed: bool  # whether batches/<id>.signed is present
    # The member name without .sealed/.signed: batches/<batch_id>, or, for a batch whose
    # id is not a UUID (stored before ids were checked), batches/sha256-<sealed_sha256>.
    file: str = ""


def batch_file(batch_id: str, sealed_sha256: str) -> str:
    """The archive path (without suffix) of a batch: named only by server-checked values."""
    return f"batches/{batch_id}" if ids.is_uuid(batch_id) else f"batches/sha256-{sealed_sha256}"


def write_devices(spool: Spool, conn: sqlite3.Connection, project: str) -> int:
    """devices.json: every device of the project with its public keys."""
    devices = [
        DeviceEntry(
            device_id=d.device_id,
            label=d.label,
            signing_public=base64.b64encode(d.signing_public).decode(),
            signing_key_id=key_id(d.signing_public),
            encryption_recipient=d.encryption_recipient,
            enrolled_at_ms=d.enrolled_at_ms,
            revoked_at_ms=d.revoked_at_ms,
        )
        for d in admin_rows.list_devices(conn, project)
    ]
    spool.add("devices.json", [msgspec.json.format(_JSON.encode(devices), indent=2), b"\n"])
    return len(devices)


# Records between two hand-overs of the CSV tables' lines to their member files.
_FLUSH_EVERY = 200


class _Tables:
    """The CSV tables of one export, opened the first time a form appears."""

    def __init__(self, spool: Spool, forms: FormLibrary) -> None:
        self.spool = spool
        self.forms = forms
        self.open: dict[str, list[tuple[formats.TableSpec, MemberWriter, formats.CsvLines]]] = {}
        self.rows = 0

    def write(self, entry: formats.RecordEntry) -> None:
        form_id = entry.row.form_id
        if form_id not in self.open:
            specs = formats.form_tables(self.forms, form_id) if form_id in self.forms else []
            if not specs:
                specs = [formats.TableSpec(form_id, None, (), frozenset())]
            opened = []
            for spec in specs:
                writer = self.spool.open(f"csv/{spec.path}")
                lines = formats.CsvLines()
                lines.write(spec.header)
                opened.append((spec, writer, lines))
            self.open[form_id] = opened
        for spec, _, lines in self.open[form_id]:
            if spec.group is None:
                lines.write_fields(formats.record_cells(spec, entry, csv_ready=True))
                continue
            for cells in formats.table_row(spec, entry):
                lines.write(cells)
        self.rows += 1
        if self.rows % _FLUSH_EVERY == 0:
            self._flush()

    def _flush(self) -> None:
        """Hand what every table's writer holds to its member file (memory stays flat)."""
        for opened in self.open.values():
            for _, writer, lines in opened:
                writer.write(lines.take())

    def finish(self) -> int:
        self._flush()
        count = 0
        for form_id in sorted(self.open):
            for spec, _, _ in self.open[form_id]:
                self.spool.finish(f"csv/{spec.path}")
                count += 1
        return count


def write_records(
    spool: Spool,
    conn: sqlite3.Connection,
    forms: FormLibrary,
    project: str,
    forms_used: set[tuple[str, int]],
    progress: Progress,
) -> dict[str, int]:
    """records.jsonl, conflicts.jsonl, records.geojson and csv/ in one pass over records."""
    records = spool.open("records.jsonl")
    conflicts = spool.open("conflicts.jsonl")
    geo = spool.open("records.geojson")
    geo.write(formats.GEOJSON_HEAD)
    tables = _Tables(spool, forms)
    counts = {"records": 0, "conflicts": 0, "features": 0}
    # records.jsonl reads each record's whole state: decoded once, and rendered from.
    for entry in formats.entries(st.iter_records(conn, project), forms, whole=True):
        forms_used.add((entry.row.form_id, entry.row.form_version))
        records.writelines(formats.jsonl_records([entry]))
        for line in formats.record_conflict_lines(entry):
            conflicts.write(line)
            counts["conflicts"] += 1
        for feature in formats.geojson_features(entry):
            geo.write(formats.geojson_feature_bytes(feature, counts["features"] == 0))
            counts["features"] += 1
        tables.write(entry)
        counts["records"] += 1
        if counts["records"] % EVERY == 0:
            progress(f"records: {counts['records']}")
    duplicates = st.duplicate_identifiers(conn, project)
    conflicts.writelines(formats.duplicate_lines(duplicates))
    counts["duplicate_identifiers"] = len(duplicates)
    geo.write(formats.GEOJSON_TAIL)
    spool.finish("records.jsonl")
    spool.finish("conflicts.jsonl")
    spool.finish("records.geojson")
    counts["csv_tables"] = tables.finish()
    progress(f"records: {counts['records']} done")
    return counts


def write_ops(
    spool: Spool,
    conn: sqlite3.Connection,
    project: str,
    forms_used: set[tuple[str, int]],
    progress: Progress,
) -> tuple[int, Range]:
    """ops.jsonl: every op of the project in cursor order; note the forms they name."""
    writer = spool.open("ops.jsonl")
    count, first, last = 0, 0, 0
    seen_refs: set[str] = set()
    for cursor, record_id, blob, suspect in st.iter_ops(conn, project, 0):
        op = _OP.decode(blob)
        writer.write(formats.op_line(cursor, record_id, op, suspect))
        ref = op.get("form") if isinstance(op, dict) else None
        if isinstance(ref, str) and ref not in seen_refs:
            seen_refs.add(ref)
            form_id, version = parse_form_ref(ref)
            if version is not None:
                forms_used.add((form_id, version))
        first = first or cursor
        last = cursor
        count += 1
        if count % (EVERY * 5) == 0:
            progress(f"ops: {count}")
    spool.finish("ops.jsonl")
    progress(f"ops: {count} done")
    return count, Range(first=first, last=last)


def write_batches(
    spool: Spool, conn: sqlite3.Connection, keys: ServerKeys, project: str, progress: Progress
) -> dict[str, int]:
    """batches/<id>.sealed as received, batches/<id>.signed decrypted, batches.jsonl index."""
    index = spool.open("batches.jsonl")
    identities = keys.batch_identities()
    count = unopened = 0
    for batch in st.iter_batches(conn, project):
        name = batch_file(batch.batch_id, batch.sealed_sha256)
        spool.add(f"{name}.sealed", [batch.sealed])
        signed: bytes | None = None
        try:
            signed = extract_signed_batch(batch.sealed, identities)
            spool.add(f"{name}.signed", [signed])
        except CairnCryptoError as exc:
            # Should never happen (it was opened on arrival); keep the raw bytes, say so.
            progress(f"batch {batch.batch_id}: cannot decrypt ({exc}); raw bytes kept")
            unopened += 1
        entry = BatchEntry(
            batch_id=batch.batch_id,
            device_id=batch.device_id,
            seq=batch.seq,
            key_id=batch.key_id,
            sealed_sha256=batch.sealed_sha256,
            received_at_ms=batch.received_at_ms,
            op_count=batch.op_count,
            receipt=base64.b64encode(batch.receipt).decode(),
            signed=signed is not None,
            file=name,
        )
        index.write(_JSON.encode(entry) + b"\n")
        count += 1
        if count % 100 == 0:
            progress(f"batches: {count}")
    spool.finish("batches.jsonl")
    return {"batches": count, "batches_unopened": unopened}


def attachment_file(sha256: str) -> str:
    """The archive path of a file's bytes (named by its checked hash)."""
    return f"attachments/{sha256}"


def sealed_file(sha256: str, device_id: str) -> str:
    """The archive path of one device's sealed upload of a file, as received."""
    return f"attachments/sealed/{sha256}/{device_id}.sealed"


class SealedEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One device's accepted upload of a file: its sealed form and the server's receipt."""

    device_id: str
    sealed_sha256: str  # "" when the project held the file already (no bytes were sent)
    sealed_size: int
    received_at_ms: int
    receipt: str  # base64 of the signed attachment receipt sent to the device
    file: str = ""  # attachments/sealed/SHA256/DEVICE.sealed, "" when there is none


class ReferenceEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One op's reference to a file."""

    record_id: str
    path: str
    filename: str
    actor: str
    counter: int


class AttachmentEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One file records of the project reference, as listed in attachments.jsonl."""

    sha256: str
    received: bool  # whether the archive holds its bytes as `file`
    file: str = ""
    size: int | None = None
    media_type: str | None = None
    exif: dict[str, Any] = msgspec.field(default_factory=dict)
    missing: str = ""  # why the bytes are not here: "not_received" or "damaged"
    sealed: list[SealedEntry] = msgspec.field(default_factory=list)
    references: list[ReferenceEntry] = msgspec.field(default_factory=list)


def _sealed_entries(
    spool: Spool, files: AttachmentFiles, uploads: list[attachment_rows.UploadRow]
) -> tuple[list[SealedEntry], list[str]]:
    out, problems = [], []
    for up in uploads:
        name = ""
        if up.sealed_sha256:
            disk = files.sealed(up.device_id, up.sha256)
            if disk.is_file():
                name = sealed_file(up.sha256, up.device_id)
                if spool.add_file(name, disk).sha256 != up.sealed_sha256:
                    problems.append(f"{name}: does not hash to the SHA-256 in its receipt")
            else:
                problems.append(f"{up.sha256}: the sealed upload of {up.device_id} is missing")
        out.append(
            SealedEntry(
                device_id=up.device_id,
                sealed_sha256=up.sealed_sha256,
                sealed_size=up.sealed_size,
                received_at_ms=up.received_at_ms,
                receipt=base64.b64encode(up.receipt).decode(),
                file=name,
            )
        )
    return out, problems


def write_attachments(
    spool: Spool, conn: sqlite3.Connection, data_dir: Path, project: str, progress: Progress
) -> tuple[dict[str, int], list[MissingAttachment]]:
    """attachments/SHA256 and its sealed forms, for every file the project's records
    reference and the project holds; attachments.jsonl lists each with its references.

    Only the project's own references and uploads are read (never another project's,
    though the bytes are stored once for all). The bytes are not copied into the spool:
    each is hashed here, streamed into the tar later from where it is stored. A file not
    yet received, or whose stored copy no longer hashes to its name, is listed as missing.
    """
    files = AttachmentFiles(data_dir)
    index = spool.open(ATTACHMENTS)
    counts = {"attachments": 0, "attachments_missing": 0, "attachments_sealed": 0}
    missing: list[MissingAttachment] = []
    for refs in attachment_rows.project_refs_by_hash(conn, project):
        sha = refs[0].sha256
        uploads = attachment_rows.uploads_of(conn, project, sha)
        blob = attachment_rows.get_blob(conn, sha) if uploads else None
        sealed, problems = _sealed_entries(spool, files, uploads)
        counts["attachments_sealed"] += sum(1 for s in sealed if s.file)
        reason, name = "", ""
        if blob is None:
            reason = "not_received"
        elif not files.blobs.has(sha):
            reason = "damaged"
            problems.append(f"{sha}: the stored file is missing")
        else:
            entry = spool.add_file(attachment_file(sha), files.blobs.path(sha))
            if entry.sha256 != sha or entry.size != blob.size:
                # The name would lie: the bytes stay out (cairn verify names the damage).
                spool.drop(attachment_file(sha))
                reason = "damaged"
                problems.append(f"{sha}: the stored file does not hash to its name")
            else:
                name = entry.path
        for problem in problems:
            progress(f"attachment {problem}; run 'cairn verify'")
        if reason:
            counts["attachments_missing"] += 1
            missing.append(
                MissingAttachment(
                    sha256=sha,
                    reason=reason,
                    record_ids=sorted({r.record_id for r in refs}),
                    devices=sorted({r.actor for r in refs}),
                )
            )
        else:
            counts["attachments"] += 1
        line = AttachmentEntry(
            sha256=sha,
            received=bool(name),
            file=name,
            size=blob.size if blob is not None else None,
            media_type=blob.media_type if blob is not None else None,
            exif=json.loads(blob.exif or "{}") if blob is not None else {},
            missing=reason,
            sealed=sealed,
            references=[
                ReferenceEntry(
                    record_id=r.record_id,
                    path=r.path,
                    filename=r.filename,
                    actor=r.actor,
                    counter=r.counter,
                )
                for r in refs
            ],
        )
        index.write(_JSON.encode(line) + b"\n")
    spool.finish(ATTACHMENTS)
    progress(f"attachments: {counts['attachments']} held, {counts['attachments_missing']} missing")
    return counts, missing


class QuarantineEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One refused batch or op as listed in quarantine.jsonl; its bytes are in `file`."""

    id: int
    kind: str
    code: str
    reason: str
    device_id: str | None
    batch_id: str | None
    received_at_ms: int
    size: int
    sha256: str
    file: str


def write_quarantine(
    spool: Spool, conn: sqlite3.Connection, project: str, progress: Progress
) -> int:
    """quarantine/<id>.bin as received and quarantine.jsonl: everything refused, and why."""
    index = spool.open("quarantine.jsonl")
    count = after = 0
    while True:
        rows = st.list_quarantine(conn, project, after, 100)
        if not rows:
            break
        for row in rows:
            path = f"quarantine/{row.id}.bin"
            spool.add(path, [row.payload])
            entry = QuarantineEntry(
                id=row.id,
                kind=row.kind,
                code=row.code,
                reason=row.reason,
                device_id=row.device_id,
                batch_id=row.batch_id,
                received_at_ms=row.received_at_ms,
                size=len(row.payload),
                sha256=hashlib.sha256(row.payload).hexdigest(),
                file=path,
            )
            index.write(_JSON.encode(entry) + b"\n")
            count += 1
        after = rows[-1].id
    spool.finish("quarantine.jsonl")
    progress(f"quarantine: {count} done")
    return count


def write_audit(spool: Spool, conn: sqlite3.Connection, project: str) -> tuple[int, AuditRange]:
    """audit.jsonl: the project's chain; audit-v1.jsonl: the format-1 log it anchors, reduced.

    Nothing of another project is written: its format-1 entries travel as runs of bare
    hashes (server.audit.legacy.reduce), and the project chain holds only this project.
    """
    name = project_chain(project)
    writer = spool.open(AUDIT)
    count, last, head, anchored = 0, 0, GENESIS, False
    for entry in audit_log.entries(conn, name):
        writer.write(chain_line(entry) + b"\n")
        anchored = anchored or (entry.kind == OPEN and entry.data.get("legacy") is not None)
        last, head = entry.seq, entry.hash
        count += 1
    spool.finish(AUDIT)
    if anchored:
        devices = {d.device_id: d.project for d in admin_rows.list_devices(conn)}
        legacy_writer = spool.open(AUDIT_V1)
        for item in legacy.reduce(audit_log.legacy_entries(conn), project, devices.get):
            legacy_writer.write(_JSON.encode(item) + b"\n")
        spool.finish(AUDIT_V1)
    return count, AuditRange(first=1 if count else 0, last=last, head=head, chain=name)


def write_forms(spool: Spool, forms: FormLibrary, used: set[tuple[str, int]]) -> int:
    """forms/<id>@<version>.json: each form definition the records and ops name."""
    count = 0
    for form_id, version in sorted(used):
        try:
            form = forms.get(form_id, version)
        except (LookupError, ValueError):
            continue
        body = msgspec.json.format(msgspec.json.encode(form), indent=2)
        spool.add(f"forms/{form_id}@{version}.json", [body, b"\n"])
        count += 1
    return count


def readme_text(project: str) -> str:
    """README.txt: how to check and read this archive with standard tools alone."""
    return f"""Cairn archive of project {project}

Check it (standard tools: age, minisign, sha256sum; Debian packages of the same names):

  minisign -V -p cairn.pub -m manifest.json   # the server signed the manifest
  sha256sum -c SHA256SUMS                       # every file is the one the manifest lists

Compare cairn.pub with the server key you obtained separately: whoever re-encrypts an
archive can also replace cairn.pub, so the signature only proves origin against a key
you already trust. `cairn archive verify FILE --identity KEY --pubkey KEY.pub` does all
of this, checks the audit chain (docs/audit.md tells how to re-hash it in any language)
and re-verifies every device signature.

audit.jsonl, by hand: each line is a JSON object; its "hash" is the hex SHA-256 of the
RFC 8785 (JCS) canonical JSON of that object without "hash", and its "prev" is the hash
of the line before (64 zeros on line 1). The last hash is manifest.json's audit.head.

Files:
  manifest.json       every file with size and SHA-256, counts, op and audit ranges
  records.jsonl       one consolidated record per line: values, provenance, conflicts
  csv/FORM.csv        one row per record (displayed values; 'conflicts' names open ones)
  csv/FORM.GROUP.csv  repeat-group items (skeletal inventory, custody…) by record_id
  records.geojson     RFC 7946 FeatureCollection (longitude, latitude)
  conflicts.jsonl     open conflicts with every live value; duplicate identifiers
  ops.jsonl           every operation ever accepted, in order (the full history)
  batches/ID.sealed   each sealed batch exactly as the device sent it
  batches/ID.signed   the same batch decrypted: signed header, Ed25519 signature, body
  batches.jsonl       batch index with the server's signed receipts
  quarantine/ID.bin   each refused batch or op exactly as received (never dropped)
  quarantine.jsonl    what was refused, when, from which device, and why
  devices.json        device public keys (check a .signed blob with its device's key)
  attachments/SHA256  each photo or file the records reference, named by its SHA-256
                      (sha256sum it: the output is its own name)
  attachments/sealed/SHA256/DEVICE.sealed
                      each device's upload of it exactly as received (signed header,
                      then the bytes encrypted to the server; docs/protocol.md §8)
  attachments.jsonl   every referenced file: which records and fields name it, its
                      size, type, EXIF facts, receipts; files not yet received (still on
                      a device) are listed here and in manifest.json as missing
  audit.jsonl         this project's hash-chained audit log (RFC 8785 entries)
  audit-v1.jsonl      (older data) the server's earlier single log, reduced to this
                      project: other projects' entries appear as bare hashes only
  forms/*.json        the form definitions the records use
"""
