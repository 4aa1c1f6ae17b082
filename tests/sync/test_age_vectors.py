"""Every official age test vector (C2SP/CCTV age/testdata) against sync.age.

One test per file: success → SHA-256 of the plaintext matches; each failure kind → its
error class; payload failures → the released plaintext prefix matches ``payload``.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path

import pytest

from sync import errors
from sync.age import decrypt, parse_identity

# Vendored from C2SP/CCTV (commit and licence in the folder's README.md and LICENSE), so
# a clean clone runs every vector instead of skipping them.
VECTORS = Path(__file__).parents[1] / "testdata/age"

EXPECTED_ERROR: dict[str, type[Exception]] = {
    "no match": errors.NoMatchingIdentity,
    "HMAC failure": errors.HeaderMacMismatch,
    "header failure": errors.MalformedHeader,
    "payload failure": errors.PayloadError,
    "armor failure": errors.ArmorError,
}
NAMES = sorted(p.name for p in VECTORS.iterdir() if p.name not in {"README.md", "LICENSE"})


def _load(name: str) -> tuple[dict[str, list[str]], bytes]:
    raw = (VECTORS / name).read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    if fields.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return fields, body


def test_vectors_are_all_present() -> None:
    """The vendored set is complete enough to mean something (catches an empty copy)."""
    assert len(NAMES) >= 140


@pytest.mark.parametrize("name", NAMES)
def test_age_vector(name: str) -> None:
    """The vector decrypts, or fails with the error class the vector names."""
    fields, body = _load(name)
    if "passphrase" in fields:
        pytest.skip("scrypt passphrases not offered")
    expect = fields["expect"][0]
    identities = [parse_identity(text) for text in fields.get("identity", [])]
    armored = fields.get("armored") == ["yes"]
    out = io.BytesIO()
    if expect == "success":
        decrypt(io.BytesIO(body), out, identities, armored=armored)
    else:
        with pytest.raises(EXPECTED_ERROR[expect]):
            decrypt(io.BytesIO(body), out, identities, armored=armored)
    if "payload" in fields:
        assert hashlib.sha256(out.getvalue()).hexdigest() == fields["payload"][0]
    elif expect != "success":
        assert out.getvalue() == b""
