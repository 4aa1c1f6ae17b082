"""A content-addressed file store: a file is named by the SHA-256 of its bytes.

Used by the device (the files it attaches, the files it fetches) and by the server (the
files devices upload). Layout: ``ROOT/ab/abcdef…`` (the first two hex digits fan the
files out). A file enters the store by the rename protocol of `sync.durable`: written to
a temporary file in ``ROOT/tmp``, hashed on the way, fsynced, then renamed to its hash
and the directory fsynced; so a name in the store always holds complete bytes that hash
to it, and the same bytes stored twice are kept once. Stored files are read-only (0400):
nothing changes a file after it entered the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sync import durable
from sync.media import SNIFF_BYTES, sniff

COPY_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(text: str) -> bool:
    """True for 64 lower-case hex digits (the only shape a blob name may have)."""
    return _SHA256.fullmatch(text) is not None


class BlobMismatch(ValueError):
    """Bytes written for a hash that they do not have."""


class BlobWriter:
    """The open temporary file of a blob being written; hashes and counts as it goes."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, data: bytes) -> int:
        """Append ``data``."""
        if len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
        self._digest.update(data)
        self.size += len(data)
        self._f.write(data)
        return len(data)

    @property
    def sha256(self) -> str:
        """The SHA-256 of what was written so far."""
        return self._digest.hexdigest()


class BlobStore:
    """Files named by their SHA-256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the blob of ``sha256`` lives (whether or not it is there)."""
        if not is_sha256(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 in hex")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return is_sha256(sha256) and self.path(sha256).is_file()

    @contextmanager
    def writing(self, expect: str | None = None) -> Iterator[BlobWriter]:
        """Write a new blob; it takes its name (its hash) only once complete and on disk.

        With ``expect``, bytes hashing otherwise raise `BlobMismatch` and are thrown away.
        On any error nothing is left behind; bytes already stored are left as they are.
        """
        tmp_dir = self.root / "tmp"
        durable.make_dir(tmp_dir, 0o700)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=".blob.", suffix=durable.TMP_SUFFIX)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                writer = BlobWriter(f)
                yield writer
                f.flush()
                os.fsync(f.fileno())
            if expect is not None and writer.sha256 != expect:
                raise BlobMismatch(f"the bytes hash to {writer.sha256}, not {expect}")
            self._place(tmp, writer.sha256)
        finally:
            tmp.unlink(missing_ok=True)

    def _place(self, tmp: Path, sha256: str) -> None:
        target = self.path(sha256)
        if target.is_file():
            return  # the same bytes are stored already (deduplicated)
        durable.make_dir(target.parent, 0o700)
        os.chmod(tmp, 0o400)
        os.replace(tmp, target)
        durable.fsync_dir(target.parent)

    def add_file(self, source: Path) -> tuple[str, int, str]:
        """Copy a file in; return (sha256, size, media type sniffed from its bytes)."""
        with open(source, "rb") as src, self.writing() as writer:
            while data := src.read(COPY_CHUNK):
                writer.write(data)
        return writer.sha256, writer.size, sniff(writer.head)

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading."""
        return open(self.path(sha256), "rb")

    def remove(self, sha256: str) -> None:
        """Remove a blob (only to undo a store whose database commit failed)."""
        target = self.path(sha256)
        target.unlink(missing_ok=True)
        durable.fsync_dir(target.parent)

    def iter_hashes(self) -> Iterator[str]:
        """Every stored hash."""
        if not self.root.is_dir():
            return
        for fan in sorted(self.root.iterdir()):
            if fan.is_dir() and len(fan.name) == 2:
                for f in sorted(fan.iterdir()):
                    if is_sha256(f.name):
                        yield f.name


def hash_file(path: Path) -> tuple[str, int]:
    """(SHA-256, size) of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while data := f.read(COPY_CHUNK):
            digest.update(data)
            size += len(data)
    return digest.hexdigest(), size
