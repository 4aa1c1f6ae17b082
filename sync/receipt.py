"""Signed receipts: the server's proof that it durably stored a batch.

Algorithm: the receipt is encoded once as msgpack (a map, so fields can be added with
defaults and old receipts still decode — msgspec's schema-evolution rules); the server
signs ``DOMAIN || receipt bytes`` with Ed25519 (RFC 8032) and sends a small envelope
holding those exact bytes, its key id and the signature. Verifiers check the signature
over the bytes as received and only then decode them, so no canonical re-encoding is
ever needed (the approach of signed JWS payloads, RFC 7515 §5.2). A device may drop its
local copy of a batch only once it holds a receipt that verifies.
"""

from __future__ import annotations

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.errors import BadReceiptSignature, MalformedReceipt

DOMAIN = b"cairn-receipt/1\x00"


class RefusedOp(msgspec.Struct, frozen=True, kw_only=True):
    """One op of the batch the server refused, by position, with the reason.

    ``kept`` is False for an op the server did not store (it failed a check of its own:
    values, form, an op-local law; it is in the quarantine): the device drops it from its
    view. ``kept`` is True for an op stored as evidence that the record's rules refuse
    (``sync.laws``): the device keeps it, and its own merge refuses it the same way.
    """

    index: int
    reason: str
    code: str = ""
    dot: tuple[str, int] | None = None
    kept: bool = False


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """What the server acknowledges about one batch (received_at in ms since epoch)."""

    batch_id: str
    device_id: str
    seq: int
    sealed_sha256: str
    received_at: int
    audit_head: str
    missing_seqs: list[int] = []
    refused: list[RefusedOp] = []
    accepted_ops: int = 0
    server_key_id: str = ""
    # Which entry of the project's audit chain `audit_head` is (0: a receipt from before
    # per-project chains, whose head is the single server-wide chain's).
    audit_seq: int = 0


class SignedReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """The wire envelope: the receipt's exact msgpack bytes, key id and signature."""

    receipt: bytes
    key_id: str
    signature: bytes


_ENC = msgspec.msgpack.Encoder()
_RECEIPT = msgspec.msgpack.Decoder(Receipt)
_SIGNED = msgspec.msgpack.Decoder(SignedReceipt)


def sign_receipt(receipt: Receipt, signing_key: Ed25519PrivateKey, key_id: str) -> bytes:
    """Stamp ``key_id`` into the receipt, sign it, and return the wire bytes."""
    body = _ENC.encode(msgspec.structs.replace(receipt, server_key_id=key_id))
    signature = signing_key.sign(DOMAIN + body)
    return _ENC.encode(SignedReceipt(receipt=body, key_id=key_id, signature=signature))


def decode_unverified(receipt_bytes: bytes) -> SignedReceipt:
    """Decode the envelope without verifying (e.g. to pick the key by ``key_id``)."""
    try:
        return _SIGNED.decode(receipt_bytes)
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedReceipt(f"receipt is not a valid msgpack envelope: {exc}") from None


def verify_receipt(receipt_bytes: bytes, server_public: bytes) -> Receipt:
    """Verify the server's signature and return the receipt; raise ReceiptError otherwise."""
    envelope = decode_unverified(receipt_bytes)
    try:
        Ed25519PublicKey.from_public_bytes(server_public).verify(
            envelope.signature, DOMAIN + envelope.receipt
        )
    except (InvalidSignature, ValueError):
        raise BadReceiptSignature(
            "the receipt's signature does not verify with this server's key; keep the "
            "batch and push it again (the receipt was altered or is from another server)."
        ) from None
    try:
        receipt = _RECEIPT.decode(envelope.receipt)
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedReceipt(f"signed receipt body is not a valid receipt: {exc}") from None
    if receipt.server_key_id != envelope.key_id:
        raise BadReceiptSignature("the receipt names a different key id than its envelope.")
    return receipt
