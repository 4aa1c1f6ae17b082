"""docs/protocol.md matches the implementation: its worked example reproduces exactly."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import errors, sealed
from sync.keys import ServerKeys, signing_public

DOC = Path(__file__).parents[2] / "docs/protocol.md"


def _example() -> bytes:
    block = re.search(r"```hex example-signed-batch\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None, "the worked example is missing from docs/protocol.md"
    return bytes.fromhex("".join(block.group(1).split()))


def test_documented_signed_batch_verifies_with_the_documented_key() -> None:
    """The hex in the doc verifies with the public key derived from seed 00..1f."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public = signing_public(key)
    assert public.hex() in DOC.read_text()
    verified = sealed.verify_batch_signature(_example(), public)
    assert verified.body == msgspec.msgpack.encode([{"k": "set", "f": {"skull": "present"}}])
    assert verified.header.routing() == sealed.Routing(
        device_id="dev-1", batch_id="b-1", seq=1, key_id="0123456789abcdef"
    )


def test_documented_signed_batch_is_what_we_produce() -> None:
    """Sealing the documented inputs yields the documented signed batch byte for byte."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    keys = ServerKeys.generate(hybrid=False)
    raw = sealed.seal_batch(
        msgspec.msgpack.encode([{"k": "set", "f": {"skull": "present"}}]),
        device_id="dev-1",
        batch_id="b-1",
        seq=1,
        device_signing_key=key,
        server_recipient=keys.current.recipient,
        server_key_id="0123456789abcdef",
        signed_at=1_700_000_000_000,
    )
    assert sealed.extract_signed_batch(raw, {"x": keys.current.identity}) == _example()


def test_every_error_code_in_the_doc_exists() -> None:
    """Each code in the doc's table is some error class's code, and vice versa for sealing."""
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.CairnCryptoError)
    }
    section = DOC.read_text().split("## 6. Error codes")[1].split("## 7.")[0]
    documented = set(re.findall(r"^\| `([a-z_]+)`", section, re.M))
    assert documented <= codes
    for cls in (errors.NotForUs, errors.BadSignature, errors.RoutingMismatch):
        assert cls.code in documented
