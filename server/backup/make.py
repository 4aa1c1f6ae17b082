"""Making a backup while the server runs: one snapshot, streamed through age to a file.

Consistency. Under the keys directory's lock (`server.key_changes.keys_locked`: no key
rotation starts or finishes meanwhile) the database is copied with SQLite's online backup
API in a single step — one read transaction, so the copy is the committed state of one
instant while writers go on (WAL mode) — and the key files are copied beside it, into a
spool inside the data directory (`server.export.spool`: 0700, removed when done, swept
after a crash). Attachments are listed afterwards: a file enters the store before the
row that names it commits and is never removed once named, so every file the snapshot
names is on disk by then (files newer than the snapshot may come along; they are named
by their hash and harmless). Each one is then read straight from the store into the tar.

Streaming. The tar (`server.export.spool.TarWriter`) is encrypted chunk by chunk
(`server.export.spool.encrypt_chunks`) into a temporary file beside `out` that takes its
name only when complete and on disk (`sync.durable.writing`). Each member is hashed as it
passes; the manifest, its signature, `cairn.pub` and `SHA256SUMS` come last. Memory stays
flat: one chunk, plus the manifest's list of files.

The backup is recorded before any byte is written: a `backup` entry in the server's audit
chain names who made it and the key ids of its recipients (the snapshot predates it, so
the entry is in the live log, not in the backup).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from server import minisign
from server.attachments.files import ROOT as ATTACHMENTS
from server.audit.chain import SERVER
from server.backup import BackupError
from server.backup.manifest import DATA, BackupManifest, Head, encode_manifest, trusted_comment
from server.clock import now_ms
from server.datadir import DATABASE, KEYS, MARKER, DataDir
from server.export.manifest import MANIFEST, PUBLIC_KEY, SIGNATURE, SUMS, FileEntry, sha256sums
from server.export.recipients import parse_recipients
from server.export.spool import Spool, TarWriter, encrypt_chunks
from server.key_changes import keys_locked
from server.store import audit_log
from sync import durable
from sync.age.file import Recipient
from sync.keys import key_id

Progress = Callable[[str], None]
README = "README.txt"
READ_CHUNK = 256 * 1024
EVERY = 1000
HEX64 = re.compile(r"[0-9a-f]{64}")
# What a sealed upload's file is called: an enrolled device's id, then ".sealed".
SEALED_NAME = re.compile(r"[A-Za-z0-9-]{1,128}\.sealed")
_COUNTS = {
    "projects": "SELECT COUNT(*) FROM projects",
    "devices": "SELECT COUNT(*) FROM devices",
    "batches": "SELECT COUNT(*) FROM batches",
    "ops": "SELECT COUNT(*) FROM ops",
    "records": "SELECT COUNT(*) FROM records",
    "tokens": "SELECT COUNT(*) FROM tokens",
    "attachment_blobs": "SELECT COUNT(*) FROM attachment_blobs",
    "attachment_uploads": "SELECT COUNT(*) FROM attachment_uploads",
    "audit_entries": "SELECT COUNT(*) FROM audit_chain",
}

_README = """\
A Cairn backup: a whole data directory as it was at {made_at}.

It holds the server's secrets (data/keys/: the signing key and every batch key) and all
evidence in clear (data/cairn.db). Keep it, and the age key that opens it, as carefully as
the server itself.

Restore it with Cairn:   cairn restore FILE --identity KEY --data NEWDIR
Or with standard tools:  age -d -i KEY FILE | tar -x
                         minisign -V -p cairn.pub -m manifest.json
                         sha256sum -c SHA256SUMS
(then chmod 600 every file of data/keys before 'cairn serve --data data').
"""


@dataclass(frozen=True)
class BackupResult:
    """What `make_backup` wrote."""

    path: Path
    size: int
    manifest: BackupManifest
    manifest_sha256: str


@dataclass(frozen=True)
class _Member:
    path: str  # inside the tar's top directory
    disk: Path


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _snapshot_database(source: Path, target: Path) -> None:
    """Copy the committed database in one step of SQLite's backup API (one read txn)."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA query_only = ON")
        src.backup(dst, pages=-1)  # all pages in one step: never restarted by a writer
        dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()


def _facts(snapshot: Path) -> tuple[int, dict[str, int], dict[str, Head], Head, set[str]]:
    """Schema version, counts, audit heads and the attachment files the snapshot names."""
    conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        counts = {name: int(conn.execute(sql).fetchone()[0]) for name, sql in _COUNTS.items()}
        heads = {
            name: Head(seq=seq, hash=digest)
            for name, (seq, digest) in audit_log.heads(conn).items()
        }
        legacy_seq, legacy_hash = audit_log.legacy_head_of(conn)
        named = {
            f"{ATTACHMENTS}/blobs/{sha[:2]}/{sha}"
            for (sha,) in conn.execute("SELECT sha256 FROM attachment_blobs")
        }
        named |= {
            f"{ATTACHMENTS}/sealed/{sha}/{device}.sealed"
            for device, sha in conn.execute("SELECT device_id, sha256 FROM attachment_uploads")
        }
    finally:
        conn.close()
    return int(version), counts, heads, Head(seq=legacy_seq, hash=legacy_hash), named


def _copy_keys(keys_dir: Path, spool: Spool) -> list[str]:
    """Every key file (not the temporary files a cut may leave) into the spool."""
    names = sorted(
        p.name for p in keys_dir.iterdir() if p.is_file() and not durable.is_temporary(p.name)
    )
    for name in names:
        spool.add(f"{DATA}/{KEYS}/{name}", [(keys_dir / name).read_bytes()])
    return names


def attachment_files(data_dir: Path) -> Iterator[str]:
    """Every stored file and sealed upload, relative to the data directory, sorted."""
    root = data_dir / ATTACHMENTS
    blobs = root / "blobs"
    for fan in sorted(os.listdir(blobs)) if blobs.is_dir() else []:
        if len(fan) == 2 and (blobs / fan).is_dir():
            for name in sorted(os.listdir(blobs / fan)):
                if HEX64.fullmatch(name) and name.startswith(fan):
                    yield f"{ATTACHMENTS}/blobs/{fan}/{name}"
    sealed = root / "sealed"
    for sha in sorted(os.listdir(sealed)) if sealed.is_dir() else []:
        if HEX64.fullmatch(sha) and (sealed / sha).is_dir():
            for name in sorted(os.listdir(sealed / sha)):
                if SEALED_NAME.fullmatch(name):
                    yield f"{ATTACHMENTS}/sealed/{sha}/{name}"


class _Stream:
    """The tar of a backup, produced chunk by chunk; entries and counts filled as it goes."""

    def __init__(
        self,
        data: DataDir,
        spool: Spool,
        members: list[_Member],
        named: set[str],
        finish: Callable[[list[FileEntry], dict[str, int]], tuple[bytes, str]],
        progress: Progress,
    ) -> None:
        self.data = data
        self.spool = spool
        self.members = members
        self.named = named
        self.finish = finish
        self.progress = progress
        self.entries: list[FileEntry] = []
        self.missing: list[str] = []

    def _file(self, path: str, f: BinaryIO, size: int) -> Iterator[bytes]:
        digest = hashlib.sha256()

        def chunks() -> Iterator[bytes]:
            while data := f.read(READ_CHUNK):
                digest.update(data)
                yield data

        yield from self.tar.member(path, size, chunks())
        self.entries.append(FileEntry(path=path, size=size, sha256=digest.hexdigest()))

    def chunks(self) -> Iterator[bytes]:
        self.tar = TarWriter(self.spool.top, self.spool.mtime)
        for member in self.members:
            with member.disk.open("rb") as f:
                yield from self._file(member.path, f, os.fstat(f.fileno()).st_size)
        files = size = 0
        for relative in attachment_files(self.data.path):
            try:
                f = (self.data.path / relative).open("rb")
            except FileNotFoundError:
                continue  # an upload rolled back after the listing: the snapshot never named it
            with f:
                length = os.fstat(f.fileno()).st_size
                yield from self._file(f"{DATA}/{relative}", f, length)
            self.named.discard(relative)
            files += 1
            size += length
            if files % EVERY == 0:
                self.progress(f"attachments: {files} files, {size} bytes")
        self.missing = sorted(self.named)
        for relative in self.missing:
            self.progress(f"WARNING: {relative} is named by the database but not on disk")
        extra = {
            "attachment_files": files,
            "attachment_bytes": size,
            "attachment_files_missing": len(self.missing),
        }
        pub = minisign.public_key_file(self.data.keys.signing_key.public_key()).encode()
        self.entries.append(FileEntry(path=PUBLIC_KEY, size=len(pub), sha256=_sha(pub)))
        manifest, signature = self.finish(self.entries, extra)
        listed = FileEntry(path=MANIFEST, size=len(manifest), sha256=_sha(manifest))
        sums = sha256sums(sorted([*self.entries, listed], key=lambda e: e.path))
        for path, body in (
            (MANIFEST, manifest),
            (SIGNATURE, signature.encode()),
            (PUBLIC_KEY, pub),
            (SUMS, sums),
        ):
            yield from self.tar.member(path, len(body), [body])
        yield self.tar.end()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _audit(data: DataDir, actor: str, recipients: Sequence[Recipient], at_ms: int) -> None:
    with data.store.write() as conn:
        audit_log.append(
            conn,
            chain=SERVER,
            at_ms=at_ms,
            kind="backup",
            actor=actor,
            subject=data.instance_id,
            data={"recipients": [key_id(str(r)) for r in recipients]},
        )


def make_backup(
    data: DataDir,
    recipients: Sequence[str],
    out: Path,
    *,
    actor: str,
    progress: Progress | None = None,
) -> BackupResult:
    """Write an encrypted, signed backup of the data directory to `out` (see the module)."""
    say = progress or (lambda _m: None)
    parsed = parse_recipients(recipients)
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"cannot write {out}: {out.parent} is not a directory")
    made_ms = now_ms()
    stamp = datetime.fromtimestamp(made_ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")
    with Spool(data.path, f"cairn-backup-{stamp}", made_ms // 1000) as spool:
        spool.add(README, [_README.format(made_at=_iso(made_ms)).encode()])
        spool.add(f"{DATA}/{MARKER}", [(data.path / MARKER).read_bytes()])
        snapshot = spool.scratch(DATABASE)
        say("snapshot of the database and the keys")
        with keys_locked(data.keys_dir):
            _snapshot_database(data.store.path, snapshot)
            key_names = _copy_keys(data.keys_dir, spool)
        version, counts, heads, legacy_head, named = _facts(snapshot)
        counts["key_files"] = len(key_names)
        members = [
            _Member(README, spool.path_of(README)),
            _Member(f"{DATA}/{MARKER}", spool.path_of(f"{DATA}/{MARKER}")),
            _Member(f"{DATA}/{DATABASE}", snapshot),
            *(_Member(p, spool.path_of(p)) for p in (f"{DATA}/{KEYS}/{n}" for n in key_names)),
        ]
        _audit(data, actor, parsed, made_ms)
        made: dict[str, object] = {}

        def finish(entries: list[FileEntry], extra: dict[str, int]) -> tuple[bytes, str]:
            manifest = BackupManifest(
                instance_id=data.instance_id,
                made_at_ms=made_ms,
                made_at=_iso(made_ms),
                made_by=actor,
                signing_key_id=data.keys.signing_key_id,
                schema_version=version,
                counts=dict(sorted({**counts, **extra}.items())),
                audit_heads=heads,
                legacy_audit_head=legacy_head,
                files=sorted(entries, key=lambda e: e.path),
            )
            body = encode_manifest(manifest)
            digest = _sha(body)
            made.update(manifest=manifest, sha256=digest)
            comment = trusted_comment(manifest, digest)
            return body, minisign.sign(data.keys.signing_key, body, comment)

        stream = _Stream(data, spool, members, named, finish, say)
        say(f"writing {out}")
        total = 0
        try:
            with durable.writing(out, 0o600) as f:
                for chunk in encrypt_chunks(stream.chunks(), parsed):
                    f.write(chunk)
                    total += len(chunk)
        except ValueError as exc:  # a file changed while it was read (TarWriter)
            raise BackupError(f"the backup was not written: {exc}") from exc
        except OSError as exc:
            raise BackupError(
                f"the backup was not written ({exc.strerror or exc}); {out} is unchanged"
            ) from exc
    manifest = made["manifest"]
    assert isinstance(manifest, BackupManifest)
    return BackupResult(out, total, manifest, str(made["sha256"]))
