"""Push-style age decryption: ciphertext is fed as it arrives, plaintext comes out checked.

Algorithm: the same age v1 reading as `sync.age.file.decrypt` (header parsed strictly by
`parse_header`, file key unwrapped and the header MAC checked, then the STREAM payload of
`sync.age.stream`), turned inside out for a receiver that gets the file in pieces over
many requests (the server receiving a chunked attachment upload): the header is parsed
once its MAC line is complete, and a 64 KiB payload chunk is opened as soon as a byte
after it shows it is not the last one; ``finish()`` opens the final chunk. Each chunk's
plaintext is written only after its tag verified, as in the pulling reader.

It is an accelerator with a strict rule: when it *succeeds*, the pulling reader would
have released exactly the same plaintext from the same bytes; on anything unusual (an
error of any kind, a header larger than ``header_limit``) it raises, and its caller falls
back to the pulling reader over the whole file, whose answer is the canonical one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from sync.age.file import Identity, _unwrap
from sync.age.header import parse_header, verify_mac
from sync.age.source import Source, Writable
from sync.age.stream import ENC_CHUNK_SIZE, NONCE_SIZE, TAG_SIZE, _chunk_nonce, payload_key
from sync.errors import MalformedHeader, TamperedPayload, TruncatedPayload

HEADER_LIMIT = 256 * 1024


class PayloadOpener:
    """Decrypt an (unarmored) age file fed in pieces; ``finish()`` after the last piece."""

    def __init__(
        self, identities: Sequence[Identity], dst: Writable, header_limit: int = HEADER_LIMIT
    ) -> None:
        self._identities = list(identities)
        self._dst = dst
        self._limit = header_limit
        self._buf = bytearray()
        self._aead: ChaCha20Poly1305 | None = None
        self._file_key = b""
        self._counter = 0
        self._done = False

    def _header(self) -> bool:
        """Parse the header once its MAC line is whole; False while more bytes are needed."""
        start = 0 if self._buf.startswith(b"---") else -1
        if start < 0:
            found = self._buf.find(b"\n---")
            start = -1 if found < 0 else found + 1
        end = -1 if start < 0 else self._buf.find(b"\n", start)
        if end < 0:
            if len(self._buf) > self._limit:
                raise MalformedHeader("age header longer than this reader takes in pieces")
            return False
        head = bytes(self._buf[: end + 1])
        source = Source(io.BytesIO(head))
        header = parse_header(source)
        if not source.at_eof():
            raise MalformedHeader("age header does not end at its MAC line")
        file_key = _unwrap(header.stanzas, self._identities)
        verify_mac(header, file_key)
        self._file_key = file_key
        del self._buf[: end + 1]
        return True

    def feed(self, data: bytes | memoryview) -> None:
        """Take the next bytes of the file; write every chunk known not to be the last.

        Holds back less than one chunk: ``data`` is opened where it lies, not copied."""
        if self._done:
            raise TamperedPayload("data after the end of the age file")
        if self._aead is None:
            self._buf += data
            if not self._file_key and not self._header():
                return
            if len(self._buf) < NONCE_SIZE:
                return
            nonce = bytes(self._buf[:NONCE_SIZE])
            self._aead = ChaCha20Poly1305(payload_key(self._file_key, nonce))
            data, self._buf = bytes(self._buf[NONCE_SIZE:]), bytearray()
        with memoryview(data) as view:
            pos = 0
            if self._buf:
                need = ENC_CHUNK_SIZE - len(self._buf)
                if len(view) <= need:  # no byte after the chunk yet: it may be the last
                    self._buf += view
                    return
                self._buf += view[:need]
                pos = need
                self._open(bytes(self._buf))
                self._buf.clear()
            # Keep at least one byte back: a full chunk is the last only if nothing follows.
            while len(view) - pos > ENC_CHUNK_SIZE:
                with view[pos : pos + ENC_CHUNK_SIZE] as piece:
                    self._open(piece)
                pos += ENC_CHUNK_SIZE
            self._buf += view[pos:]

    def _open(self, chunk: bytes | memoryview) -> None:
        # InvalidTag propagates: a chunk with more after it must open as not-last.
        plain = self._aead.decrypt(_chunk_nonce(self._counter, False), chunk, None)  # type: ignore[union-attr]
        self._dst.write(plain)
        self._counter += 1

    def finish(self) -> None:
        """Open the final chunk: the file must end exactly there."""
        if self._done:
            return
        if self._aead is None or len(self._buf) < TAG_SIZE:
            raise TruncatedPayload("age payload ends before its final chunk")
        plain = self._aead.decrypt(_chunk_nonce(self._counter, True), bytes(self._buf), None)
        if not plain and self._counter > 0:
            raise TamperedPayload("age payload's final chunk is empty, which age forbids")
        self._dst.write(plain)
        self._buf.clear()
        self._done = True
