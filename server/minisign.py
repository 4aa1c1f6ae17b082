"""Minisign-format signatures made with the server's Ed25519 key, verifiable by `minisign -V`.

Format (jedisct1/minisign, "ED" prehashed algorithm, the default since minisign 0.10):

    public key file:  "untrusted comment: <text>\\n" + base64("Ed" || key_id[8] || pk[32]) + "\\n"
    signature file:   "untrusted comment: <text>\\n"
                      + base64("ED" || key_id[8] || Ed25519(BLAKE2b-512(message))) + "\\n"
                      + "trusted comment: <text>\\n"
                      + base64(Ed25519(signature[64] || trusted_comment)) + "\\n"

The key id is 8 bytes; we derive it from the public key (first 8 bytes of its SHA-256) so
the same server key always has the same id.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class MinisignError(ValueError):
    """A minisign key or signature that is malformed or does not verify."""


def key_id(public: Ed25519PublicKey) -> bytes:
    """The 8-byte key id we use for a public key."""
    return hashlib.sha256(_raw(public)).digest()[:8]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_file(public: Ed25519PublicKey) -> str:
    """The public key in minisign's file format (`minisign -p FILE`)."""
    kid = key_id(public)
    comment = f"minisign public key {int.from_bytes(kid, 'little'):016X}"
    blob = base64.b64encode(b"Ed" + kid + _raw(public)).decode()
    return f"untrusted comment: {comment}\n{blob}\n"


def sign(private: Ed25519PrivateKey, message: bytes, trusted_comment: str) -> str:
    """A minisign signature file for `message` (prehashed with BLAKE2b-512)."""
    if "\n" in trusted_comment or "\r" in trusted_comment:
        raise MinisignError("a trusted comment is one line")
    kid = key_id(private.public_key())
    signature = private.sign(hashlib.blake2b(message, digest_size=64).digest())
    global_sig = private.sign(signature + trusted_comment.encode())
    return (
        "untrusted comment: signature from the Cairn server key\n"
        f"{base64.b64encode(b'ED' + kid + signature).decode()}\n"
        f"trusted comment: {trusted_comment}\n"
        f"{base64.b64encode(global_sig).decode()}\n"
    )


def parse_public_key_file(text: str) -> tuple[bytes, Ed25519PublicKey]:
    """(key id, public key) from a minisign public key file."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise MinisignError("a minisign public key file has a comment line and a key line")
    try:
        blob = base64.b64decode(lines[1], validate=True)
    except ValueError as exc:
        raise MinisignError("the public key line is not base64") from exc
    if len(blob) != 42 or blob[:2] != b"Ed":
        raise MinisignError("not an Ed25519 minisign public key")
    return blob[2:10], Ed25519PublicKey.from_public_bytes(blob[10:])


def verify(public_file: str, message: bytes, signature_file: str) -> str:
    """Check a signature file against a message; return the trusted comment."""
    kid, public = parse_public_key_file(public_file)
    lines = signature_file.splitlines()
    if len(lines) < 4 or not lines[2].startswith("trusted comment: "):
        raise MinisignError("malformed minisign signature file")
    try:
        blob = base64.b64decode(lines[1], validate=True)
        global_sig = base64.b64decode(lines[3], validate=True)
    except ValueError as exc:
        raise MinisignError("malformed minisign signature file") from exc
    if len(blob) != 74 or blob[:2] not in (b"ED", b"Ed"):
        raise MinisignError("unsupported minisign signature algorithm")
    if blob[2:10] != kid:
        raise MinisignError("the signature was made with another key")
    signature = blob[10:]
    digest = hashlib.blake2b(message, digest_size=64).digest() if blob[:2] == b"ED" else message
    trusted = lines[2][len("trusted comment: ") :]
    try:
        public.verify(signature, digest)
        public.verify(global_sig, signature + trusted.encode())
    except InvalidSignature as exc:
        raise MinisignError("signature verification failed") from exc
    return trusted
