"""The backup manifest: every file with its size and SHA-256, counts and audit heads.

Readable, indented, key-sorted JSON like an archive's (`server.export.manifest`), signed
the same way (`minisign -V -p cairn.pub -m manifest.json`).
"""

from __future__ import annotations

import json

import msgspec

from server.export.manifest import FileEntry

FORMAT = "cairn-backup/1"
DATA = "data"  # the data directory, inside the tar's top directory


class Head(msgspec.Struct, frozen=True, kw_only=True):
    """An audit chain's last entry: its number and hash."""

    seq: int
    hash: str


class BackupManifest(msgspec.Struct, frozen=True, kw_only=True):
    """What a backup holds and where it comes from."""

    format: str = FORMAT
    instance_id: str
    made_at_ms: int
    made_at: str
    made_by: str
    signing_key_id: str
    schema_version: int
    counts: dict[str, int]
    audit_heads: dict[str, Head]
    legacy_audit_head: Head
    files: list[FileEntry]


_DECODER = msgspec.json.Decoder(BackupManifest)


def encode_manifest(manifest: BackupManifest) -> bytes:
    """The manifest as readable, indented, key-sorted JSON."""
    plain = msgspec.to_builtins(manifest)
    return (json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def decode_manifest(data: bytes) -> BackupManifest:
    """Parse manifest.json (raises msgspec.DecodeError / ValidationError if malformed)."""
    return _DECODER.decode(data)


def trusted_comment(manifest: BackupManifest, manifest_sha256: str) -> str:
    """The one signed line minisign prints on success."""
    return (
        f"cairn backup instance={manifest.instance_id} made_at={manifest.made_at}"
        f" by={manifest.made_by} manifest_sha256={manifest_sha256}"
    )
