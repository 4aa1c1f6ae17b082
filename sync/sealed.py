"""Sealed batches and sealed pull responses: sign with Ed25519, then encrypt with age.

Algorithm (byte layout in docs/protocol.md): sign-then-encrypt, as in Davis, "Defective
Sign & Encrypt in S/MIME, PKCS#7, MOSS, PEM, PGP, and XML" (USENIX 2001) — the signed
part names its recipient key (``key_id``) and sender, so a signature cannot be re-wrapped
for another recipient unnoticed. The signer signs ``DOMAIN || header`` where ``header``
is the exact msgpack bytes of the routing fields plus SHA-256 and length of the body
(RFC 8032 Ed25519, domain separation per RFC 9180 §4-style labels). The signed blob
``MAGIC || u32 len || header || signature(64) || body`` is encrypted as one age v1 file
(age-encryption.org/v1) to the recipient's key, and preceded by a clear, unauthenticated
routing header for bookkeeping; after decryption the clear routing must equal the signed
one. Nothing is returned before the whole age payload authenticated and the signature
verified. The decrypted signed blob is self-contained: it can be re-verified years later
with nothing but the signer's public key (``verify_batch_signature``).
"""

from __future__ import annotations

import functools
import hashlib
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.age import AnyIdentity, AnyRecipient, decrypt_bytes, encrypt_bytes, parse_recipient
from sync.errors import (
    BadSignature,
    MalformedEnvelope,
    NoMatchingIdentity,
    NotForUs,
    RevokedSigner,
    RoutingMismatch,
    UnknownSigner,
    UnsupportedEnvelopeVersion,
)

BATCH_MAGIC = b"CAIRN-SEALED-BATCH/1\n"
BATCH_SIGNED_MAGIC = b"CAIRN-SIGNED-BATCH/1\n"
BATCH_DOMAIN = b"cairn-sealed-batch/1\x00"
PULL_MAGIC = b"CAIRN-SEALED-PULL/1\n"
PULL_SIGNED_MAGIC = b"CAIRN-SIGNED-PULL/1\n"
PULL_DOMAIN = b"cairn-sealed-pull/1\x00"
MAX_HEADER = 4096
SIGNATURE_SIZE = 64
_LEN = struct.Struct(">I")
T = TypeVar("T")


class Routing(msgspec.Struct, frozen=True, kw_only=True):
    """The clear routing header of a sealed batch (unauthenticated until opened)."""

    device_id: str
    batch_id: str
    seq: int
    key_id: str


class BatchHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The signed header inside a batch: routing fields plus the body's hash and length."""

    device_id: str
    batch_id: str
    seq: int
    key_id: str
    body_sha256: bytes
    body_length: int
    signed_at: int = 0

    def routing(self) -> Routing:
        """The routing fields this header signs."""
        return Routing(
            device_id=self.device_id, batch_id=self.batch_id, seq=self.seq, key_id=self.key_id
        )


class SignerInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the server knows about a device's signing key."""

    device_id: str
    public_key: bytes
    revoked: bool = False


class SignedBatch(msgspec.Struct, frozen=True, kw_only=True):
    """A verified signed batch: header, body and signature."""

    header: BatchHeader
    body: bytes
    signature: bytes


class OpenedBatch(msgspec.Struct, frozen=True, kw_only=True):
    """A fully authenticated batch; ``signed`` is the self-verifiable inner blob to archive."""

    routing: Routing
    body: bytes
    signature: bytes
    signed_at: int
    sealed_sha256: str
    signed: bytes


class PullRouting(msgspec.Struct, frozen=True, kw_only=True):
    """The clear routing header of a sealed pull response."""

    device_id: str
    cursor: int
    key_id: str


class PullHeader(msgspec.Struct, frozen=True, kw_only=True):
    """The signed header inside a pull response (``key_id``: server signing key)."""

    device_id: str
    cursor: int
    key_id: str
    payload_sha256: bytes
    payload_length: int
    signed_at: int = 0


class OpenedPull(msgspec.Struct, frozen=True, kw_only=True):
    """A verified pull response."""

    header: PullHeader
    payload: bytes


_ENC = msgspec.msgpack.Encoder()
_ROUTING = msgspec.msgpack.Decoder(Routing)
_BATCH_HEADER = msgspec.msgpack.Decoder(BatchHeader)
_PULL_ROUTING = msgspec.msgpack.Decoder(PullRouting)
_PULL_HEADER = msgspec.msgpack.Decoder(PullHeader)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _frame(magic: bytes, header: bytes) -> bytes:
    return magic + _LEN.pack(len(header)) + header


def _unframe(data: bytes, magic: bytes, what: str) -> tuple[bytes, int]:
    """Return (header bytes, offset after them); check magic, version and length."""
    if not data.startswith(magic):
        family = magic[: magic.index(b"/") + 1]
        if data.startswith(family):
            raise UnsupportedEnvelopeVersion(
                f"{what} uses a format version this software does not know; "
                "update Cairn on this side."
            )
        raise MalformedEnvelope(f"not a Cairn {what}: the magic line is missing.")
    start = len(magic) + _LEN.size
    if len(data) < start:
        raise MalformedEnvelope(f"{what} is cut off inside its header length.")
    (length,) = _LEN.unpack_from(data, len(magic))
    if length > MAX_HEADER or len(data) < start + length:
        raise MalformedEnvelope(f"{what} header length is invalid or the data is cut off.")
    return data[start : start + length], start + length


def _decode(decoder: msgspec.msgpack.Decoder[T], raw: bytes, what: str) -> T:
    try:
        return decoder.decode(raw)
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedEnvelope(
            f"{what} is not valid msgpack of the expected shape: {exc}"
        ) from None


def _sign_blob(
    magic: bytes, domain: bytes, header: bytes, body: bytes, key: Ed25519PrivateKey
) -> bytes:
    return _frame(magic, header) + key.sign(domain + header) + body


def _split_signed(blob: bytes, magic: bytes, what: str) -> tuple[bytes, bytes, bytes]:
    header, offset = _unframe(blob, magic, what)
    if len(blob) < offset + SIGNATURE_SIZE:
        raise MalformedEnvelope(f"{what} is cut off inside its signature.")
    return header, blob[offset : offset + SIGNATURE_SIZE], blob[offset + SIGNATURE_SIZE :]


def _verify(public: bytes, signature: bytes, message: bytes, what: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise BadSignature(
            f"the {what} signature does not verify with the signer's public key: "
            "it was altered or signed by another key. Do not use its contents."
        ) from None


def _check_body(digest: bytes, length: int, body: bytes, what: str) -> None:
    if length != len(body) or hashlib.sha256(body).digest() != digest:
        raise BadSignature(f"the {what} body does not match the hash its signature covers.")


@functools.lru_cache(maxsize=64)
def _parse_recipient(text: str) -> AnyRecipient:
    # Bech32-decoding a 1,950-character post-quantum recipient in Python costs ~5 ms.
    return parse_recipient(text)


def _as_recipient(recipient: AnyRecipient | str) -> AnyRecipient:
    return _parse_recipient(recipient) if isinstance(recipient, str) else recipient


def _decrypt(age_file: bytes, identities: Sequence[AnyIdentity], what: str) -> bytes:
    try:
        return decrypt_bytes(age_file, identities, armored=False)
    except NoMatchingIdentity:
        raise NotForUs(
            f"this {what} is not encrypted to any key held here; check the key id, "
            "or re-enroll the device to fetch the current server keys."
        ) from None


def seal_batch(
    body: bytes,
    *,
    device_id: str,
    batch_id: str,
    seq: int,
    device_signing_key: Ed25519PrivateKey,
    server_recipient: AnyRecipient | str,
    server_key_id: str,
    signed_at: int | None = None,
) -> bytes:
    """Sign ``body`` with its routing fields, encrypt to the server key, frame it."""
    header = BatchHeader(
        device_id=device_id,
        batch_id=batch_id,
        seq=seq,
        key_id=server_key_id,
        body_sha256=hashlib.sha256(body).digest(),
        body_length=len(body),
        signed_at=_now_ms() if signed_at is None else signed_at,
    )
    raw_header = _ENC.encode(header)
    signed = _sign_blob(BATCH_SIGNED_MAGIC, BATCH_DOMAIN, raw_header, body, device_signing_key)
    age_file = encrypt_bytes(signed, [_as_recipient(server_recipient)])
    return _frame(BATCH_MAGIC, _ENC.encode(header.routing())) + age_file


def peek_routing(sealed: bytes) -> Routing:
    """The clear routing header — unauthenticated, for bookkeeping and quarantine only."""
    raw, _ = _unframe(sealed, BATCH_MAGIC, "sealed batch")
    return _decode(_ROUTING, raw, "sealed batch routing header")


def verify_batch_signature(signed: bytes, device_public: bytes) -> SignedBatch:
    """Verify a decrypted signed batch blob with only the device's public key."""
    raw_header, signature, body = _split_signed(signed, BATCH_SIGNED_MAGIC, "signed batch")
    _verify(device_public, signature, BATCH_DOMAIN + raw_header, "batch")
    header = _decode(_BATCH_HEADER, raw_header, "signed batch header")
    _check_body(header.body_sha256, header.body_length, body, "batch")
    return SignedBatch(header=header, body=body, signature=signature)


def extract_signed_batch(sealed: bytes, identities: Mapping[str, AnyIdentity]) -> bytes:
    """Decrypt a sealed batch to its signed inner blob (nothing verified but the age MACs)."""
    routing = peek_routing(sealed)
    _, offset = _unframe(sealed, BATCH_MAGIC, "sealed batch")
    # The named key first; the others too, so an altered key id surfaces as a mismatch.
    named = [identities[routing.key_id]] if routing.key_id in identities else []
    others = [i for k, i in identities.items() if k != routing.key_id]
    return _decrypt(sealed[offset:], named + others, "batch")


def open_batch(
    sealed: bytes,
    *,
    identities: Mapping[str, AnyIdentity],
    signer_lookup: Callable[[str], SignerInfo | None],
) -> OpenedBatch:
    """Decrypt, verify and cross-check a sealed batch; return it only if all holds."""
    routing = peek_routing(sealed)
    signed = extract_signed_batch(sealed, identities)
    raw_header, _, _ = _split_signed(signed, BATCH_SIGNED_MAGIC, "signed batch")
    claimed = _decode(_BATCH_HEADER, raw_header, "signed batch header")
    signer = signer_lookup(claimed.device_id)
    if signer is None:
        raise UnknownSigner(
            f"device {claimed.device_id!r} is not enrolled here; enroll it with a one-time code."
        )
    verified = verify_batch_signature(signed, signer.public_key)
    if signer.revoked:
        raise RevokedSigner(
            f"device {claimed.device_id!r} was revoked; its batches are refused. "
            "Ask an administrator to review the device."
        )
    if verified.header.routing() != routing:
        raise RoutingMismatch(
            "the clear routing header of this batch disagrees with the signed one; "
            "it was altered in transit. Resend the original batch."
        )
    return OpenedBatch(
        routing=routing,
        body=verified.body,
        signature=verified.signature,
        signed_at=verified.header.signed_at,
        sealed_sha256=hashlib.sha256(sealed).hexdigest(),
        signed=signed,
    )


def seal_pull(
    payload: bytes,
    *,
    device_id: str,
    cursor: int,
    device_recipient: AnyRecipient | str,
    server_signing_key: Ed25519PrivateKey,
    server_key_id: str,
    signed_at: int | None = None,
) -> bytes:
    """Sign a pull payload with the server key and encrypt it to the device."""
    header = PullHeader(
        device_id=device_id,
        cursor=cursor,
        key_id=server_key_id,
        payload_sha256=hashlib.sha256(payload).digest(),
        payload_length=len(payload),
        signed_at=_now_ms() if signed_at is None else signed_at,
    )
    raw_header = _ENC.encode(header)
    signed = _sign_blob(PULL_SIGNED_MAGIC, PULL_DOMAIN, raw_header, payload, server_signing_key)
    routing = PullRouting(device_id=device_id, cursor=cursor, key_id=server_key_id)
    age_file = encrypt_bytes(signed, [_as_recipient(device_recipient)])
    return _frame(PULL_MAGIC, _ENC.encode(routing)) + age_file


def open_pull(
    sealed: bytes,
    *,
    identities: Sequence[AnyIdentity],
    server_public: bytes,
    device_id: str | None = None,
) -> OpenedPull:
    """Decrypt a sealed pull response and verify the server's signature over it."""
    raw_routing, offset = _unframe(sealed, PULL_MAGIC, "sealed pull response")
    routing = _decode(_PULL_ROUTING, raw_routing, "pull response routing header")
    signed = _decrypt(sealed[offset:], identities, "pull response")
    raw_header, signature, payload = _split_signed(signed, PULL_SIGNED_MAGIC, "signed pull")
    _verify(server_public, signature, PULL_DOMAIN + raw_header, "pull response")
    header = _decode(_PULL_HEADER, raw_header, "signed pull header")
    _check_body(header.payload_sha256, header.payload_length, payload, "pull response")
    signed_routing = PullRouting(
        device_id=header.device_id, cursor=header.cursor, key_id=header.key_id
    )
    if signed_routing != routing or (device_id is not None and header.device_id != device_id):
        raise RoutingMismatch(
            "this pull response's routing disagrees with its signed header or is for "
            "another device; discard it and pull again."
        )
    return OpenedPull(header=header, payload=payload)
