"""The age X25519 recipient type: ``age1…`` recipients and ``AGE-SECRET-KEY-1…`` identities.

Algorithm: age-encryption.org/v1, "The X25519 recipient type" (C2SP age spec). To wrap a
file key: make an ephemeral X25519 key; share = its public key; shared secret = X25519
(ephemeral, recipient) — refused if all zero (low-order point); wrap key =
HKDF-SHA256(ikm=shared, salt=share || recipient, info="age-encryption.org/v1/X25519");
body = ChaCha20-Poly1305(wrap key, nonce = 12 zero bytes, file key). Stanza:
``-> X25519 base64(share)`` then the 32-byte body. Keys are Bech32 (BIP 173) with HRP
``age`` (recipient) and ``AGE-SECRET-KEY-`` (identity, upper case).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.age import bech32
from sync.age.header import Stanza, b64decode, b64encode
from sync.errors import InvalidKeyText, MalformedHeader

STANZA_TYPE = "X25519"
RECIPIENT_HRP = "age"
IDENTITY_HRP = "AGE-SECRET-KEY-"
_INFO = b"age-encryption.org/v1/X25519"
_ZERO_NONCE = b"\x00" * 12
_RAW = serialization.Encoding.Raw


def _pub_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def _wrap_key(shared: bytes, share: bytes, recipient: bytes) -> bytes:
    if shared == b"\x00" * 32:
        raise MalformedHeader("X25519 share is a low-order point; the file is malicious.")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=share + recipient, info=_INFO)
    return hkdf.derive(shared)


def unwrap_file_key(key: bytes, body: bytes) -> bytes | None:
    """Open a 32-byte stanza body with ChaCha20-Poly1305; None if the tag fails."""
    if len(body) != 32:
        raise MalformedHeader("recipient stanza body must wrap a 16-byte file key.")
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


def _exchange(private: X25519PrivateKey, public: bytes) -> bytes:
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:
        # cryptography refuses an all-zero result: the peer sent a low-order point.
        raise MalformedHeader("X25519 share is a low-order point; the file is malicious.") from None


class X25519Recipient:
    """An age X25519 recipient (public key)."""

    post_quantum = False

    def __init__(self, public: X25519PublicKey) -> None:
        """Wrap a cryptography X25519 public key."""
        self._public = public
        self._raw = _pub_bytes(public)

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        """Parse ``age1…``; raise InvalidKeyText if it is not an X25519 recipient."""
        hrp, data = bech32.decode(text.strip())
        if hrp != RECIPIENT_HRP or len(data) != 32:
            raise InvalidKeyText("not an age X25519 recipient; expected 'age1' + 58 characters.")
        return cls(X25519PublicKey.from_public_bytes(data))

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Wrap ``file_key`` for this recipient into one X25519 stanza."""
        ephemeral = X25519PrivateKey.generate()
        share = _pub_bytes(ephemeral.public_key())
        key = _wrap_key(_exchange(ephemeral, self._raw), share, self._raw)
        body = ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)
        return [Stanza(type=STANZA_TYPE, args=(b64encode(share),), body=body)]

    @property
    def raw(self) -> bytes:
        """The 32-byte public key."""
        return self._raw

    def __str__(self) -> str:
        """The Bech32 ``age1…`` text."""
        return bech32.encode(RECIPIENT_HRP, self._raw)

    def __repr__(self) -> str:
        """Show the recipient text."""
        return f"X25519Recipient({self})"

    def __eq__(self, other: object) -> bool:
        """Equal when the public keys are."""
        return isinstance(other, X25519Recipient) and other._raw == self._raw

    def __hash__(self) -> int:
        """Hash of the public key."""
        return hash(self._raw)


class X25519Identity:
    """An age X25519 identity (private key); never prints its secret."""

    def __init__(self, private: X25519PrivateKey) -> None:
        """Wrap a cryptography X25519 private key."""
        self._private = private
        self._public = _pub_bytes(private.public_key())

    @classmethod
    def generate(cls) -> X25519Identity:
        """Make a fresh random identity."""
        return cls(X25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        """Parse ``AGE-SECRET-KEY-1…``; raise InvalidKeyText if it is something else."""
        hrp, data = bech32.decode(text.strip())
        if hrp != IDENTITY_HRP.lower() or len(data) != 32:
            raise InvalidKeyText("not an age X25519 identity (AGE-SECRET-KEY-1…).")
        return cls(X25519PrivateKey.from_private_bytes(data))

    def recipient(self) -> X25519Recipient:
        """The matching public recipient."""
        return X25519Recipient(self._private.public_key())

    def unwrap(self, stanza: Stanza) -> bytes | None:
        """Return the file key if ``stanza`` is an X25519 stanza for us, else None."""
        if stanza.type != STANZA_TYPE:
            return None
        if len(stanza.args) != 1:
            raise MalformedHeader("X25519 stanza must have exactly one argument.")
        share = b64decode(stanza.args[0], "X25519 share")
        if len(share) != 32:
            raise MalformedHeader("X25519 share must be 32 bytes.")
        if len(stanza.body) != 32:
            raise MalformedHeader("X25519 stanza body must wrap a 16-byte file key.")
        key = _wrap_key(_exchange(self._private, share), share, self._public)
        return unwrap_file_key(key, stanza.body)

    def export_secret(self) -> str:
        """The secret ``AGE-SECRET-KEY-1…`` text — handle with care, never log it."""
        raw = self._private.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return bech32.encode(IDENTITY_HRP, raw)

    def __repr__(self) -> str:
        """Show only the public recipient, never the secret."""
        return f"X25519Identity(recipient={self.recipient()})"

    __str__ = __repr__
