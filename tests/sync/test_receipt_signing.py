"""Signed receipts: round trip, tamper detection, wrong key, schema evolution."""

from __future__ import annotations

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from sync import errors
from sync.keys import ServerKeys, signing_public
from sync.receipt import Receipt, RefusedOp, SignedReceipt, sign_receipt, verify_receipt

KEYS = ServerKeys.generate(hybrid=False)
PUBLIC = signing_public(KEYS.signing_key)
RECEIPT = Receipt(
    batch_id="b-1",
    device_id="dev-1",
    seq=7,
    sealed_sha256="ab" * 32,
    received_at=1_700_000_000_000,
    audit_head="cd" * 32,
    missing_seqs=[2, 5],
    refused=[RefusedOp(index=3, reason="unknown form", code="unknown_form", dot=("dev-1", 9))],
    accepted_ops=41,
)


def test_round_trip_stamps_key_id() -> None:
    """A signed receipt verifies and carries the signing key's id."""
    got = verify_receipt(sign_receipt(RECEIPT, KEYS.signing_key, KEYS.signing_key_id), PUBLIC)
    assert got == msgspec.structs.replace(RECEIPT, server_key_id=KEYS.signing_key_id)


def test_wrong_server_key_fails() -> None:
    """A receipt checked against another server's key is refused."""
    wire = sign_receipt(RECEIPT, KEYS.signing_key, KEYS.signing_key_id)
    with pytest.raises(errors.BadReceiptSignature):
        verify_receipt(wire, signing_public(Ed25519PrivateKey.generate()))


@given(st.data())
def test_any_single_bit_flip_is_refused(data: st.DataObject) -> None:
    """Flipping any bit of the wire bytes never yields an accepted receipt."""
    wire = bytearray(sign_receipt(RECEIPT, KEYS.signing_key, KEYS.signing_key_id))
    bit = data.draw(st.integers(0, len(wire) * 8 - 1))
    wire[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(errors.ReceiptError):
        verify_receipt(bytes(wire), PUBLIC)


def test_altered_receipt_body_with_valid_msgpack_is_refused() -> None:
    """Re-encoding a changed receipt under the old signature fails."""
    env = msgspec.msgpack.decode(
        sign_receipt(RECEIPT, KEYS.signing_key, KEYS.signing_key_id), type=SignedReceipt
    )
    forged = msgspec.structs.replace(RECEIPT, accepted_ops=0, server_key_id=KEYS.signing_key_id)
    wire = msgspec.msgpack.encode(
        msgspec.structs.replace(env, receipt=msgspec.msgpack.encode(forged))
    )
    with pytest.raises(errors.BadReceiptSignature):
        verify_receipt(wire, PUBLIC)


class _OldReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """The first receipt schema, before missing_seqs/refused/accepted_ops existed."""

    batch_id: str
    device_id: str
    seq: int
    sealed_sha256: str
    received_at: int
    audit_head: str
    server_key_id: str = ""


def test_old_receipt_still_decodes() -> None:
    """A receipt from an older server (fewer fields) verifies and gets defaults."""
    old = _OldReceipt(
        batch_id="b-1",
        device_id="d",
        seq=1,
        sealed_sha256="00" * 32,
        received_at=1,
        audit_head="11" * 32,
        server_key_id=KEYS.signing_key_id,
    )
    body = msgspec.msgpack.encode(old)
    sig = KEYS.signing_key.sign(b"cairn-receipt/1\x00" + body)
    wire = msgspec.msgpack.encode(
        SignedReceipt(receipt=body, key_id=KEYS.signing_key_id, signature=sig)
    )
    got = verify_receipt(wire, PUBLIC)
    assert got.missing_seqs == [] and got.refused == [] and got.accepted_ops == 0
