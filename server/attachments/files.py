"""Where attachments live in the data directory (one directory: back it up with the rest).

    attachments/blobs/ab/abcdef…        each file once, named by its SHA-256 (read-only)
    attachments/sealed/abcdef…/DEV.sealed  each device's upload exactly as received
    attachments/uploads/DEV.abcdef….part   uploads in progress (resumed from their size)
    attachments/uploads/DEV.abcdef….synced how much of that part is on disk for sure
    attachments/uploads/DEV.abcdef….plain  its plaintext so far, checked as chunks arrive
    attachments/thumbs/abcdef…-SIZE.jpg   thumbnails, made on first request (a cache)

Names are built only from checked hashes (64 hex digits) and enrolled device ids.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sync import durable
from sync.blobs import BlobStore, is_sha256

ROOT = "attachments"


class AttachmentFiles:
    """The attachment directories of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / ROOT
        self.blobs = BlobStore(self.root / "blobs")

    def _checked(self, sha256: str) -> str:
        if not is_sha256(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 in hex")
        return sha256

    def partial(self, device_id: str, sha256: str) -> Path:
        """The file an upload in progress grows in."""
        return self.root / "uploads" / f"{device_id}.{self._checked(sha256)}.part"

    def synced_mark(self, device_id: str, sha256: str) -> Path:
        """The small file saying how many bytes of an upload in progress were fsynced."""
        return self.root / "uploads" / f"{device_id}.{self._checked(sha256)}.synced"

    def plain(self, device_id: str, sha256: str) -> Path:
        """The plaintext of an upload in progress, decrypted as its chunks arrive."""
        return self.root / "uploads" / f"{device_id}.{self._checked(sha256)}.plain"

    def sealed(self, device_id: str, sha256: str) -> Path:
        """Where a device's accepted upload is kept as received."""
        return self.root / "sealed" / self._checked(sha256) / f"{device_id}.sealed"

    def thumb(self, sha256: str, size: int) -> Path:
        """The cached thumbnail of a file at one size."""
        return self.root / "thumbs" / f"{self._checked(sha256)}-{size}.jpg"

    def ensure(self, path: Path) -> Path:
        """Make ``path``'s directory (durably) and return ``path``."""
        durable.make_dir(path.parent, 0o700)
        return path

    def move(self, src: Path, dst: Path) -> None:
        """Rename ``src`` to ``dst`` durably (both directory entries fsynced)."""
        self.ensure(dst)
        os.replace(src, dst)
        durable.fsync_dir(dst.parent)
        durable.fsync_dir(src.parent)

    def free_bytes(self) -> int:
        """Free space on the data directory's filesystem."""
        probe = self.root if self.root.exists() else self.root.parent
        return shutil.disk_usage(probe).free
