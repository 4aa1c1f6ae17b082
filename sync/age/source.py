"""Byte sources and sinks for streaming age: file-like protocols and a look-ahead reader.

Algorithm: a small buffer in front of any object with ``read(n)`` so the header parser can
read bounded lines and the STREAM decoder can read exact-size chunks, without ever holding
more than one chunk. Pattern after Python's ``io.BufferedReader`` (docs.python.org/3/library/io).
"""

from __future__ import annotations

from typing import Protocol


class Readable(Protocol):
    """Anything with a binary ``read(n)`` (files, pipes, BytesIO, sockets' makefile)."""

    def read(self, size: int = -1, /) -> bytes:
        """Return up to ``size`` bytes; ``b""`` at end of input."""
        ...


class Writable(Protocol):
    """Anything with a binary ``write(data)``."""

    def write(self, data: bytes, /) -> object:
        """Write all of ``data``."""
        ...


class Source:
    """A look-ahead reader over a ``Readable`` that tracks nothing but its buffer."""

    def __init__(self, raw: Readable, prefix: bytes = b"") -> None:
        """Wrap ``raw``; ``prefix`` holds bytes already read from it (peeked)."""
        self._raw = raw
        self._buf = bytearray(prefix)
        self._eof = False

    def _fill(self, want: int) -> None:
        while len(self._buf) < want and not self._eof:
            data = self._raw.read(max(want - len(self._buf), 8192))
            if not data:
                self._eof = True
            else:
                self._buf += data

    def read_exact(self, n: int) -> bytes:
        """Return up to ``n`` bytes, fewer only at end of input."""
        self._fill(n)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def peek(self, n: int) -> bytes:
        """Return up to ``n`` upcoming bytes without consuming them."""
        self._fill(n)
        return bytes(self._buf[:n])

    def read_line(self, limit: int) -> bytes | None:
        """Return the next line including ``\\n``; without one if EOF; None if over ``limit``."""
        start = 0
        while True:
            idx = self._buf.find(b"\n", start)
            if idx >= 0:
                if idx + 1 > limit:
                    return None
                return self.read_exact(idx + 1)
            if len(self._buf) > limit:
                return None
            if self._eof:
                return self.read_exact(len(self._buf))
            start = len(self._buf)
            self._fill(len(self._buf) + 1)

    def at_eof(self) -> bool:
        """True when no byte is left (reads ahead by one byte at most)."""
        self._fill(1)
        return not self._buf
