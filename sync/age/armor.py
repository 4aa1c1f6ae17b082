"""ASCII armor for age files: strict PEM-like ``BEGIN AGE ENCRYPTED FILE`` blocks.

Algorithm: C2SP age spec, "ASCII armor" — RFC 7468 strict encoding: the line
``-----BEGIN AGE ENCRYPTED FILE-----``, the file in padded canonical base64 wrapped at
exactly 64 columns (only the last line may be shorter, and not empty), then
``-----END AGE ENCRYPTED FILE-----``. Readers accept LF or CRLF line ends and whitespace
before and after the block (at most 1 KiB), and nothing else: no headers, no checksum,
no spaces in lines. Mirrors filippo.io/age/armor; streams line by line.
"""

from __future__ import annotations

import base64
import binascii

from sync.age.source import Readable, Source, Writable
from sync.errors import ArmorError

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
COLUMNS = 64
BYTES_PER_LINE = COLUMNS // 4 * 3
_MAX_WHITESPACE = 1024


def is_armored(prefix: bytes) -> bool:
    """True if ``prefix`` (the first bytes of a file) starts an armored age file."""
    return prefix.lstrip(b" \t\r\n").startswith(b"-----BEGIN")


class ArmoredReader:
    """Decode an armored age file from ``raw``; ``read(n)`` returns the binary file."""

    def __init__(self, raw: Readable | Source) -> None:
        """Wrap ``raw``; nothing is read until the first ``read``."""
        self._src = raw if isinstance(raw, Source) else Source(raw)
        self._started = False
        self._done = False
        self._buf = bytearray()

    def _line(self) -> bytes:
        line = self._src.read_line(COLUMNS + 2)
        if line is None:
            raise ArmorError("armored age line is longer than 64 columns.")
        if not line:
            raise ArmorError("armored age file ends without its END line; it is truncated.")
        if line.endswith(b"\n"):
            line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
        return line

    def _start(self) -> None:
        skipped = 0
        while True:
            line = self._src.read_line(_MAX_WHITESPACE)
            if line is None or not line:
                raise ArmorError("no '-----BEGIN AGE ENCRYPTED FILE-----' line found.")
            if line.strip():
                break
            skipped += len(line)
            if skipped > _MAX_WHITESPACE:
                raise ArmorError("too much whitespace before the armored age file.")
        if line not in (BEGIN + b"\n", BEGIN + b"\r\n"):
            raise ArmorError("the first line is not '-----BEGIN AGE ENCRYPTED FILE-----'.")
        self._started = True

    def _finish(self) -> None:
        rest = self._src.read_exact(_MAX_WHITESPACE + 1)
        if rest.strip():
            raise ArmorError("data follows the END line of the armored age file.")
        if len(rest) > _MAX_WHITESPACE:
            raise ArmorError("too much whitespace after the armored age file.")
        self._done = True

    def _decode(self, line: bytes) -> bytes:
        if not line:
            raise ArmorError("armored age file has an empty line.")
        if len(line) > COLUMNS:
            raise ArmorError("armored age line is longer than 64 columns.")
        try:
            data = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise ArmorError("armored age line is not valid padded base64.") from None
        if base64.b64encode(data) != line:
            raise ArmorError("armored age line is not canonical base64.")
        return data

    def _next(self) -> None:
        if not self._started:
            self._start()
        line = self._line()
        if line == END:
            self._finish()
            return
        data = self._decode(line)
        self._buf += data
        if len(data) < BYTES_PER_LINE:
            if self._line() != END:
                raise ArmorError("a short armored line must be followed by the END line.")
            self._finish()

    def read(self, size: int = -1, /) -> bytes:
        """Return up to ``size`` decoded bytes (all if negative); ``b""`` at the end."""
        while not self._done and (size < 0 or len(self._buf) < size):
            self._next()
        n = len(self._buf) if size < 0 else min(size, len(self._buf))
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


class ArmoredWriter:
    """Encode binary age output as armor onto ``dst``; ``close()`` writes the END line."""

    def __init__(self, dst: Writable) -> None:
        """Write the BEGIN line."""
        self._dst = dst
        self._buf = bytearray()
        self._closed = False
        dst.write(BEGIN + b"\n")

    def write(self, data: bytes) -> int:
        """Encode complete 48-byte lines as they fill."""
        self._buf += data
        whole = len(self._buf) // BYTES_PER_LINE * BYTES_PER_LINE
        if whole:
            encoded = base64.b64encode(bytes(self._buf[:whole]))
            del self._buf[:whole]
            lines = [encoded[i : i + COLUMNS] for i in range(0, len(encoded), COLUMNS)]
            self._dst.write(b"\n".join(lines) + b"\n")
        return len(data)

    def close(self) -> None:
        """Flush the last (short) line and write the END line."""
        if not self._closed:
            self._closed = True
            if self._buf:
                self._dst.write(base64.b64encode(bytes(self._buf)) + b"\n")
            self._dst.write(END + b"\n")
