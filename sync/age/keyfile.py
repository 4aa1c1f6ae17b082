"""Parsing age key text and reading/writing identity files as ``age-keygen`` writes them.

Algorithm: the age identity-file format (age(1) man page, "IDENTITY FILES"): UTF-8 text,
one identity per line, blank lines and lines starting with ``#`` ignored. age-keygen
writes ``# created: <RFC 3339 time>``, ``# public key: <recipient>`` and the secret line.
Files are created with mode 0600 (the secret never touches a world-readable inode) and
written as `sync.durable` writes: a new file renamed over the old, never truncated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sync import durable
from sync.age.hybrid import HybridIdentity, HybridRecipient
from sync.age.x25519 import X25519Identity, X25519Recipient
from sync.errors import InvalidKeyText, UnsupportedRecipient

AnyIdentity = X25519Identity | HybridIdentity
AnyRecipient = X25519Recipient | HybridRecipient


def parse_recipient(text: str) -> AnyRecipient:
    """Parse ``age1…`` (X25519) or ``age1pq1…`` (mlkem768x25519) recipient text."""
    text = text.strip()
    lower = text.lower()
    if lower.startswith("age1pq1"):
        return HybridRecipient.parse(text)
    if lower.startswith("age1"):
        return X25519Recipient.parse(text)
    raise UnsupportedRecipient(
        "unsupported recipient: expected age1… or age1pq1…; SSH and plugin recipients "
        "are not offered."
    )


def parse_identity(text: str) -> AnyIdentity:
    """Parse ``AGE-SECRET-KEY-1…`` or ``AGE-SECRET-KEY-PQ-1…`` identity text."""
    text = text.strip()
    upper = text.upper()
    if upper.startswith("AGE-SECRET-KEY-PQ-1"):
        return HybridIdentity.parse(text)
    if upper.startswith("AGE-SECRET-KEY-1"):
        return X25519Identity.parse(text)
    raise UnsupportedRecipient(
        "unsupported identity: expected AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…."
    )


def parse_identity_file(text: str) -> list[AnyIdentity]:
    """Parse every identity in an identity file's text (comments and blanks skipped)."""
    identities = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(parse_identity(line))
        except (InvalidKeyText, UnsupportedRecipient) as err:
            raise InvalidKeyText(f"identity file line {number}: {err}") from None
    if not identities:
        raise InvalidKeyText("the identity file holds no identity.")
    return identities


def format_identity_file(identity: AnyIdentity, created: dt.datetime | None = None) -> str:
    """Render ``identity`` the way age-keygen does (with comments)."""
    created = created or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return (
        f"# created: {created.isoformat().replace('+00:00', 'Z')}\n"
        f"# public key: {identity.recipient()}\n"
        f"{identity.export_secret()}\n"
    )


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600 from creation on, durably (never truncated)."""
    durable.write_file(path, text, 0o600)


def write_identity_file(path: Path, identity: AnyIdentity) -> None:
    """Save ``identity`` as an age-keygen style file with mode 0600."""
    write_private_file(path, format_identity_file(identity))


def read_identity_file(path: Path) -> list[AnyIdentity]:
    """Read every identity in an age identity file."""
    return parse_identity_file(path.read_text(encoding="utf-8"))
