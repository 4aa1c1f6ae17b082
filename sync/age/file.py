"""Encrypting and decrypting whole age v1 files, streamed or as bytes.

Algorithm: age-encryption.org/v1 (C2SP age spec). Encrypt: draw a random 16-byte file key,
wrap it for every recipient into stanzas, write the MAC'd header, then the STREAM payload.
Decrypt: parse the header strictly, let each identity try each stanza (a malformed known
stanza is fatal; a stanza for someone else is skipped), verify the header MAC with the
unwrapped file key, then stream the payload, releasing only authenticated chunks. As in
age 1.3, post-quantum recipients cannot be mixed with classic ones in one file (the
file would only be as strong as its weakest stanza).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from sync.age.armor import ArmoredReader, ArmoredWriter, is_armored
from sync.age.header import Stanza, encode_header, parse_header, verify_mac
from sync.age.source import Readable, Source, Writable
from sync.age.stream import CHUNK_SIZE, StreamWriter, decrypt_stream
from sync.errors import IncompatibleRecipients, MalformedHeader, NoMatchingIdentity

FILE_KEY_SIZE = 16


class Recipient(Protocol):
    """A public key that can wrap a file key into header stanzas."""

    @property
    def post_quantum(self) -> bool:
        """True for recipients safe against quantum computers."""
        ...

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Return the stanzas that carry ``file_key`` to this recipient."""
        ...


class Identity(Protocol):
    """A private key that can unwrap a file key from a stanza addressed to it."""

    def unwrap(self, stanza: Stanza) -> bytes | None:
        """Return the file key, None if the stanza is not ours; raise if malformed."""
        ...


class Encryptor:
    """A writable file object that encrypts to ``dst``; close it (or use ``with``)."""

    def __init__(
        self, dst: Writable, recipients: Sequence[Recipient], *, armor: bool = False
    ) -> None:
        """Write the header at once; payload follows as data is written."""
        if not recipients:
            raise IncompatibleRecipients("age needs at least one recipient to encrypt to.")
        if len({r.post_quantum for r in recipients}) > 1:
            raise IncompatibleRecipients(
                "post-quantum (age1pq1…) and classic X25519 (age1…) recipients cannot share "
                "one file, as in age 1.3; encrypt separately or use only post-quantum keys."
            )
        self._armor = ArmoredWriter(dst) if armor else None
        out: Writable = self._armor if self._armor is not None else dst
        file_key = os.urandom(FILE_KEY_SIZE)
        stanzas = [s for r in recipients for s in r.wrap(file_key)]
        out.write(encode_header(stanzas, file_key))
        self._stream = StreamWriter(out, file_key)

    def write(self, data: bytes) -> int:
        """Encrypt ``data`` (buffered up to one 64 KiB chunk)."""
        return self._stream.write(data)

    def close(self) -> None:
        """Write the final chunk (and the armor END line)."""
        self._stream.close()
        if self._armor is not None:
            self._armor.close()

    def __enter__(self) -> Encryptor:
        """Use as a context manager that closes on success."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close only on success: a failed write must not look like a complete file."""
        if exc_type is None:
            self.close()


def encrypt(
    src: Readable, dst: Writable, recipients: Sequence[Recipient], *, armor: bool = False
) -> None:
    """Encrypt everything read from ``src`` to ``dst``, one 64 KiB chunk at a time."""
    with Encryptor(dst, recipients, armor=armor) as enc:
        while data := src.read(CHUNK_SIZE):
            enc.write(data)


def _unwrap(stanzas: Sequence[Stanza], identities: Sequence[Identity]) -> bytes:
    for stanza in stanzas:
        for identity in identities:
            file_key = identity.unwrap(stanza)
            if file_key is None:
                continue
            if len(file_key) != FILE_KEY_SIZE:
                raise MalformedHeader("the wrapped file key is not 16 bytes.")
            return file_key
    raise NoMatchingIdentity(
        "this age file is not encrypted to any identity given; "
        "check you are using the right key (a rotated-out key may be needed)."
    )


def decrypt(
    src: Readable,
    dst: Writable,
    identities: Sequence[Identity],
    *,
    armored: bool | None = None,
) -> None:
    """Decrypt ``src`` to ``dst`` streaming; ``armored=None`` detects armor by its first bytes.

    On a payload error, ``dst`` has received exactly the authenticated prefix.
    """
    source = Source(src)
    if armored is None:
        armored = is_armored(source.peek(1100))
    if armored:
        source = Source(ArmoredReader(source))
    header = parse_header(source)
    file_key = _unwrap(header.stanzas, identities)
    verify_mac(header, file_key)
    decrypt_stream(source, dst, file_key)


def encrypt_bytes(data: bytes, recipients: Sequence[Recipient], *, armor: bool = False) -> bytes:
    """Encrypt ``data`` to ``recipients`` and return the age file."""
    out = io.BytesIO()
    encrypt(io.BytesIO(data), out, recipients, armor=armor)
    return out.getvalue()


def decrypt_bytes(
    data: bytes, identities: Sequence[Identity], *, armored: bool | None = None
) -> bytes:
    """Decrypt a whole age file; nothing is returned unless everything authenticated."""
    out = io.BytesIO()
    decrypt(io.BytesIO(data), out, identities, armored=armored)
    return out.getvalue()
