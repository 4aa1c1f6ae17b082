"""Restoring a backup into a new data directory: checked whole before it takes the name.

The age file is decrypted in a thread into a pipe while the tar is read from the other end
(as `server.export.verify` does), so memory stays flat. Every member must have a name a
data directory holds (the marker, the database, a key file, a stored file named by its
SHA-256, a sealed upload); each is written, hashed on the way, into a private staging
directory beside the target (0700; key files, database and uploads 0600, stored files
0400), and fsynced. Once the stream has ended the backup must be whole: age authenticated
every chunk up to the last (a truncated or altered file fails there), the manifest's
signature verifies with the enclosed `cairn.pub` — and with a pinned key when one is
given — and that key is the signing key inside the backup, every file is present with
the manifest's SHA-256, nothing unlisted came along, each stored file hashes to its name.

Only then is the staging directory opened as a data directory (schema migrations and
record rebuilds of a newer release run here), a `restore` entry is appended to the
server's audit chain naming the backup's manifest hash, and the directory is renamed to
the target in one step. On any failure the staging directory is removed: nothing is left
at the target, and a target that was not empty is refused before anything is read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import msgspec

from server import minisign
from server.attachments.files import ROOT as ATTACHMENTS
from server.audit.chain import SERVER
from server.backup import BackupError
from server.backup.manifest import DATA, FORMAT, BackupManifest, decode_manifest
from server.clock import now_ms
from server.datadir import DATABASE, KEYS, MARKER, open_data_dir, read_marker
from server.errors import CairnServerError
from server.export.manifest import MANIFEST, PUBLIC_KEY, SIGNATURE, SUMS, UNLISTED, parse_sha256sums
from server.export.names import member_problem
from server.store import audit_log
from sync import durable
from sync.age import AnyIdentity, decrypt
from sync.age.source import Readable
from sync.errors import CairnCryptoError
from sync.keys import ServerKeys

Progress = Callable[[str], None]
CHUNK = 256 * 1024
_SMALL_LIMIT = 256 * 1024 * 1024
_TOP_LEVEL = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY, SUMS, "README.txt"})
_KEY_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_BLOB = re.compile(rf"{ATTACHMENTS}/blobs/([0-9a-f]{{2}})/(\1[0-9a-f]{{62}})")
_SEALED = re.compile(rf"{ATTACHMENTS}/sealed/[0-9a-f]{{64}}/[A-Za-z0-9-]{{1,128}}\.sealed")


@dataclass
class RestoreResult:
    """What `restore_backup` rebuilt."""

    path: Path
    manifest: BackupManifest
    manifest_sha256: str
    files: int = 0
    bytes: int = 0
    rebuilt_records: int | None = None


@dataclass
class _State:
    staging: Path
    hashes: dict[str, str] = field(default_factory=dict)
    small: dict[str, bytes] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    made_dirs: set[Path] = field(default_factory=set)


def _data_path(path: str) -> str | None:
    """The path inside the data directory of an allowed `data/…` member, else None."""
    if not path.startswith(f"{DATA}/"):
        return None
    inner = path[len(DATA) + 1 :]
    if inner in (MARKER, DATABASE):
        return inner
    if inner.startswith(f"{KEYS}/") and _KEY_FILE.fullmatch(inner[len(KEYS) + 1 :]):
        return inner
    if _BLOB.fullmatch(inner) or _SEALED.fullmatch(inner):
        return inner
    return None


def _mkdirs(state: _State, folder: Path) -> None:
    missing = []
    while folder != state.staging and folder not in state.made_dirs:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(mode=0o700)
        os.chmod(made, 0o700)
        state.made_dirs.add(made)


def _write(state: _State, inner: str, raw: IO[bytes]) -> str:
    """Write one data file into the staging directory; its SHA-256."""
    disk = state.staging / inner
    _mkdirs(state, disk.parent)
    digest = hashlib.sha256()
    fd = os.open(disk, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        while data := raw.read(CHUNK):
            digest.update(data)
            f.write(data)
            state.bytes += len(data)
        f.flush()
        os.fsync(f.fileno())
    if _BLOB.fullmatch(inner):
        os.chmod(disk, 0o400)  # stored files are read-only (sync.blobs)
    return digest.hexdigest()


def _member(tar: tarfile.TarFile, info: tarfile.TarInfo, top: str, state: _State) -> None:
    name = info.name.rstrip("/")
    problem = member_problem(name)
    if problem is not None:
        raise BackupError(f"{problem}; this is not a backup Cairn made")
    if name == top and info.isdir():
        return
    if not name.startswith(f"{top}/"):
        raise BackupError(f"member {name!a} is outside the backup's directory {top}/")
    path = name[len(top) + 1 :]
    if path in state.hashes or path in state.small:
        raise BackupError(f"member {path!a} appears twice")
    if info.isdir():
        return  # directories are made as their files need them
    if not info.isfile():
        raise BackupError(f"member {path!a} is not a regular file (links are not allowed)")
    raw = tar.extractfile(info)
    assert raw is not None
    if path in _TOP_LEVEL:
        data = raw.read(_SMALL_LIMIT + 1)
        if len(data) > _SMALL_LIMIT:
            raise BackupError(f"{path} is larger than {_SMALL_LIMIT} bytes")
        state.small[path] = data
        state.hashes[path] = hashlib.sha256(data).hexdigest()
        return
    inner = _data_path(path)
    if inner is None:
        raise BackupError(f"member {path!a} is not a file a data directory holds")
    state.hashes[path] = _write(state, inner, raw)
    state.files += 1


def _read_tar(stream: IO[bytes], state: _State, progress: Progress) -> None:
    top: str | None = None
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for info in tar:
            if top is None:
                top = info.name.rstrip("/").split("/", 1)[0]
                if not top.startswith("cairn-backup-"):
                    raise BackupError(
                        f"this is not a Cairn backup (its tar holds {top!a}, not "
                        "cairn-backup-…/); an archive made by 'cairn export' is opened with "
                        "'cairn archive verify'"
                    )
            _member(tar, info, top, state)
            if state.files and state.files % 1000 == 0:
                progress(f"files restored: {state.files}, {state.bytes} bytes")


def _decrypt_into(
    src: Readable, fd: int, identities: Sequence[AnyIdentity], out: list[str]
) -> None:
    try:
        with os.fdopen(fd, "wb") as sink:
            decrypt(src, sink, identities)
    except CairnCryptoError as exc:
        out.append(str(exc))
    except BrokenPipeError:
        pass
    except OSError as exc:
        out.append(f"cannot read the backup: {exc.strerror or exc}")


def _extract(
    src: Readable, identities: Sequence[AnyIdentity], state: _State, progress: Progress
) -> None:
    age_errors: list[str] = []
    read_fd, write_fd = os.pipe()
    worker = threading.Thread(
        target=_decrypt_into, args=(src, write_fd, identities, age_errors), daemon=True
    )
    worker.start()
    failure: BaseException | None = None
    try:
        with os.fdopen(read_fd, "rb") as stream:
            try:
                _read_tar(stream, state, progress)
                while stream.read(CHUNK):  # what follows the tar's end is still authenticated
                    pass
            except (tarfile.TarError, EOFError) as exc:
                failure = BackupError(f"the backup's content is not a complete tar ({exc})")
            except BaseException as exc:
                failure = exc
    finally:
        worker.join()
    if age_errors:
        # The decryption's own verdict comes first: nothing after it can be trusted.
        raise BackupError(
            f"the backup does not decrypt: {age_errors[0]} (a wrong key, or a file that was "
            "altered or cut short)"
        )
    if failure is not None:
        raise failure


def _check(state: _State, pinned: str | None) -> tuple[BackupManifest, str]:
    body = state.small.get(MANIFEST)
    if body is None:
        raise BackupError("the backup has no manifest.json: it was cut short or is not a backup")
    try:
        manifest = decode_manifest(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BackupError(f"manifest.json is malformed: {exc}") from None
    if manifest.format != FORMAT:
        raise BackupError(f"manifest.json is {manifest.format!r}, not {FORMAT!r}")
    enclosed = state.small.get(PUBLIC_KEY, b"").decode("utf-8", "replace")
    signature = state.small.get(SIGNATURE, b"").decode("utf-8", "replace")
    for name, key in [("the enclosed cairn.pub", enclosed)] + (
        [("the pinned key", pinned)] if pinned else []
    ):
        try:
            minisign.verify(key, body, signature)
        except minisign.MinisignError as exc:
            raise BackupError(
                f"manifest.json: the signature does not verify with {name} ({exc}): the "
                "backup was changed after the server signed it, or signed by another key"
            ) from None
    listed = {f.path: f.sha256 for f in manifest.files}
    for path, digest in sorted(listed.items()):
        if path not in state.hashes:
            raise BackupError(f"{path}: listed in the manifest but missing from the backup")
        if state.hashes[path] != digest:
            raise BackupError(f"{path}: its SHA-256 differs from the manifest's (changed)")
    for path in sorted(set(state.hashes) - set(listed) - UNLISTED):
        raise BackupError(f"{path}: in the backup but not in the manifest (added)")
    try:
        sums = parse_sha256sums(state.small.get(SUMS, b""))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"SHA256SUMS: {exc}") from None
    for path, digest in sums.items():
        if state.hashes.get(path) != digest:
            raise BackupError(f"SHA256SUMS: {path} has another hash than the file")
    for path, digest in state.hashes.items():
        match = _BLOB.fullmatch(path.removeprefix(f"{DATA}/"))
        if match and match.group(2) != digest:
            raise BackupError(f"{path}: its bytes do not hash to its name")
    for needed in (MARKER, DATABASE, f"{KEYS}/keys.json"):
        if f"{DATA}/{needed}" not in listed:
            raise BackupError(f"the backup holds no {needed}: it is not a whole data directory")
    _check_keys(state.staging, manifest, enclosed)
    return manifest, hashlib.sha256(body).hexdigest()


def _check_keys(staging: Path, manifest: BackupManifest, enclosed: str) -> None:
    try:
        keys = ServerKeys.load(staging / KEYS)
        marker = read_marker(staging)
    except (OSError, ValueError, CairnCryptoError, CairnServerError) as exc:
        raise BackupError(f"the backup's keys or marker do not load: {exc}") from None
    if minisign.public_key_file(keys.signing_key.public_key()) != enclosed:
        raise BackupError("cairn.pub is not the signing key inside the backup")
    if keys.signing_key_id != manifest.signing_key_id:
        raise BackupError("the manifest names another signing key than the backup holds")
    if marker.get("instance_id") != manifest.instance_id:
        raise BackupError("the marker names another instance than the manifest")


def _record(staging: Path, manifest: BackupManifest, digest: str, actor: str) -> int | None:
    """Open the restored directory (migrations, rebuilds) and audit the restore."""
    try:
        data = open_data_dir(staging, create=False)
    except CairnServerError as exc:
        raise BackupError(f"the restored data directory does not open: {exc.message}") from None
    try:
        with data.store.write() as conn:
            audit_log.append(
                conn,
                chain=SERVER,
                at_ms=now_ms(),
                kind="restore",
                actor=actor,
                subject=manifest.instance_id,
                data={
                    "manifest_sha256": digest,
                    "made_at_ms": manifest.made_at_ms,
                    "heads": {name: head.hash for name, head in manifest.audit_heads.items()},
                },
            )
        return data.rebuilt_records
    finally:
        data.store.close()


def check_target(target: Path) -> None:
    """Refuse a target that is a file or a non-empty directory (before reading anything)."""
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} is a file; restore into a new or empty directory")
    if target.is_dir() and any(target.iterdir()):
        raise BackupError(
            f"{target} is not empty; nothing was changed. Restore into a new or empty "
            "directory (a restore never overwrites a data directory)"
        )


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, _files in os.walk(root):
        durable.fsync_dir(Path(folder))


def restore_backup(
    src: Readable,
    identities: Sequence[AnyIdentity],
    target: Path,
    *,
    pinned_pubkey: str | None = None,
    actor: str = "admin:cli",
    progress: Progress | None = None,
) -> RestoreResult:
    """Rebuild a data directory at `target` from a backup (see the module docstring)."""
    say = progress or (lambda _m: None)
    target = Path(target).absolute()
    check_target(target)
    parent = target.parent
    made_parents: list[Path] = []
    probe = parent
    while not probe.exists():
        made_parents.append(probe)
        probe = probe.parent
    durable.make_dir(parent, 0o700)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=parent))
    try:
        state = _State(staging)
        _extract(src, identities, state, say)
        manifest, digest = _check(state, pinned_pubkey)
        say("backup verified; opening the restored data directory")
        rebuilt = _record(staging, manifest, digest, actor)
        _fsync_tree(staging)
        check_target(target)  # still new or empty: nobody else restored meanwhile
        os.rename(staging, target)  # replaces an empty directory in one step
        durable.fsync_dir(parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for made in made_parents:
            try:
                made.rmdir()
            except OSError:
                break
        raise
    result = RestoreResult(target, manifest, digest, state.files, state.bytes, rebuilt)
    return result
