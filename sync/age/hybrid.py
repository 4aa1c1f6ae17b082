"""The age post-quantum hybrid recipient type ``mlkem768x25519`` (age 1.3).

Algorithm: C2SP age spec, "The mlkem768x25519 recipient type" (age v1.3.0). The file key
is sealed with HPKE (RFC 9180) in base mode with KEM MLKEM768-X25519 (the X-Wing-style
hybrid of ML-KEM-768, FIPS 203, and X25519, from draft-ietf-hpke-pq), KDF HKDF-SHA256,
AEAD ChaCha20-Poly1305 and info ``age-encryption.org/mlkem768x25519``. Stanza:
``-> mlkem768x25519 base64(enc)`` (enc: 1088-byte ML-KEM ciphertext || 32-byte X25519
share) and the 32-byte HPKE ciphertext as body. The identity is a 32-byte seed, expanded
with SHAKE256 to 96 bytes: the first 64 seed ML-KEM-768 (d || z), the last 32 are the
X25519 scalar. Keys are Bech32 with HRP ``age1pq`` (1216-byte public key: ML-KEM
encapsulation key || X25519 public key) and ``AGE-SECRET-KEY-PQ-`` (the seed).
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from sync.age import bech32
from sync.age.header import Stanza, b64decode, b64encode
from sync.errors import InvalidKeyText, MalformedHeader

STANZA_TYPE = "mlkem768x25519"
RECIPIENT_HRP = "age1pq"
IDENTITY_HRP = "AGE-SECRET-KEY-PQ-"
INFO = b"age-encryption.org/mlkem768x25519"
MLKEM_PUBLIC_SIZE = 1184
MLKEM_CT_SIZE = 1088
ENC_SIZE = MLKEM_CT_SIZE + 32
_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
_RAW = serialization.Encoding.Raw


class HybridRecipient:
    """An age ``mlkem768x25519`` recipient (post-quantum hybrid public key)."""

    post_quantum = True

    def __init__(self, mlkem: MLKEM768PublicKey, x25519: X25519PublicKey) -> None:
        """Combine the ML-KEM-768 and X25519 public halves."""
        self._public = hpke.MLKEM768X25519PublicKey(mlkem, x25519)
        self._raw = mlkem.public_bytes_raw() + x25519.public_bytes(
            _RAW, serialization.PublicFormat.Raw
        )

    @classmethod
    def parse(cls, text: str) -> HybridRecipient:
        """Parse ``age1pq1…``; raise InvalidKeyText if it is something else."""
        hrp, data = bech32.decode(text.strip())
        if hrp != RECIPIENT_HRP or len(data) != MLKEM_PUBLIC_SIZE + 32:
            raise InvalidKeyText("not an age mlkem768x25519 recipient (age1pq1…).")
        try:
            mlkem = MLKEM768PublicKey.from_public_bytes(data[:MLKEM_PUBLIC_SIZE])
        except ValueError:
            raise InvalidKeyText("the ML-KEM-768 half of this recipient is invalid.") from None
        return cls(mlkem, X25519PublicKey.from_public_bytes(data[MLKEM_PUBLIC_SIZE:]))

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Seal ``file_key`` with HPKE into one mlkem768x25519 stanza."""
        sealed = _SUITE.encrypt(file_key, self._public, info=INFO)
        enc, body = sealed[:ENC_SIZE], sealed[ENC_SIZE:]
        return [Stanza(type=STANZA_TYPE, args=(b64encode(enc),), body=body)]

    @property
    def raw(self) -> bytes:
        """The 1216-byte public key."""
        return self._raw

    def __str__(self) -> str:
        """The Bech32 ``age1pq1…`` text."""
        return bech32.encode(RECIPIENT_HRP, self._raw)

    def __repr__(self) -> str:
        """Show a prefix of the (long) recipient text."""
        return f"HybridRecipient({str(self)[:24]}…)"

    def __eq__(self, other: object) -> bool:
        """Equal when the public keys are."""
        return isinstance(other, HybridRecipient) and other._raw == self._raw

    def __hash__(self) -> int:
        """Hash of the public key."""
        return hash(self._raw)


class HybridIdentity:
    """An age ``mlkem768x25519`` identity (32-byte seed); never prints its secret."""

    def __init__(self, seed: bytes) -> None:
        """Expand ``seed`` into the ML-KEM-768 and X25519 private keys."""
        if len(seed) != 32:
            raise InvalidKeyText("an mlkem768x25519 identity seed is 32 bytes.")
        expanded = hashlib.shake_256(seed).digest(96)
        self._seed = seed
        self._mlkem = MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        self._x25519 = X25519PrivateKey.from_private_bytes(expanded[64:])
        self._private = hpke.MLKEM768X25519PrivateKey(self._mlkem, self._x25519)

    @classmethod
    def generate(cls) -> HybridIdentity:
        """Make a fresh random identity."""
        return cls(os.urandom(32))

    @classmethod
    def parse(cls, text: str) -> HybridIdentity:
        """Parse ``AGE-SECRET-KEY-PQ-1…``; raise InvalidKeyText if it is something else."""
        hrp, data = bech32.decode(text.strip())
        if hrp != IDENTITY_HRP.lower() or len(data) != 32:
            raise InvalidKeyText("not an age mlkem768x25519 identity (AGE-SECRET-KEY-PQ-1…).")
        return cls(data)

    def recipient(self) -> HybridRecipient:
        """The matching public recipient."""
        return HybridRecipient(self._mlkem.public_key(), self._x25519.public_key())

    def unwrap(self, stanza: Stanza) -> bytes | None:
        """Return the file key if ``stanza`` is an mlkem768x25519 stanza for us, else None."""
        if stanza.type != STANZA_TYPE:
            return None
        if len(stanza.args) != 1:
            raise MalformedHeader("mlkem768x25519 stanza must have exactly one argument.")
        enc = b64decode(stanza.args[0], "mlkem768x25519 enc")
        if len(enc) != ENC_SIZE:
            raise MalformedHeader(f"mlkem768x25519 enc must be {ENC_SIZE} bytes.")
        if len(stanza.body) != 32:
            raise MalformedHeader("mlkem768x25519 stanza body must wrap a 16-byte file key.")
        try:
            self._x25519.exchange(X25519PublicKey.from_public_bytes(enc[MLKEM_CT_SIZE:]))
        except ValueError:
            raise MalformedHeader(
                "mlkem768x25519 share is a low-order X25519 point; the file is malicious."
            ) from None
        try:
            return _SUITE.decrypt(enc + stanza.body, self._private, info=INFO)
        except (InvalidTag, ValueError):
            return None

    def export_secret(self) -> str:
        """The secret ``AGE-SECRET-KEY-PQ-1…`` text — handle with care, never log it."""
        return bech32.encode(IDENTITY_HRP, self._seed)

    def __repr__(self) -> str:
        """Show only a prefix of the public recipient, never the secret."""
        return f"HybridIdentity(recipient={str(self.recipient())[:24]}…)"

    __str__ = __repr__
