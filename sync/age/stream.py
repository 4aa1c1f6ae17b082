"""The age payload: a STREAM of 64 KiB ChaCha20-Poly1305 chunks.

Algorithm: age-encryption.org/v1 payload, which is the STREAM construction of Hoang,
Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
Misuse-Resistance" (CRYPTO 2015). A 16-byte random nonce follows the header; the payload
key is HKDF-SHA256(ikm=file key, salt=nonce, info="payload"). Plaintext is cut into
64 KiB chunks; chunk *i* is sealed under the 12-byte nonce ``i`` (11 bytes big-endian) ||
``last`` (0x01 on the final chunk, else 0x00). The final chunk may be full; it may be
empty only when the whole payload is empty. Decryption mirrors age's Go reader
(filippo.io/age/internal/stream): a chunk's plaintext is written only after its tag
verified, so on error the output holds exactly the authenticated prefix.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.age.source import Source, Writable
from sync.errors import MalformedHeader, TamperedPayload, TruncatedPayload

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENC_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
NONCE_SIZE = 16


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """HKDF-SHA256(ikm=file key, salt=nonce, info="payload")."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce, info=b"payload").derive(file_key)


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class StreamWriter:
    """Encrypt written plaintext into STREAM chunks on ``dst``; ``close()`` seals the end."""

    def __init__(self, dst: Writable, file_key: bytes, nonce: bytes | None = None) -> None:
        """Write the payload nonce to ``dst`` and start chunk 0."""
        nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
        self._dst = dst
        self._aead = ChaCha20Poly1305(payload_key(file_key, nonce))
        self._buf = bytearray()
        self._counter = 0
        self._closed = False
        dst.write(nonce)

    def write(self, data: bytes) -> int:
        """Buffer ``data``; emit every full chunk known not to be the last."""
        if self._closed:
            raise ValueError("write to a closed age stream")
        self._buf += data
        # Keep at least one byte back: a chunk is final only if nothing follows it.
        while len(self._buf) > CHUNK_SIZE:
            self._emit(bytes(self._buf[:CHUNK_SIZE]), last=False)
            del self._buf[:CHUNK_SIZE]
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        self._dst.write(self._aead.encrypt(_chunk_nonce(self._counter, last), chunk, None))
        self._counter += 1

    def close(self) -> None:
        """Seal the final chunk (possibly empty only if nothing was written)."""
        if not self._closed:
            self._closed = True
            self._emit(bytes(self._buf), last=True)
            self._buf.clear()


def decrypt_stream(src: Source, dst: Writable, file_key: bytes) -> None:
    """Read nonce and chunks from ``src``; write each chunk only once authenticated."""
    nonce = src.read_exact(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise MalformedHeader("age payload nonce is missing or short; the file is cut off.")
    aead = ChaCha20Poly1305(payload_key(file_key, nonce))
    counter = 0
    while True:
        chunk = src.read_exact(ENC_CHUNK_SIZE)
        if len(chunk) < TAG_SIZE:
            raise TruncatedPayload(
                "age payload ends before its final chunk: the file is truncated. "
                "Only the authenticated prefix was released; ask for the file again."
            )
        last = len(chunk) < ENC_CHUNK_SIZE
        try:
            plain = aead.decrypt(_chunk_nonce(counter, last), chunk, None)
        except InvalidTag:
            plain = None
        if plain is None and not last:
            # A full-size chunk may be the final one; age tries that second.
            last = True
            try:
                plain = aead.decrypt(_chunk_nonce(counter, True), chunk, None)
            except InvalidTag:
                plain = None
        if plain is None:
            raise TamperedPayload(
                f"age payload chunk {counter} fails authentication: the data was altered "
                "or cut off. Only the authenticated prefix was released."
            )
        if last and not plain and counter > 0:
            raise TamperedPayload("age payload's final chunk is empty, which age forbids.")
        dst.write(plain)
        counter += 1
        if last:
            if not src.at_eof():
                raise TamperedPayload(
                    "data follows the final age payload chunk; the file was altered."
                )
            return
