"""Durable file writes: a file Cairn reports as saved is still whole after a power cut.

Algorithm: the rename protocol careful databases use (SQLite's journal, LWN's "Ensuring
data reaches disk", Pillai et al., "All File Systems Are Not Created Equal", OSDI 2014):
write the whole new content to a temporary file in the same directory, fsync it, rename
it over the old name (atomic on POSIX), then fsync the directory so the rename itself
reaches the disk. The old file is never opened with O_TRUNC: at every moment its name
holds either the complete old content or the complete new one. A directory made here is
fsynced into its parent, and so is a new empty file, before anything relies on them.

A temporary file a cut leaves behind is named ``.NAME.XXXXXXXX.tmp``; it is never the
only copy of anything and can be removed (see `is_temporary`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

TMP_SUFFIX = ".tmp"


def fsync_dir(path: Path) -> None:
    """Make the directory entries of `path` (creations, renames, removals) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(path: Path, mode: int = 0o700) -> None:
    """Create `path` and any missing parents, each made durable in its own parent."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=mode)
        os.chmod(folder, mode)  # mkdir's mode is filtered by the umask
        fsync_dir(folder.parent)


def create_empty(path: Path, mode: int = 0o600) -> None:
    """Create an empty file with `mode` from its first byte, its name made durable."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


@contextmanager
def writing(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Write a file to replace `path`; it takes the name only once complete and on disk.

    On any error the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            fd = -1
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_file(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Replace `path` with `data` (text is UTF-8) durably; see `writing`."""
    with writing(path, mode) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def is_temporary(name: str) -> bool:
    """True for the name of a temporary file `writing` makes (and a cut may leave)."""
    return name.startswith(".") and name.endswith(TMP_SUFFIX)
