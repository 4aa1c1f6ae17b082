"""Exceptions of the sync crypto layer (age files, sealed batches, receipts, keys).

Every error carries a stable short ``code`` that the server puts in 4xx error bodies and
that clients may switch on; the message says what was wrong and what to do. The mapping
to HTTP statuses lives in the server, in one place, never here.

Hierarchy (modelled on httpx's single exceptions module)::

    CairnCryptoError                      code
    ├── AgeError                          "age_error"
    │   ├── MalformedHeader               "malformed_header"
    │   ├── UnsupportedVersion            "unsupported_age_version"
    │   ├── NoMatchingIdentity            "no_matching_identity"
    │   ├── HeaderMacMismatch             "bad_header_mac"
    │   ├── PayloadError                  "payload_error"
    │   │   ├── TruncatedPayload          "truncated_payload"
    │   │   └── TamperedPayload           "tampered_payload"
    │   ├── ArmorError                    "bad_armor"
    │   ├── UnsupportedRecipient          "unsupported_recipient"
    │   ├── IncompatibleRecipients        "incompatible_recipients"
    │   └── InvalidKeyText                "invalid_key_text"
    ├── SealedBatchError                  "sealed_batch_error"
    │   ├── MalformedEnvelope             "malformed_envelope"
    │   ├── UnsupportedEnvelopeVersion    "unsupported_envelope_version"
    │   ├── NotForUs                      "not_for_us"
    │   ├── BadSignature                  "bad_signature"
    │   ├── UnknownSigner                 "unknown_signer"
    │   ├── RevokedSigner                 "revoked_signer"
    │   └── RoutingMismatch               "routing_mismatch"
    ├── ReceiptError                      "receipt_error"
    │   ├── MalformedReceipt              "malformed_receipt"
    │   └── BadReceiptSignature           "bad_receipt_signature"
    └── KeyStoreError                     "key_store_error"

Opening a sealed batch can also raise the ``AgeError`` subclasses (for instance
``HeaderMacMismatch`` or ``TruncatedPayload`` for a damaged upload), except that "no
identity matched" is reported as ``NotForUs`` (a ``SealedBatchError``).
"""

from __future__ import annotations


class CairnCryptoError(Exception):
    """Base of every error raised by Cairn's crypto layer; ``code`` is stable."""

    code = "crypto_error"


class AgeError(CairnCryptoError):
    """An age file could not be produced or opened."""

    code = "age_error"


class MalformedHeader(AgeError):
    """The age header is not well formed (bad line, bad base64, bad stanza)."""

    code = "malformed_header"


class UnsupportedVersion(MalformedHeader):
    """The file is not age v1 (``age-encryption.org/v1``)."""

    code = "unsupported_age_version"


class NoMatchingIdentity(AgeError):
    """None of the identities we hold can open any recipient stanza."""

    code = "no_matching_identity"


class HeaderMacMismatch(AgeError):
    """The header MAC does not verify: the header was altered after encryption."""

    code = "bad_header_mac"


class PayloadError(AgeError):
    """The encrypted payload is damaged; only its authenticated prefix was released."""

    code = "payload_error"


class TruncatedPayload(PayloadError):
    """The payload ended before its final STREAM chunk."""

    code = "truncated_payload"


class TamperedPayload(PayloadError):
    """A payload chunk failed authentication, or data follows the final chunk."""

    code = "tampered_payload"


class ArmorError(AgeError):
    """The ASCII armor (PEM-like ``BEGIN AGE ENCRYPTED FILE``) is malformed."""

    code = "bad_armor"


class UnsupportedRecipient(AgeError):
    """A recipient or identity kind we do not implement (e.g. scrypt passphrases)."""

    code = "unsupported_recipient"


class IncompatibleRecipients(AgeError):
    """Recipients that age forbids in one file (post-quantum mixed with classic)."""

    code = "incompatible_recipients"


class InvalidKeyText(AgeError):
    """A recipient (``age1…``) or identity (``AGE-SECRET-KEY-…``) string is invalid."""

    code = "invalid_key_text"


class SealedBatchError(CairnCryptoError):
    """A sealed batch or sealed pull response was refused."""

    code = "sealed_batch_error"


class MalformedEnvelope(SealedBatchError):
    """The sealed bytes do not follow the sealed-batch layout (magic, lengths, msgpack)."""

    code = "malformed_envelope"


class UnsupportedEnvelopeVersion(SealedBatchError):
    """The sealed bytes use a format version this server or client does not know."""

    code = "unsupported_envelope_version"


class NotForUs(SealedBatchError):
    """The batch is not encrypted to any key we hold (unknown or wrong key id)."""

    code = "not_for_us"


class BadSignature(SealedBatchError):
    """The Ed25519 signature inside the batch does not verify."""

    code = "bad_signature"


class UnknownSigner(SealedBatchError):
    """The signing device is not enrolled here."""

    code = "unknown_signer"


class RevokedSigner(SealedBatchError):
    """The signing device's key was revoked."""

    code = "revoked_signer"


class RoutingMismatch(SealedBatchError):
    """The clear routing header disagrees with the signed routing fields inside."""

    code = "routing_mismatch"


class ReceiptError(CairnCryptoError):
    """A receipt could not be decoded or verified."""

    code = "receipt_error"


class MalformedReceipt(ReceiptError):
    """The receipt bytes are not a valid msgpack receipt."""

    code = "malformed_receipt"


class BadReceiptSignature(ReceiptError):
    """The receipt's signature does not verify with the server key given."""

    code = "bad_receipt_signature"


class KeyStoreError(CairnCryptoError):
    """A key directory is missing, incomplete or has unsafe permissions."""

    code = "key_store_error"
