"""The archive manifest: every file with its size and SHA-256, counts, ranges, and who.

`manifest.json` is signed by the server's Ed25519 key in minisign format
(`manifest.json.minisig`, checked with `minisign -V -p cairn.pub -m manifest.json`), and
`SHA256SUMS` repeats the hashes in `sha256sum -c` format for every file except itself and
the signature. The manifest is plain, indented, key-sorted JSON so that a person can read
it and a tool written decades from now can parse it.
"""

from __future__ import annotations

import json
import re

import msgspec

FORMAT = "cairn-archive/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
PUBLIC_KEY = "cairn.pub"
SUMS = "SHA256SUMS"
# Files the manifest cannot list: itself, the signature over it, and SHA256SUMS (made from it).
UNLISTED = frozenset({MANIFEST, SIGNATURE, SUMS})
# Files SHA256SUMS does not list: itself and the signature files.
UNSUMMED = frozenset({SUMS, SIGNATURE})


class FileEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One file of the archive."""

    path: str
    size: int
    sha256: str


class Range(msgspec.Struct, frozen=True, kw_only=True):
    """An inclusive range of sequence numbers (0, 0 when empty)."""

    first: int
    last: int


class AuditRange(msgspec.Struct, frozen=True, kw_only=True):
    """The entries of the project's audit chain included, and its head at export time."""

    first: int
    last: int
    head: str
    chain: str = ""  # "project:CODE"; empty in archives from before per-project chains


class MissingAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A file records of the project reference that the archive does not hold, and why."""

    sha256: str
    reason: str  # "not_received" (still on a device) or "damaged" (fails its hash here)
    record_ids: list[str]
    devices: list[str]  # the actors whose ops reference it: who still holds the file


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """What an archive holds and where it comes from."""

    format: str = FORMAT
    project: str
    project_name: str
    instance_id: str
    exported_at_ms: int
    exported_at: str
    exported_by: str
    signing_key_id: str
    counts: dict[str, int]
    op_cursor: Range
    audit: AuditRange
    files: list[FileEntry]
    # Referenced files the archive does not hold (absent in archives made before attachments).
    missing_attachments: list[MissingAttachment] = msgspec.field(default_factory=list)


_DECODER = msgspec.json.Decoder(Manifest)
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def encode_manifest(manifest: Manifest) -> bytes:
    """The manifest as readable, indented, key-sorted JSON."""
    plain = msgspec.to_builtins(manifest)
    return (json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def decode_manifest(data: bytes) -> Manifest:
    """Parse manifest.json (raises msgspec.DecodeError / ValidationError if malformed)."""
    return _DECODER.decode(data)


def sha256sums(files: list[FileEntry]) -> bytes:
    """SHA256SUMS text in `sha256sum` format (two spaces: text mode, as coreutils writes)."""
    return "".join(f"{f.sha256}  {f.path}\n" for f in files if f.path not in UNSUMMED).encode()


def parse_sha256sums(data: bytes) -> dict[str, str]:
    """{path: sha256} from SHA256SUMS; a malformed line raises ValueError."""
    out: dict[str, str] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        match = _SUM_LINE.match(line)
        if match is None:
            raise ValueError(f"SHA256SUMS line {number} is not '<sha256>  <path>'")
        out[match.group(2)] = match.group(1)
    return out


def trusted_comment(manifest: Manifest, manifest_sha256: str) -> str:
    """The one signed line minisign prints on success."""
    return (
        f"cairn archive project={manifest.project} exported_at={manifest.exported_at}"
        f" by={manifest.exported_by} manifest_sha256={manifest_sha256}"
    )
