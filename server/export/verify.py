"""Verifying an archive end to end, streaming: what `cairn archive verify` reports.

The age file is decrypted in a thread into a pipe while the tar is read from the other
end (`tarfile` stream mode "r|"), so memory stays flat. Each member is hashed as it
passes; the project's audit chain is checked line by line (`server.audit.chain`), with
the reduced format-1 log it anchors (`server.audit.legacy`), and must name no other
project and announce every batch key the batches were sealed under;
each `batches/ID.signed` blob is re-verified with its device's Ed25519 key from
`devices.json` (`sync.sealed.verify_batch_signature`); each `attachments/SHA256` must
hash to its name, and each sealed upload `attachments/sealed/SHA256/DEVICE.sealed` must
carry a header signed by that device for that file and size (`sync.attachment`). At the
end: `attachments.jsonl` against the members, the manifest's missing files and the
receipts (signed by the key in `cairn.pub`); every hash against
`manifest.json` and `SHA256SUMS`, and the manifest's minisign signature against the
enclosed `cairn.pub` — and, when given, against a pinned server key. Pinning matters:
whoever can re-encrypt an archive (anyone holding a recipient key) can also edit it, sign
the new manifest with a key of their own and swap `cairn.pub`; only a key obtained
independently of the archive proves that the server made it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import re
import tarfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO

import msgspec

from server import minisign
from server.audit import chain, legacy
from server.audit.chain import ChainEntry, project_chain
from server.export.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    SUMS,
    UNLISTED,
    UNSUMMED,
    Manifest,
    decode_manifest,
    parse_sha256sums,
)
from server.export.members import (
    ATTACHMENTS,
    AUDIT,
    AUDIT_V1,
    AttachmentEntry,
    BatchEntry,
    SealedEntry,
    attachment_file,
)
from server.export.names import member_problem
from sync import attachment as attachment_format
from sync.age import AnyIdentity, decrypt
from sync.age.source import Readable
from sync.errors import CairnCryptoError
from sync.sealed import BATCH_SIGNED_MAGIC, BatchHeader, verify_batch_signature

Progress = Callable[[str], None]
_SMALL = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY, SUMS, "devices.json"})
_SMALL_LIMIT = 64 * 1024 * 1024
_AUDIT = msgspec.json.Decoder(ChainEntry)
_LEGACY = msgspec.json.Decoder(legacy.LegacyLine)
_AUDIT_V1 = msgspec.json.Decoder(legacy.AuditEntry)
_BATCH = msgspec.json.Decoder(BatchEntry)
_KEY_KINDS = frozenset({chain.OPEN, "server.init", "keys.rotate"})
_HEADER = msgspec.msgpack.Decoder(BatchHeader)
_DEVICES = msgspec.json.Decoder(list[dict[str, object]])
_ATTACHMENT = msgspec.json.Decoder(AttachmentEntry)
_BLOB = re.compile(r"attachments/([0-9a-f]{64})")
_SEALED = re.compile(r"attachments/sealed/([0-9a-f]{64})/([A-Za-z0-9_-]{1,64})\.sealed")


class ArchiveReport(msgspec.Struct, kw_only=True):
    """What `verify_archive` found."""

    project: str = ""
    exported_at: str = ""
    exported_by: str = ""
    signed_by: str = ""
    pinned: bool = False
    files: int = 0
    audit_entries: int = 0
    audit_head: str = ""
    audit_chain: str = ""
    audit_format: int = chain.FORMAT
    batches_verified: int = 0
    attachments_verified: int = 0
    sealed_attachments_verified: int = 0
    problems: list[str] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def _audit_scope(self) -> str:
        if self.audit_format == legacy.FORMAT:
            return " (format 1: made before per-project chains, the whole server log)"
        return f" of chain {self.audit_chain}" if self.audit_chain else ""

    def lines(self) -> list[str]:
        """The report, one readable line per check."""
        if self.pinned:
            key = "checked with the pinned key" if self.signed_by else "FAILED: see below"
        else:
            key = "checked with the enclosed cairn.pub only; pin a key with --pubkey"
        return [
            f"project: {self.project or '?'}, exported {self.exported_at or '?'}"
            f" by {self.exported_by or '?'}",
            f"files hashed: {self.files}",
            f"manifest signature: {self.signed_by or 'not verified'} ({key})",
            f"audit log: {self.audit_entries} entries{self._audit_scope()}, "
            f"head {self.audit_head or '-'}",
            f"device signatures re-verified: {self.batches_verified} batches, "
            f"{self.sealed_attachments_verified} sealed attachments",
            f"attachments hashed against their names: {self.attachments_verified}",
        ]


class _Hashing:
    """Reads a tar member while hashing it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.hash.update(data)
        self.size += len(data)
        return data

    def lines(self) -> Iterator[bytes]:
        pending = b""
        while chunk := self.read(64 * 1024):
            pending += chunk
            *whole, pending = pending.split(b"\n")
            yield from whole
        if pending:
            yield pending


class _State:
    """Everything collected while the tar streams past."""

    def __init__(self, report: ArchiveReport) -> None:
        self.report = report
        self.hashes: dict[str, str] = {}
        self.small: dict[str, bytes] = {}
        self.devices: dict[str, bytes] | None = None
        self.audit_head = ""
        self.audit_chain = ""
        self.anchor: object = None
        self.legacy_end: tuple[int, str] | None = None
        self.announced_keys: set[str] = set()
        self.batch_keys: set[str] = set()
        self.named_projects: set[str] = set()
        self.blobs: dict[str, int] = {}  # attachments/SHA256 members that hash to their name
        self.sealed: dict[str, int] = {}  # sealed members whose header verified: file size
        self.attachments: list[AttachmentEntry] = []

    def problem(self, text: str) -> None:
        self.report.problems.append(text)


def _audit(reader: _Hashing, state: _State) -> None:
    lines = ((n, line) for n, line in enumerate(reader.lines(), 1) if line.strip())
    first = next(lines, None)
    if first is None:
        state.problem("audit.jsonl holds no entry")
        return
    try:
        _AUDIT.decode(first[1])
    except (msgspec.DecodeError, msgspec.ValidationError):
        try:
            _AUDIT_V1.decode(first[1])
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        else:  # an archive made before per-project chains: the whole server log
            _audit_format_1(itertools.chain([first], lines), state)
            return

    def parsed() -> Iterator[ChainEntry]:
        for number, line in itertools.chain([first], lines):
            try:
                entry = _AUDIT.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                state.problem(f"audit.jsonl line {number}: not an audit entry ({exc})")
                continue
            state.report.audit_entries += 1
            state.audit_head = entry.hash
            state.audit_chain = state.audit_chain or entry.chain
            _note_entry(entry, state)
            yield entry

    entries = parsed()
    head = next(entries, None)
    if head is not None:
        for issue in chain.verify_chain(itertools.chain([head], entries), head.chain):
            state.problem(f"audit entry {issue.seq}: {issue.message}")


def _audit_format_1(lines: Iterator[tuple[int, bytes]], state: _State) -> None:
    """audit.jsonl of an older archive: the server's single format-1 log, checked whole."""
    state.report.audit_format = legacy.FORMAT

    def parsed() -> Iterator[legacy.AuditEntry]:
        for number, line in lines:
            try:
                entry = _AUDIT_V1.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                state.problem(f"audit.jsonl line {number}: not an audit entry ({exc})")
                continue
            state.report.audit_entries += 1
            state.audit_head = entry.hash
            yield entry

    for issue in legacy.verify_chain(parsed()):
        state.problem(f"audit entry {issue.seq}: {issue.message}")


def _note_entry(entry: ChainEntry, state: _State) -> None:
    """Collect what the end checks need: the anchor, the keys, any other project named."""
    if entry.kind == chain.OPEN and entry.seq == 1:
        state.anchor = entry.data.get("legacy")
    keys = entry.data.get("keys") if entry.kind in _KEY_KINDS else None
    if isinstance(keys, dict):
        for name in ("batch", "retired"):
            found = keys.get(name)
            state.announced_keys.update([found] if isinstance(found, str) else found or [])
    named = entry.data.get("project")
    if named is not None:
        state.named_projects.add(str(named))


def _audit_v1(reader: _Hashing, state: _State) -> None:
    def parsed() -> Iterator[legacy.LegacyLine]:
        for number, line in enumerate(reader.lines(), 1):
            if not line.strip():
                continue
            try:
                yield _LEGACY.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                state.problem(f"audit-v1.jsonl line {number}: not a format-1 line ({exc})")

    devices = state.devices or {}
    project = state.audit_chain.removeprefix("project:")
    problems, state.legacy_end = legacy.verify_lines(
        parsed(), project, lambda device_id: project if device_id in devices else None
    )
    for issue in problems:
        state.problem(f"audit-v1.jsonl entry {issue.seq}: {issue.message}")


def _batch_keys(reader: _Hashing, state: _State) -> None:
    for number, line in enumerate(reader.lines(), 1):
        if line.strip():
            try:
                state.batch_keys.add(_BATCH.decode(line).key_id)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                state.problem(f"batches.jsonl line {number}: unreadable ({exc})")


def _devices(data: bytes, state: _State) -> None:
    try:
        listed = _DEVICES.decode(data)
        state.devices = {
            str(d["device_id"]): base64.b64decode(str(d["signing_public"])) for d in listed
        }
    except (msgspec.DecodeError, KeyError, ValueError) as exc:
        state.problem(f"devices.json is unreadable ({exc}); device signatures cannot be checked")
        state.devices = {}


def _signed(path: str, data: bytes, state: _State) -> None:
    batch_id = path.removeprefix("batches/").removesuffix(".signed")
    if batch_id.startswith("sha256-"):
        batch_id = ""  # named by its hash (an id stored before ids were checked)
    if state.devices is None:
        state.problem(f"{path}: comes before devices.json; its signature cannot be checked")
        return
    try:
        batch = verify_batch_signature(data, _device_key(data, state.devices))
    except (CairnCryptoError, KeyError) as exc:
        state.problem(f"{path}: device signature does not verify: {exc}")
        return
    if batch_id and batch.header.batch_id != batch_id:
        state.problem(f"{path}: holds batch {batch.header.batch_id}, not {batch_id}")
        return
    state.report.batches_verified += 1


def _device_key(data: bytes, devices: dict[str, bytes]) -> bytes:
    """The public key of the device a signed blob claims (checked by the signature)."""
    start = len(BATCH_SIGNED_MAGIC) + 4
    if not data.startswith(BATCH_SIGNED_MAGIC) or len(data) < start:
        raise KeyError("not a Cairn signed batch")
    length = int.from_bytes(data[start - 4 : start], "big")
    try:
        header = _HEADER.decode(data[start : start + length])
    except msgspec.DecodeError as exc:
        raise KeyError(f"unreadable signed header ({exc})") from None
    if header.device_id not in devices:
        raise KeyError(f"device {header.device_id} is not in devices.json")
    return devices[header.device_id]


def _sealed_attachment(path: str, match: re.Match[str], reader: _Hashing, state: _State) -> None:
    """A sealed upload: its header must be signed by the device it is filed under, for the
    file it is filed under (the payload is for the server's key: not opened here)."""
    sha, device_id = match.group(1), match.group(2)
    if state.devices is None:
        state.problem(f"{path}: comes before devices.json; its signature cannot be checked")
        return
    try:
        head = attachment_format.read_head(reader)  # type: ignore[arg-type]
        if device_id not in state.devices:
            raise CairnCryptoError(f"device {device_id} is not in devices.json")
        header = attachment_format.verify_attachment_header(head, state.devices[device_id])
    except CairnCryptoError as exc:
        state.problem(f"{path}: device signature does not verify: {exc}")
        return
    if (header.device_id, header.sha256_hex) != (device_id, sha):
        state.problem(f"{path}: its signed header names another device or file")
        return
    state.sealed[path] = header.size
    state.report.sealed_attachments_verified += 1


def _attachment_index(reader: _Hashing, state: _State) -> None:
    for number, line in enumerate(reader.lines(), 1):
        if line.strip():
            try:
                state.attachments.append(_ATTACHMENT.decode(line))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                state.problem(f"{ATTACHMENTS} line {number}: unreadable ({exc})")


def _member(path: str, reader: _Hashing, state: _State) -> None:
    if path.startswith("attachments/"):
        _attachment_member(path, reader, state)
    elif path == ATTACHMENTS:
        _attachment_index(reader, state)
    elif path == AUDIT:
        _audit(reader, state)
    elif path == AUDIT_V1:
        _audit_v1(reader, state)
    elif path == "batches.jsonl":
        _batch_keys(reader, state)
    elif path in _SMALL or (path.startswith("batches/") and path.endswith(".signed")):
        data = reader.read(_SMALL_LIMIT + 1)
        if len(data) > _SMALL_LIMIT:
            state.problem(f"{path}: larger than {_SMALL_LIMIT} bytes; not checked")
        elif path == "devices.json":
            _devices(data, state)
        elif path in _SMALL:
            state.small[path] = data
        else:
            _signed(path, data, state)
    while reader.read(64 * 1024):
        pass
    state.hashes[path] = reader.hash.hexdigest()


def _attachment_member(path: str, reader: _Hashing, state: _State) -> None:
    sealed = _SEALED.fullmatch(path)
    if sealed is not None:
        _sealed_attachment(path, sealed, reader, state)
    elif _BLOB.fullmatch(path) is None:
        state.problem(f"{path}: not an attachment name (attachments/SHA256 or its sealed form)")
    while reader.read(64 * 1024):
        pass
    blob = _BLOB.fullmatch(path)
    if blob is not None:
        digest = reader.hash.hexdigest()
        if digest != blob.group(1):
            state.problem(f"{path}: its bytes hash to {digest}, not to its name (changed)")
        else:
            state.blobs[blob.group(1)] = reader.size
            state.report.attachments_verified += 1


def _read_tar(stream: IO[bytes], state: _State, progress: Progress) -> None:
    top: str | None = None
    seen: set[str] = set()
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for info in tar:
            problem = member_problem(info.name)
            if problem is not None:
                state.problem(f"{problem}: tar -x and sha256sum -c would not take it as it is")
                continue
            if info.name.rstrip("/") in seen:
                state.problem(
                    f"{info.name!a}: two members have this name; one overwrites the other"
                )
                continue
            seen.add(info.name.rstrip("/"))
            if info.isdir():
                top = top or info.name.rstrip("/")
                continue
            if not info.isfile():
                state.problem(f"{info.name}: not a regular file (links are not allowed)")
                continue
            top = top or info.name.split("/", 1)[0]
            if not info.name.startswith(f"{top}/"):
                state.problem(f"{info.name}: outside the archive directory {top}/")
                continue
            path = info.name[len(top) + 1 :]
            raw = tar.extractfile(info)
            assert raw is not None
            _member(path, _Hashing(raw), state)
            state.report.files += 1
            if state.report.files % 1000 == 0:
                progress(f"files checked: {state.report.files}")


def _decrypt_into(
    src: Readable, fd: int, identities: Sequence[AnyIdentity], out: list[str]
) -> None:
    try:
        with os.fdopen(fd, "wb") as sink:
            decrypt(src, sink, identities)
    except CairnCryptoError as exc:
        out.append(f"age: {exc}")
    except BrokenPipeError:
        pass


def verify_archive(
    src: Readable,
    identities: Sequence[AnyIdentity],
    *,
    pinned_pubkey: str | None = None,
    progress: Progress | None = None,
) -> ArchiveReport:
    """Decrypt and check an archive; every failure is a line in `report.problems`."""
    report = ArchiveReport()
    state = _State(report)
    age_errors: list[str] = []
    read_fd, write_fd = os.pipe()
    worker = threading.Thread(
        target=_decrypt_into, args=(src, write_fd, identities, age_errors), daemon=True
    )
    worker.start()
    with os.fdopen(read_fd, "rb") as stream:
        try:
            _read_tar(stream, state, progress or (lambda _m: None))
        except (tarfile.TarError, EOFError, OSError) as exc:
            state.problem(f"tar: the archive's content is not a complete tar ({exc})")
        while stream.read(64 * 1024):
            pass
    worker.join()
    if age_errors:
        # The decryption's own verdict comes first: nothing after it can be trusted.
        report.problems[:0] = age_errors
        return report
    _check_manifest(state, pinned_pubkey)
    return report


def _check_manifest(state: _State, pinned: str | None) -> None:
    report = state.report
    data = state.small.get(MANIFEST)
    if data is None:
        state.problem("manifest.json is missing")
        return
    try:
        manifest = decode_manifest(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        state.problem(f"manifest.json is malformed: {exc}")
        return
    report.project, report.exported_at = manifest.project, manifest.exported_at
    report.exported_by = manifest.exported_by
    _check_signature(state, data, pinned)
    _check_hashes(state, manifest)
    report.audit_head, report.audit_chain = state.audit_head, state.audit_chain
    if state.audit_head != manifest.audit.head:
        state.problem(
            f"audit log head {state.audit_head or '-'} is not the manifest's {manifest.audit.head}"
        )
    _check_chain_scope(state, manifest)
    _check_attachments(state, manifest)
    expected = manifest.counts.get("batches", 0) - manifest.counts.get("batches_unopened", 0)
    if report.batches_verified != expected:
        state.problem(f"{report.batches_verified} device signatures verified, {expected} expected")


def _check_chain_scope(state: _State, manifest: Manifest) -> None:
    """The chain is the project's, names no other project, anchors what audit-v1 holds,
    and announced every batch key the batches name."""
    if state.report.audit_format == legacy.FORMAT:
        if manifest.audit.chain:
            state.problem(
                f"the manifest names chain {manifest.audit.chain!r}, but audit.jsonl "
                "is a format-1 log"
            )
        return  # an older archive: its log is the server's, checked whole above
    own = project_chain(manifest.project)
    if state.audit_chain and state.audit_chain != own:
        state.problem(f"audit.jsonl is the chain {state.audit_chain!r}, not {own!r}")
    for other in sorted(state.named_projects - {manifest.project}):
        state.problem(f"audit.jsonl names another project: {other!r}")
    anchor = state.anchor
    if isinstance(anchor, dict):
        if state.legacy_end is None:
            state.problem("the chain anchors a format-1 log, but audit-v1.jsonl is missing")
        elif state.legacy_end != (anchor.get("seq"), anchor.get("head")):
            seq, head = state.legacy_end
            state.problem(
                f"audit-v1.jsonl ends at entry {seq} {head}, but the chain anchors entry "
                f"{anchor.get('seq')} {anchor.get('head')}"
            )
    elif state.legacy_end is not None:
        state.problem("audit-v1.jsonl is present, but the chain anchors no format-1 log")
    for key in sorted(state.batch_keys - state.announced_keys):
        state.problem(f"batches.jsonl: batch key {key} is not announced in the audit chain")


def _server_public(state: _State) -> bytes | None:
    try:
        _id, key = minisign.parse_public_key_file(
            state.small.get(PUBLIC_KEY, b"").decode("utf-8", "replace")
        )
    except minisign.MinisignError:
        return None
    return key.public_bytes_raw()


def _check_attachments(state: _State, manifest: Manifest) -> None:
    """attachments.jsonl against the members, the receipts and the manifest's missing list."""
    missing = {m.sha256: m.reason for m in manifest.missing_attachments}
    listed: set[str] = set()
    public = _server_public(state)
    for entry in state.attachments:
        sha = entry.sha256
        listed.add(sha)
        where = f"{ATTACHMENTS} {sha}"
        if entry.received:
            if entry.file != attachment_file(sha) or sha not in state.blobs:
                state.problem(f"{where}: listed as received, but attachments/{sha} is not here")
            elif state.blobs[sha] != entry.size:
                state.problem(f"{where}: {state.blobs[sha]} bytes here, {entry.size} listed")
            if sha in missing:
                state.problem(f"{where}: received, yet the manifest lists it as missing")
        elif missing.get(sha) != (entry.missing or None):
            state.problem(f"{where}: not here, and the manifest does not list it as missing")
        for sealed in entry.sealed:
            _check_sealed_entry(state, where, entry, sealed, public)
    for sha in sorted(set(state.blobs) - listed):
        state.problem(f"attachments/{sha}: in the archive but not in {ATTACHMENTS}")
    for sha in sorted(set(missing) - listed):
        state.problem(f"manifest.json: missing attachment {sha} is not in {ATTACHMENTS}")
    for sha in sorted(set(missing) & set(state.blobs)):
        state.problem(f"attachments/{sha}: here, yet the manifest lists it as missing")
    if state.blobs and manifest.counts.get("attachments") != len(state.blobs):
        state.problem(
            f"{len(state.blobs)} attachments here, the manifest counts "
            f"{manifest.counts.get('attachments', 0)}"
        )


def _check_sealed_entry(
    state: _State,
    where: str,
    entry: AttachmentEntry,
    sealed: SealedEntry,
    public: bytes | None,
) -> None:
    if sealed.file:
        if sealed.file not in state.sealed:
            state.problem(f"{where}: the sealed upload {sealed.file} is missing or unverified")
        elif state.hashes.get(sealed.file) != sealed.sealed_sha256:
            state.problem(f"{sealed.file}: does not hash to the SHA-256 its receipt names")
        elif entry.size is not None and state.sealed[sealed.file] != entry.size:
            state.problem(f"{sealed.file}: its signed header gives another size than the file")
    elif sealed.sealed_sha256:
        state.problem(f"{where}: the sealed upload of {sealed.device_id} is not in the archive")
    if public is None:
        return
    try:
        receipt = attachment_format.verify_attachment_receipt(
            base64.b64decode(sealed.receipt), public
        )
    except (CairnCryptoError, ValueError) as exc:
        state.problem(f"{where}: the receipt to {sealed.device_id} does not verify ({exc})")
        return
    if (receipt.device_id, receipt.sha256, receipt.sealed_sha256) != (
        sealed.device_id,
        entry.sha256,
        sealed.sealed_sha256,
    ):
        state.problem(f"{where}: the receipt to {sealed.device_id} names another upload")


def _check_signature(state: _State, manifest: bytes, pinned: str | None) -> None:
    enclosed = state.small.get(PUBLIC_KEY, b"").decode("utf-8", "replace")
    signature = state.small.get(SIGNATURE, b"").decode("utf-8", "replace")
    keys = [("cairn.pub", enclosed)] + ([("the pinned key", pinned)] if pinned else [])
    # The report names a signer only once every key asked for has verified it.
    state.report.pinned = bool(pinned)
    signed_by = ""
    for name, key in keys:
        try:
            comment = minisign.verify(key, manifest, signature)
        except minisign.MinisignError as exc:
            state.problem(
                f"manifest.json: the signature does not verify with {name} ({exc}): the "
                "manifest was changed after the server signed it, or signed by another key"
            )
            return
        signed_by = comment
    state.report.signed_by = signed_by
    if pinned:
        try:
            same = minisign.parse_public_key_file(enclosed) == minisign.parse_public_key_file(
                pinned
            )
        except minisign.MinisignError:
            same = False
        if not same:
            state.problem("cairn.pub is not the pinned server key")


def _check_hashes(state: _State, manifest: Manifest) -> None:
    listed = {f.path: f.sha256 for f in manifest.files}
    for path, digest in sorted(listed.items()):
        if path not in state.hashes:
            state.problem(f"{path}: listed in the manifest but missing from the archive")
        elif state.hashes[path] != digest:
            state.problem(f"{path}: SHA-256 differs from the manifest (changed)")
    for path in sorted(set(state.hashes) - set(listed) - UNLISTED):
        state.problem(f"{path}: in the archive but not in the manifest (added)")
    try:
        sums = parse_sha256sums(state.small.get(SUMS, b""))
    except ValueError as exc:
        state.problem(f"SHA256SUMS: {exc}")
        return
    for path in sorted(set(state.hashes) - UNSUMMED):
        if sums.get(path) != state.hashes[path]:
            state.problem(f"SHA256SUMS: {path} is missing or has another hash")
