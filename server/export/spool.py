"""Spooling archive members to disk, then streaming them as a tar through age.

A tar header states its member's size up front, so each member is first written to a
temporary file (hashing as it goes: SHA-256 and size come for free), and only then is the
tar streamed, 64 KiB at a time, into an age `Encryptor`. Memory stays flat whatever the
size of the project; disk use is one plaintext copy, kept in a 0700 directory inside the
data directory (as protected as the database it comes from) and removed when done. The
spool is scratch: nothing in it is fsynced (an export interrupted by a power cut is simply
made again), and a spool whose owner died, or was started before the last boot, is swept
when the data directory is next opened.

The tar is written member by member with the standard library's `tarfile.TarInfo.tobuf`
in POSIX.1-2001 (pax) format, exactly as `tarfile.open(mode="w|")` writes it — headers,
data padded to 512-byte blocks, two zero blocks, padding to a 10240-byte record — but as
a generator, so an HTTP response can send each chunk as soon as it is encrypted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

from server.export.manifest import FileEntry
from server.export.names import member_problem
from sync.age import Encryptor
from sync.age.file import Recipient

CHUNK = 64 * 1024
_BLOCK = tarfile.BLOCKSIZE
_RECORD = tarfile.RECORDSIZE


class MemberWriter:
    """A write-only member file that hashes and counts what it is given."""

    def __init__(self, disk: Path) -> None:
        """Create the spool file at `disk` (mode 0600)."""
        self.disk = disk
        fd = os.open(disk, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb", buffering=CHUNK)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        """Append `data`."""
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def writelines(self, lines: Iterable[bytes]) -> None:
        """Append every chunk of `lines`."""
        for line in lines:
            self.write(line)

    def close(self) -> str:
        """Close the file; return its SHA-256 (hex)."""
        self._file.close()
        return self._hash.hexdigest()


SPOOL_PREFIX = ".export-"
OWNER_FILE = ".owner-pid"


BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    """This boot's id (Linux), so a pid recorded before a power cut is not mistaken for a
    live process that happens to have the same pid after the reboot; '' where unknown."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def _owner_text() -> str:
    return f"{os.getpid()} {_boot_id()}".strip()


def _alive(owner: str) -> bool:
    parts = owner.split()
    try:
        pid = int(parts[0])
    except (IndexError, ValueError):
        return False  # half-made: nobody owns it
    if pid <= 0 or (len(parts) > 1 and parts[1] != _boot_id()):
        return False  # made before the last reboot (or power cut): that process is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_spools(parent: Path) -> list[Path]:
    """Remove spool directories left by exports whose process died (plaintext on disk)."""
    removed: list[Path] = []
    for folder in parent.glob(SPOOL_PREFIX + "*"):
        try:
            owner = (folder / OWNER_FILE).read_text()
        except OSError:
            owner = ""  # made before owners were recorded, or half-made: nobody owns it
        if folder.is_dir() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class Spool:
    """Archive members written to a private temporary directory, in tar order."""

    def __init__(self, parent: Path, top: str, mtime: int) -> None:
        """Make the spool directory inside `parent`; members go under `top/` in the tar."""
        parent.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=parent))
        # Who owns it, so a later start can tell a crashed export's leftovers from a live one.
        # Scratch, like every member file: never fsynced, removed on close, swept after a
        # crash; a cut that loses it only makes the spool look ownerless, so it is swept.
        fd = os.open(self._dir / OWNER_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as owner:
            owner.write(_owner_text())
        # Removed on close, or when the spool is collected (a response never started).
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self.top = top
        self.mtime = mtime
        self._files: dict[str, tuple[FileEntry, Path]] = {}
        self._open: dict[str, MemberWriter] = {}
        self._made = 0

    def open(self, path: str) -> MemberWriter:
        """Start a member; `finish(path)` when it is complete."""
        if path in self._files or path in self._open:
            raise ValueError(f"archive member {path!r} written twice")
        problem = member_problem(f"{self.top}/{path}")
        if problem is not None:  # names are built from checked values only: a bug if not
            raise ValueError(problem)
        self._made += 1
        writer = MemberWriter(self._dir / f"{self._made:08d}")
        self._open[path] = writer
        return writer

    def finish(self, path: str) -> FileEntry:
        """Close a member opened with `open`; return its entry."""
        writer = self._open.pop(path)
        digest = writer.close()
        entry = FileEntry(path=path, size=writer.size, sha256=digest)
        self._files[path] = (entry, writer.disk)
        return entry

    def add(self, path: str, chunks: Iterable[bytes]) -> FileEntry:
        """Write a whole member from an iterable of byte chunks."""
        writer = self.open(path)
        writer.writelines(chunks)
        return self.finish(path)

    def scratch(self, name: str) -> Path:
        """A path inside the spool for a file another tool writes (e.g. SQLite's backup)."""
        self._made += 1
        return self._dir / f"{self._made:08d}-{name}"

    def add_file(self, path: str, disk: Path) -> FileEntry:
        """A member whose bytes stay where they are (a stored attachment, read-only): hashed
        now, read again only when the tar streams, never copied into the spool."""
        if path in self._files or path in self._open:
            raise ValueError(f"archive member {path!r} written twice")
        problem = member_problem(f"{self.top}/{path}")
        if problem is not None:
            raise ValueError(problem)
        digest = hashlib.sha256()
        size = 0
        with disk.open("rb") as f:
            while data := f.read(CHUNK):
                digest.update(data)
                size += len(data)
        entry = FileEntry(path=path, size=size, sha256=digest.hexdigest())
        self._files[path] = (entry, disk)
        return entry

    def drop(self, path: str) -> None:
        """Forget a member added with `add_file` (its bytes are not the spool's)."""
        del self._files[path]

    def path_of(self, path: str) -> Path:
        """Where a finished member's bytes are spooled."""
        return self._files[path][1]

    def entries(self) -> list[FileEntry]:
        """Every finished member."""
        return [entry for entry, _ in self._files.values()]

    def tar_chunks(self, order: Sequence[str]) -> Iterator[bytes]:
        """The tar of the members named in `order`, in that order, as byte chunks."""
        tar = TarWriter(self.top, self.mtime)
        for path in order:
            entry, disk = self._files[path]
            yield from tar.member(path, entry.size, _file_chunks(disk))
        yield tar.end()

    def close(self) -> None:
        """Remove the spool directory and everything in it."""
        for writer in self._open.values():
            writer.close()
        self._open.clear()
        self._cleanup()

    def __enter__(self) -> Spool:
        """Use as a context manager that always cleans up."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Remove the spool."""
        self.close()


def _file_chunks(disk: Path) -> Iterator[bytes]:
    with disk.open("rb") as f:
        while data := f.read(CHUNK):
            yield data


class TarWriter:
    """A pax tar written member by member as byte chunks, every name under `top/`.

    Directory entries are made for each member's parents as they first appear (0700);
    files are 0600, owned by "cairn". A member's chunks must add up to the size its
    header states: a file that changed while it was read raises ValueError, never a tar
    that lies about its content.
    """

    def __init__(self, top: str, mtime: int) -> None:
        """A tar whose members all sit in the directory `top`."""
        self.top = top
        self.mtime = mtime
        self.written = 0
        self._dirs: set[str] = set()

    def member(self, path: str, size: int, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Its parents' headers (once each), its header, its data and its padding."""
        for parent in _parents(path):
            if parent not in self._dirs:
                self._dirs.add(parent)
                yield self._count(self._header(parent, 0, tarfile.DIRTYPE))
        yield self._count(self._header(path, size, tarfile.REGTYPE))
        sent = 0
        for data in chunks:
            sent += len(data)
            if sent > size:
                raise ValueError(f"{path} grew while it was read ({size} bytes expected)")
            yield self._count(data)
        if sent != size:
            raise ValueError(f"{path} shrank while it was read ({sent} of {size} bytes)")
        if size % _BLOCK:
            yield self._count(b"\0" * (_BLOCK - size % _BLOCK))

    def end(self) -> bytes:
        """Two zero blocks, padded to a whole 10240-byte record."""
        end = 2 * _BLOCK
        end += -(self.written + end) % _RECORD
        return self._count(b"\0" * end)

    def _count(self, data: bytes) -> bytes:
        self.written += len(data)
        return data

    def _header(self, path: str, size: int, kind: bytes) -> bytes:
        info = tarfile.TarInfo(f"{self.top}/{path}" if path else self.top)
        info.size = size
        info.type = kind
        info.mtime = self.mtime
        info.mode = 0o700 if kind == tarfile.DIRTYPE else 0o600
        info.uname = info.gname = "cairn"
        return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]


class _Sink:
    """Collects what the encryptor writes until the generator hands it on."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def encrypt_chunks(chunks: Iterable[bytes], recipients: Sequence[Recipient]) -> Iterator[bytes]:
    """An age v1 file of `chunks` (binary, not armored), yielded as it is encrypted."""
    sink = _Sink()
    encryptor = Encryptor(sink, recipients)
    if head := sink.drain():
        yield head
    for chunk in chunks:
        encryptor.write(chunk)
        if sink.parts:
            yield sink.drain()
    encryptor.close()
    if tail := sink.drain():
        yield tail
