"""Laws of our age implementation: decrypt(encrypt(x)) == x for every kind and shape."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import age, errors

X = age.generate_x25519()
PQ = age.generate_hybrid()


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=200_000), armor=st.booleans(), pq=st.booleans())
def test_decrypt_inverts_encrypt(data: bytes, armor: bool, pq: bool) -> None:
    """Any bytes, either recipient kind, armored or not, come back exactly."""
    identity = PQ if pq else X
    sealed = age.encrypt_bytes(data, [identity.recipient()], armor=armor)
    assert age.decrypt_bytes(sealed, [identity]) == data


@given(st.lists(st.binary(max_size=70_000), max_size=6))
@settings(max_examples=25, deadline=None)
def test_encryptor_is_independent_of_write_boundaries(parts: list[bytes]) -> None:
    """However writes are split, the plaintext that comes back is their concatenation."""
    out = io.BytesIO()
    with age.Encryptor(out, [X.recipient()]) as enc:
        for part in parts:
            enc.write(part)
    assert age.decrypt_bytes(out.getvalue(), [X]) == b"".join(parts)


def test_many_recipients_each_can_decrypt() -> None:
    """Every recipient of a multi-recipient file can open it alone."""
    others = [age.generate_hybrid() for _ in range(2)]
    sealed = age.encrypt_bytes(b"evidence", [PQ.recipient(), *(o.recipient() for o in others)])
    for identity in (PQ, *others):
        assert age.decrypt_bytes(sealed, [X, identity]) == b"evidence"
    with pytest.raises(errors.NoMatchingIdentity):
        age.decrypt_bytes(sealed, [X])


def test_mixing_post_quantum_and_classic_is_refused() -> None:
    """As in age 1.3, one file is either all post-quantum or all classic."""
    with pytest.raises(errors.IncompatibleRecipients):
        age.encrypt_bytes(b"x", [X.recipient(), PQ.recipient()])
    with pytest.raises(errors.IncompatibleRecipients):
        age.encrypt_bytes(b"x", [])


@pytest.mark.parametrize("identity", [X, PQ], ids=["x25519", "hybrid"])
def test_key_text_round_trips(identity: age.AnyIdentity) -> None:
    """Recipient and identity text parse back to the same keys."""
    text = str(identity.recipient())
    assert age.parse_recipient(text) == identity.recipient()
    assert age.parse_recipient(text.upper()) == identity.recipient()
    again = age.parse_identity(identity.export_secret())
    assert again.recipient() == identity.recipient()
    assert identity.export_secret() == identity.export_secret().upper()


def test_armor_is_detected_when_not_told() -> None:
    """decrypt_bytes with armored=None opens both encodings."""
    for armor in (False, True):
        sealed = age.encrypt_bytes(b"body 12", [X.recipient()], armor=armor)
        assert sealed.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n") == armor
        assert age.decrypt_bytes(b" \n\t\n" + sealed if armor else sealed, [X]) == b"body 12"


def test_failed_encryptor_does_not_write_final_chunk() -> None:
    """An exception inside `with Encryptor` leaves a file that fails as truncated."""
    out = io.BytesIO()
    with pytest.raises(RuntimeError), age.Encryptor(out, [X.recipient()]) as enc:
        enc.write(b"a" * 100_000)
        raise RuntimeError("disk full")
    with pytest.raises(errors.PayloadError):
        age.decrypt_bytes(out.getvalue(), [X])
