"""age v1 file encryption (age-encryption.org/v1) on the ``cryptography`` package.

X25519 and post-quantum ``mlkem768x25519`` recipients, ASCII armor, streaming in 64 KiB
chunks with memory independent of file size. See the modules for each algorithm and its
source: ``bech32``, ``header``, ``stream``, ``x25519``, ``hybrid``, ``armor``, ``file``,
``keyfile``.
"""

from sync.age.armor import ArmoredReader, ArmoredWriter
from sync.age.file import (
    Encryptor,
    Identity,
    Recipient,
    decrypt,
    decrypt_bytes,
    encrypt,
    encrypt_bytes,
)
from sync.age.header import Stanza
from sync.age.hybrid import HybridIdentity, HybridRecipient
from sync.age.keyfile import (
    AnyIdentity,
    AnyRecipient,
    format_identity_file,
    parse_identity,
    parse_identity_file,
    parse_recipient,
    read_identity_file,
    write_identity_file,
)
from sync.age.x25519 import X25519Identity, X25519Recipient


def generate_x25519() -> X25519Identity:
    """A fresh X25519 identity (``AGE-SECRET-KEY-1…``)."""
    return X25519Identity.generate()


def generate_hybrid() -> HybridIdentity:
    """A fresh post-quantum mlkem768x25519 identity (``AGE-SECRET-KEY-PQ-1…``)."""
    return HybridIdentity.generate()


__all__ = [
    "AnyIdentity",
    "AnyRecipient",
    "ArmoredReader",
    "ArmoredWriter",
    "Encryptor",
    "HybridIdentity",
    "HybridRecipient",
    "Identity",
    "Recipient",
    "Stanza",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "decrypt_bytes",
    "encrypt",
    "encrypt_bytes",
    "format_identity_file",
    "generate_hybrid",
    "generate_x25519",
    "parse_identity",
    "parse_identity_file",
    "parse_recipient",
    "read_identity_file",
    "write_identity_file",
]
