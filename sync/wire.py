"""Device ↔ server messages other than sealed batches and receipts (see docs/protocol.md).

Enrollment is the one exchange that cannot be sealed (the device has no server key yet);
it travels as plain msgpack over the connection to the server. A pull request is signed
by the device (so only enrolled, unrevoked devices are served) and the answer is a sealed
pull response: encrypted to the device's own key and signed by the server.

Schema evolution (msgspec rules): fields are never reordered or retyped; new fields are
appended with defaults, so old devices keep working.
"""

from __future__ import annotations

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PULL_DOMAIN = b"cairn-pull-request/1\x00"


class EnrollRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A device's first contact: the one-time code and its public keys."""

    code: str
    signing_public: bytes
    encryption_recipient: str
    label: str = ""


class EnrollResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The server's answer: who the device now is, and the server's public keys."""

    device_id: str
    project: str
    server_signing_public: bytes
    server_signing_key_id: str
    batch_recipient: str
    batch_key_id: str
    server_time_ms: int


class PullRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Ask for ops after `cursor`; signed by the device's Ed25519 key."""

    device_id: str
    cursor: int
    limit: int
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """What the signature covers: a domain tag and the request fields."""
        return PULL_DOMAIN + _ENC.encode([self.device_id, self.cursor, self.limit])

    def sign(self, key: Ed25519PrivateKey) -> PullRequest:
        """This request with the device's signature."""
        return msgspec.structs.replace(self, signature=key.sign(self.signed_bytes()))

    def verify(self, public: bytes) -> bool:
        """True when the signature is the device's."""
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(self.signature, self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True


class PullPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of ops for a device (the plaintext inside a sealed pull response).

    `ops` are the msgpack encodings of the ops exactly as stored; `suspect` lists the dots
    (actor, counter) whose clocks the server flagged at receipt.
    """

    ops: list[msgspec.Raw]
    cursor: int
    more: bool
    server_time_ms: int
    suspect: list[tuple[str, int]] = []
    # The key new batches should be encrypted to (it changes when the server rotates).
    batch_key_id: str = ""
    batch_recipient: str = ""
    # Who the project's actors are, for people reading conflicts on the device: actor id ->
    # label (a device's label, or a supervisor's or admin's token label and role).
    labels: dict[str, str] = {}


_ENC = msgspec.msgpack.Encoder()
ENROLL_REQUEST = msgspec.msgpack.Decoder(EnrollRequest)
ENROLL_RESPONSE = msgspec.msgpack.Decoder(EnrollResponse)
PULL_REQUEST = msgspec.msgpack.Decoder(PullRequest)
PULL_PAGE = msgspec.msgpack.Decoder(PullPage)


def encode(message: msgspec.Struct) -> bytes:
    """msgpack bytes of a wire message."""
    return _ENC.encode(message)
