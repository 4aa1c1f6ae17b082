"""Sealed attachments: a signed header binding a file's hash, then its bytes as age.

Algorithm (byte layout in docs/protocol.md §8): the device signs a small header naming
itself, the file's SHA-256 and size, its media type and the server batch key it encrypts
to (Ed25519, RFC 8032, over ``DOMAIN || header``, as for sealed batches); the file's bytes
follow as one age v1 file (age-encryption.org/v1) encrypted to that key, streamed in
64 KiB chunks so memory never grows with the file. The header is signed but not
encrypted, so the server can check signer, reference and size limit before it reads a
byte of the payload. The signature binds hash and size, and the server accepts the
upload only when the decrypted bytes have exactly that hash and size: the signed header
and the plaintext together are self-verifying evidence (``verify_attachment_header``).

Uploads travel in *chunks* of the sealed file, each a framed request signed by the
device (``seal_chunk``) over the upload it belongs to (the SHA-256 of the sealed header
frame), its offset, length and the SHA-256 of its bytes: a chunk cannot be replayed
into another upload or at another offset, and the server appends a chunk only whole.
Resuming after a dropped connection starts from the offset the server reports. The
upload ends with a receipt signed by the server (``AttachmentReceipt``), as for batches.

A device need not keep the sealed file: a ``SealPlan`` (the signed header frame, the age
header, the payload nonce and the file key) determines every sealed byte, so
``PlanReader`` produces the sealed bytes at any offset from the plaintext again, the same
bytes each time (the STREAM chunk at an offset is the encryption of the plaintext chunk
there under a fixed key and nonce). The file key is as secret as the file, which sits
beside it on the device; it is deleted with the plan once the receipt is in.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from collections.abc import Sequence
from typing import BinaryIO

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from sync.age import AnyIdentity, AnyRecipient, Encryptor, decrypt, parse_recipient
from sync.age.file import FILE_KEY_SIZE
from sync.age.header import encode_header
from sync.age.source import Readable, Writable
from sync.age.stream import (
    CHUNK_SIZE,
    ENC_CHUNK_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    _chunk_nonce,
    payload_key,
)
from sync.errors import (
    BadReceiptSignature,
    BadSignature,
    MalformedEnvelope,
    MalformedReceipt,
    NoMatchingIdentity,
    NotForUs,
    UnsupportedEnvelopeVersion,
)
from sync.receipt import SignedReceipt

MAGIC = b"CAIRN-SEALED-ATTACHMENT/1\n"
DOMAIN = b"cairn-sealed-attachment/1\x00"
CHUNK_MAGIC = b"CAIRN-ATTACHMENT-CHUNK/1\n"
CHUNK_DOMAIN = b"cairn-attachment-chunk/1\x00"
RECEIPT_DOMAIN = b"cairn-attachment-receipt/1\x00"
MAX_HEADER = 4096
SIGNATURE_SIZE = 64
_LEN = struct.Struct(">I")
_ENC = msgspec.msgpack.Encoder()


class AttachmentHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The signed header of a sealed attachment."""

    device_id: str
    sha256: bytes
    size: int
    key_id: str
    media_type: str = ""
    signed_at: int = 0

    @property
    def sha256_hex(self) -> str:
        """The file's SHA-256 as 64 lower-case hex digits."""
        return self.sha256.hex()


class SealedHead(msgspec.Struct, frozen=True, kw_only=True):
    """The parsed front of a sealed attachment: header, its raw bytes, signature, length."""

    header: AttachmentHeader
    raw_header: bytes
    signature: bytes
    length: int  # bytes before the age file: magic, u32, header, signature

    @property
    def upload_id(self) -> bytes:
        """SHA-256 of the header frame (magic to signature): what chunks are signed for."""
        return hashlib.sha256(self.frame()).digest()

    def frame(self) -> bytes:
        """The exact header frame bytes."""
        return MAGIC + _LEN.pack(len(self.raw_header)) + self.raw_header + self.signature


class ChunkHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The signed header of one upload request (``length == 0``: only asks the offset)."""

    device_id: str
    upload: bytes  # SealedHead.upload_id
    sha256: bytes  # the file's hash, as in the attachment header
    offset: int
    length: int
    chunk_sha256: bytes
    final: bool = False
    signed_at: int = 0


class Chunk(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed upload request: signed header, its raw bytes, signature, data offset."""

    header: ChunkHeader
    raw_header: bytes
    signature: bytes
    data_offset: int


class UploadState(msgspec.Struct, frozen=True, kw_only=True):
    """The server's answer to an upload request: where the upload stands."""

    sha256: str
    offset: int
    receipt: bytes = b""  # a SignedReceipt of an AttachmentReceipt, once complete


class AttachmentReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """What the server acknowledges about one attachment of one device."""

    device_id: str
    sha256: str
    size: int
    sealed_sha256: str  # of the sealed file as received; "" if the project held it already
    received_at: int
    audit_head: str
    audit_seq: int = 0
    server_key_id: str = ""


_HEADER = msgspec.msgpack.Decoder(AttachmentHeader)
_CHUNK = msgspec.msgpack.Decoder(ChunkHeader)
_STATE = msgspec.msgpack.Decoder(UploadState)
_RECEIPT = msgspec.msgpack.Decoder(AttachmentReceipt)
_SIGNED = msgspec.msgpack.Decoder(SignedReceipt)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _decode(decoder: msgspec.msgpack.Decoder[msgspec.Struct], raw: bytes, what: str) -> object:
    try:
        return decoder.decode(raw)
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedEnvelope(
            f"{what} is not valid msgpack of the expected shape: {exc}"
        ) from None


def _unframe(data: bytes, magic: bytes, what: str) -> tuple[bytes, bytes, int]:
    """(header bytes, signature, offset after the signature); checks magic and lengths."""
    if not data.startswith(magic):
        family = magic[: magic.index(b"/") + 1]
        if data.startswith(family):
            raise UnsupportedEnvelopeVersion(
                f"{what} uses a format version this software does not know; update Cairn."
            )
        raise MalformedEnvelope(f"not a Cairn {what}: the magic line is missing.")
    start = len(magic) + _LEN.size
    if len(data) < start:
        raise MalformedEnvelope(f"{what} is cut off inside its header length.")
    (length,) = _LEN.unpack_from(data, len(magic))
    end = start + length + SIGNATURE_SIZE
    if length > MAX_HEADER or len(data) < end:
        raise MalformedEnvelope(f"{what} header length is invalid or the data is cut off.")
    return data[start : start + length], data[start + length : end], end


def _verify(public: bytes, signature: bytes, message: bytes, what: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise BadSignature(
            f"the {what} signature does not verify with the device's key: altered, or "
            "signed by another key."
        ) from None


def chunk_front_bound() -> int:
    """The most bytes an upload request's signed front (before its data) can take."""
    return len(CHUNK_MAGIC) + _LEN.size + MAX_HEADER + SIGNATURE_SIZE


def head_length_bound() -> int:
    """The most bytes a sealed attachment's header frame can take."""
    return len(MAGIC) + _LEN.size + MAX_HEADER + SIGNATURE_SIZE


def seal_attachment(
    src: Readable,
    dst: Writable,
    *,
    sha256: str,
    size: int,
    media_type: str,
    device_id: str,
    device_signing_key: Ed25519PrivateKey,
    server_recipient: AnyRecipient | str,
    server_key_id: str,
    signed_at: int | None = None,
) -> SealedHead:
    """Write the sealed form of the ``size`` bytes read from ``src`` to ``dst``, streaming.

    Raises ValueError when the bytes read are not ``size`` bytes hashing to ``sha256``
    (the file changed under the device): what was written must then be thrown away.
    """
    header = AttachmentHeader(
        device_id=device_id,
        sha256=bytes.fromhex(sha256),
        size=size,
        key_id=server_key_id,
        media_type=media_type,
        signed_at=_now_ms() if signed_at is None else signed_at,
    )
    raw = _ENC.encode(header)
    signature = device_signing_key.sign(DOMAIN + raw)
    head = SealedHead(
        header=header,
        raw_header=raw,
        signature=signature,
        length=len(MAGIC) + _LEN.size + len(raw) + SIGNATURE_SIZE,
    )
    dst.write(head.frame())
    recipient = (
        parse_recipient(server_recipient) if isinstance(server_recipient, str) else server_recipient
    )
    digest = hashlib.sha256()
    total = 0
    enc = Encryptor(dst, [recipient])
    while data := src.read(CHUNK_SIZE * 16):
        digest.update(data)
        total += len(data)
        enc.write(data)
    enc.close()
    if total != size or digest.hexdigest() != sha256:
        raise ValueError(
            f"the file read is {total} bytes with SHA-256 {digest.hexdigest()}, not the "
            f"{size} bytes of {sha256} recorded: it changed on this device"
        )
    return head


class SealPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What fixes every byte of one sealing of a file: kept by the device, not sent."""

    frame: bytes  # the signed header frame (SealedHead.frame())
    age_header: bytes  # the age header, file key wrapped to the server batch key
    nonce: bytes  # the age payload nonce
    file_key: bytes  # the age file key (as secret as the file itself)
    size: int  # bytes of the file
    key_id: str  # the server batch key it is sealed to

    def head(self) -> SealedHead:
        """The parsed header frame."""
        return parse_head(self.frame)

    @property
    def prefix_length(self) -> int:
        """Bytes before the first payload chunk."""
        return len(self.frame) + len(self.age_header) + len(self.nonce)

    @property
    def chunks(self) -> int:
        """Payload chunks (the last may be full; an empty file has one empty chunk)."""
        return max(1, -(-self.size // CHUNK_SIZE))

    @property
    def sealed_size(self) -> int:
        """Bytes of the whole sealed attachment."""
        return self.prefix_length + self.size + self.chunks * TAG_SIZE


_PLAN = msgspec.msgpack.Decoder(SealPlan)


def plan_attachment(
    *,
    sha256: str,
    size: int,
    media_type: str,
    device_id: str,
    device_signing_key: Ed25519PrivateKey,
    server_recipient: AnyRecipient | str,
    server_key_id: str,
    signed_at: int | None = None,
) -> SealPlan:
    """Draw a new sealing of a file: sign its header, wrap a fresh file key to the server."""
    header = AttachmentHeader(
        device_id=device_id,
        sha256=bytes.fromhex(sha256),
        size=size,
        key_id=server_key_id,
        media_type=media_type,
        signed_at=_now_ms() if signed_at is None else signed_at,
    )
    raw = _ENC.encode(header)
    signature = device_signing_key.sign(DOMAIN + raw)
    frame = MAGIC + _LEN.pack(len(raw)) + raw + signature
    recipient = (
        parse_recipient(server_recipient) if isinstance(server_recipient, str) else server_recipient
    )
    file_key = os.urandom(FILE_KEY_SIZE)
    return SealPlan(
        frame=frame,
        age_header=encode_header(recipient.wrap(file_key), file_key),
        nonce=os.urandom(NONCE_SIZE),
        file_key=file_key,
        size=size,
        key_id=server_key_id,
    )


def encode_plan(plan: SealPlan) -> bytes:
    """The msgpack bytes of a plan (for the device's outbox)."""
    return _ENC.encode(plan)


def decode_plan(data: bytes) -> SealPlan:
    """Decode a plan from the outbox."""
    plan = _decode(_PLAN, data, "seal plan")  # type: ignore[arg-type]
    assert isinstance(plan, SealPlan)
    return plan


class PlanReader:
    """The sealed bytes of a ``SealPlan``, at any offset, made from the plaintext ``src``.

    The plaintext is not hashed again here: the device hashed it when it entered the
    device's store (named by its hash, read-only), and the server checks the hash and
    size the header signs before it keeps a byte; a file shorter than recorded raises
    ValueError.
    """

    def __init__(self, plan: SealPlan, src: BinaryIO) -> None:
        self.plan = plan
        self.total = plan.sealed_size
        self._src = src
        self._prefix = plan.frame + plan.age_header + plan.nonce
        self._aead = ChaCha20Poly1305(payload_key(plan.file_key, plan.nonce))

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` sealed bytes from ``offset`` (fewer only at the end)."""
        return b"".join(self.pieces(offset, n))

    def pieces(self, offset: int, n: int) -> list[bytes]:
        """``read_at`` as the pieces it is made of (at most one payload chunk each), so
        they can go on the wire one by one without being joined."""
        end = min(offset + n, self.total)
        out: list[bytes] = []
        if offset >= end:
            return out
        start = len(self._prefix)
        if offset < start:
            out.append(self._prefix[offset:end])
        pos = max(offset, start)
        if pos >= end:
            return out
        first = (pos - start) // ENC_CHUNK_SIZE
        last = min(self.plan.chunks - 1, (end - 1 - start) // ENC_CHUNK_SIZE)
        self._src.seek(first * CHUNK_SIZE)
        for i in range(first, last + 1):
            want = min(CHUNK_SIZE, self.plan.size - i * CHUNK_SIZE)
            piece = self._src.read(want)
            if len(piece) != want:
                raise ValueError("the file is shorter than recorded: it changed on this device")
            final = i == self.plan.chunks - 1
            sealed = self._aead.encrypt(_chunk_nonce(i, final), piece, None)
            at = start + i * ENC_CHUNK_SIZE
            lo, hi = max(0, pos - at), end - at
            out.append(sealed if lo == 0 and hi >= len(sealed) else sealed[lo:hi])
        return out


def read_head(src: BinaryIO) -> SealedHead:
    """Parse the header frame at the start of a sealed attachment (signature unchecked)."""
    front = src.read(len(MAGIC) + _LEN.size)
    if len(front) == len(MAGIC) + _LEN.size and front.startswith(MAGIC):
        (length,) = _LEN.unpack_from(front, len(MAGIC))
        front += src.read(min(length, MAX_HEADER) + SIGNATURE_SIZE)
    return parse_head(front)


def parse_head(data: bytes) -> SealedHead:
    """Parse the header frame from bytes that start a sealed attachment."""
    raw, signature, end = _unframe(data, MAGIC, "sealed attachment")
    header = _decode(_HEADER, raw, "sealed attachment header")  # type: ignore[arg-type]
    assert isinstance(header, AttachmentHeader)
    if len(header.sha256) != 32 or header.size < 0:
        raise MalformedEnvelope("sealed attachment header: sha256 must be 32 bytes, size ≥ 0.")
    return SealedHead(header=header, raw_header=raw, signature=signature, length=end)


def verify_attachment_header(head: SealedHead, device_public: bytes) -> AttachmentHeader:
    """Check the device's signature over the header frame; return the header."""
    _verify(device_public, head.signature, DOMAIN + head.raw_header, "attachment header")
    return head.header


class _Counting:
    """A writer that hashes and counts what passes, refusing more than ``limit`` bytes."""

    def __init__(self, dst: Writable, limit: int) -> None:
        self.dst = dst
        self.limit = limit
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise ValueError("more bytes than the header's size")
        self.digest.update(data)
        self.dst.write(data)
        return len(data)


def open_payload(
    src: BinaryIO, head: SealedHead, identities: list[AnyIdentity], dst: Writable
) -> None:
    """Decrypt the age payload after ``head`` from ``src`` into ``dst``, streaming, and check
    its SHA-256 and size against the signed header (raises ``AttachmentMismatch``)."""
    counting = _Counting(dst, head.header.size)
    try:
        decrypt(src, counting, identities, armored=False)
    except NoMatchingIdentity:
        raise NotForUs("this attachment is not encrypted to any key held here.") from None
    except ValueError:
        raise AttachmentMismatch(
            f"the decrypted file is longer than the {head.header.size} bytes its header signs",
            code="size_mismatch",
        ) from None
    if counting.size != head.header.size:
        raise AttachmentMismatch(
            f"the decrypted file is {counting.size} bytes, not the {head.header.size} bytes "
            "its header signs",
            code="size_mismatch",
        )
    if counting.digest.digest() != head.header.sha256:
        raise AttachmentMismatch(
            f"the decrypted file's SHA-256 is {counting.digest.hexdigest()}, not "
            f"{head.header.sha256_hex} as its header signs",
            code="hash_mismatch",
        )


class AttachmentMismatch(Exception):
    """Decrypted bytes that are not what the signed header promised."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def seal_chunk(
    data: bytes,
    *,
    device_id: str,
    upload: bytes,
    sha256: bytes,
    offset: int,
    final: bool,
    device_signing_key: Ed25519PrivateKey,
    signed_at: int | None = None,
) -> bytes:
    """One upload request body: framed, signed chunk header, then ``data``."""
    return (
        chunk_frame(
            [data],
            device_id=device_id,
            upload=upload,
            sha256=sha256,
            offset=offset,
            final=final,
            device_signing_key=device_signing_key,
            signed_at=signed_at,
        )
        + data
    )


def chunk_frame(
    pieces: Sequence[bytes],
    *,
    device_id: str,
    upload: bytes,
    sha256: bytes,
    offset: int,
    final: bool,
    device_signing_key: Ed25519PrivateKey,
    signed_at: int | None = None,
) -> bytes:
    """The front of one upload request body; the chunk's bytes, ``pieces`` one after
    another, follow it on the wire."""
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    header = ChunkHeader(
        device_id=device_id,
        upload=upload,
        sha256=sha256,
        offset=offset,
        length=sum(len(piece) for piece in pieces),
        chunk_sha256=digest.digest(),
        final=final,
        signed_at=_now_ms() if signed_at is None else signed_at,
    )
    raw = _ENC.encode(header)
    signature = device_signing_key.sign(CHUNK_DOMAIN + raw)
    return CHUNK_MAGIC + _LEN.pack(len(raw)) + raw + signature


def parse_chunk(front: bytes) -> Chunk:
    """Parse the signed header at the start of an upload request (signature unchecked)."""
    raw, signature, end = _unframe(front, CHUNK_MAGIC, "attachment chunk")
    header = _decode(_CHUNK, raw, "attachment chunk header")  # type: ignore[arg-type]
    assert isinstance(header, ChunkHeader)
    if len(header.upload) != 32 or len(header.sha256) != 32 or len(header.chunk_sha256) != 32:
        raise MalformedEnvelope("attachment chunk header: hashes must be 32 bytes each.")
    if header.offset < 0 or header.length < 0:
        raise MalformedEnvelope("attachment chunk header: offset and length must be ≥ 0.")
    return Chunk(header=header, raw_header=raw, signature=signature, data_offset=end)


def verify_chunk(chunk: Chunk, device_public: bytes) -> ChunkHeader:
    """Check the device's signature over a chunk header."""
    _verify(device_public, chunk.signature, CHUNK_DOMAIN + chunk.raw_header, "attachment chunk")
    return chunk.header


def encode_state(state: UploadState) -> bytes:
    """The msgpack bytes of an upload state."""
    return _ENC.encode(state)


def decode_state(data: bytes) -> UploadState:
    """Decode the server's upload state answer."""
    state = _decode(_STATE, data, "upload state")  # type: ignore[arg-type]
    assert isinstance(state, UploadState)
    return state


def sign_attachment_receipt(
    receipt: AttachmentReceipt, signing_key: Ed25519PrivateKey, key_id: str
) -> bytes:
    """Stamp ``key_id``, sign and return the wire envelope (a ``SignedReceipt``)."""
    body = _ENC.encode(msgspec.structs.replace(receipt, server_key_id=key_id))
    signature = signing_key.sign(RECEIPT_DOMAIN + body)
    return _ENC.encode(SignedReceipt(receipt=body, key_id=key_id, signature=signature))


def verify_attachment_receipt(data: bytes, server_public: bytes) -> AttachmentReceipt:
    """Verify the server's signature over an attachment receipt and decode it."""
    try:
        envelope = _SIGNED.decode(data)
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedReceipt(f"attachment receipt is not a msgpack envelope: {exc}") from None
    try:
        Ed25519PublicKey.from_public_bytes(server_public).verify(
            envelope.signature, RECEIPT_DOMAIN + envelope.receipt
        )
    except (InvalidSignature, ValueError):
        raise BadReceiptSignature(
            "the attachment receipt's signature does not verify with this server's key; "
            "keep the file and push again."
        ) from None
    try:
        receipt = _RECEIPT.decode(envelope.receipt)
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedReceipt(f"signed attachment receipt is not a receipt: {exc}") from None
    if receipt.server_key_id != envelope.key_id:
        raise BadReceiptSignature("the receipt names a different key id than its envelope.")
    return receipt


FETCH_DOMAIN = b"cairn-attachment-fetch/1\x00"


class FetchRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A device asks for a file's bytes (encrypted to its own key); signed by it."""

    device_id: str
    sha256: str
    signed_at: int = 0
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """What the signature covers: a domain tag and the request fields."""
        return FETCH_DOMAIN + _ENC.encode([self.device_id, self.sha256, self.signed_at])

    def sign(self, key: Ed25519PrivateKey) -> FetchRequest:
        """This request with the device's signature."""
        return msgspec.structs.replace(self, signature=key.sign(self.signed_bytes()))

    def verify(self, public: bytes) -> bool:
        """True when the signature is the device's."""
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(self.signature, self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True


FETCH_REQUEST = msgspec.msgpack.Decoder(FetchRequest)


def encode_fetch(request: FetchRequest) -> bytes:
    """The msgpack bytes of a fetch request."""
    return _ENC.encode(request)
