"""docs/protocol.md §8 matches the implementation: every attachment vector reproduces."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import attachment as fmt
from sync.age import X25519Identity
from sync.keys import signing_public

DOC = Path(__file__).parents[2] / "docs/protocol.md"
DEVICE = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SERVER = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
FILE = b"hello, cairn\n"


def _hex(name: str) -> bytes:
    block = re.search(rf"```hex {name}\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None, f"{name} is missing from docs/protocol.md"
    return bytes.fromhex("".join(block.group(1).split()))


def _identity() -> X25519Identity:
    found = re.search(r"X25519 identity\n?\s*`(AGE-SECRET-KEY-1[0-9A-Z]+)`", DOC.read_text())
    assert found is not None
    return X25519Identity.parse(found.group(1))


def test_the_documented_header_frame_is_what_the_device_signs() -> None:
    out = io.BytesIO()
    head = fmt.seal_attachment(
        io.BytesIO(FILE),
        out,
        sha256=hashlib.sha256(FILE).hexdigest(),
        size=len(FILE),
        media_type="application/octet-stream",
        device_id="dev-1",
        device_signing_key=DEVICE,
        server_recipient=_identity().recipient(),
        server_key_id="0123456789abcdef",
        signed_at=1_700_000_000_000,
    )
    assert head.frame() == _hex("example-attachment-frame")
    assert head.upload_id.hex() in DOC.read_text()
    assert out.getvalue().startswith(head.frame())


def test_the_documented_sealed_attachment_opens_verifies_and_hashes() -> None:
    sealed = _hex("example-sealed-attachment")
    source = io.BytesIO(sealed)
    head = fmt.read_head(source)
    header = fmt.verify_attachment_header(head, signing_public(DEVICE))
    assert (header.device_id, header.size, header.key_id) == ("dev-1", 13, "0123456789abcdef")
    plain = io.BytesIO()
    fmt.open_payload(source, head, [_identity()], plain)
    assert plain.getvalue() == FILE
    # One bit changed in the payload: refused, and nothing but the authenticated prefix out.
    bad = bytearray(sealed)
    bad[-1] ^= 1
    tampered = io.BytesIO(bytes(bad))
    head = fmt.read_head(tampered)
    try:
        fmt.open_payload(tampered, head, [_identity()], io.BytesIO())
    except Exception as exc:
        assert getattr(exc, "code", "") == "tampered_payload"
    else:
        raise AssertionError("a tampered payload opened")


def test_the_documented_chunk_is_what_the_device_sends() -> None:
    frame = _hex("example-attachment-frame")
    upload = hashlib.sha256(frame).digest()
    chunk = fmt.seal_chunk(
        b"",
        device_id="dev-1",
        upload=upload,
        sha256=hashlib.sha256(FILE).digest(),
        offset=0,
        final=False,
        device_signing_key=DEVICE,
        signed_at=1_700_000_000_001,
    )
    assert chunk == _hex("example-attachment-chunk")
    parsed = fmt.parse_chunk(chunk)
    assert fmt.verify_chunk(parsed, signing_public(DEVICE)).upload == upload


def test_the_documented_receipt_verifies_with_the_documented_server_key() -> None:
    public = signing_public(SERVER)
    assert public.hex() in DOC.read_text()
    receipt = fmt.verify_attachment_receipt(_hex("example-attachment-receipt"), public)
    assert (receipt.device_id, receipt.size, receipt.audit_seq) == ("dev-1", 13, 7)
    assert receipt.sha256 == hashlib.sha256(FILE).hexdigest()
    assert receipt.server_key_id == "fedcba9876543210"
