"""Tampering with every region of a sealed batch is caught with the right error class.

Regions: the clear routing header, the age version line, the recipient stanza, the header
MAC, the payload nonce, each payload chunk; and, for an attacker who re-encrypts to the
server's public key (anyone can), the signed header, the signature and the body.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import pytest

from sync import age, errors, sealed
from sync.age.stream import ENC_CHUNK_SIZE
from sync.keys import DeviceKeys, ServerKeys

SERVER = ServerKeys.generate()
DEVICE = DeviceKeys.generate()
BODY = bytes(range(256)) * 600  # 153,600 bytes → 3 payload chunks
INFO = sealed.SignerInfo(device_id="dev-1", public_key=DEVICE.public().signing_public)
RAW = sealed.seal_batch(
    BODY,
    device_id="dev-1",
    batch_id="b-1",
    seq=1,
    device_signing_key=DEVICE.signing_key,
    server_recipient=SERVER.current.recipient,
    server_key_id=SERVER.current.key_id,
)


def _open(raw: bytes) -> sealed.OpenedBatch:
    return sealed.open_batch(
        raw,
        identities=SERVER.batch_identities(),
        signer_lookup=lambda device_id: INFO if device_id == "dev-1" else None,
    )


def _regions(raw: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges [start, end) of each region of a sealed batch."""
    (length,) = struct.unpack_from(">I", raw, len(sealed.BATCH_MAGIC))
    age_start = len(sealed.BATCH_MAGIC) + 4 + length
    version_end = raw.index(b"\n", age_start) + 1
    mac_line = raw.index(b"\n--- ", age_start) + 1
    payload = raw.index(b"\n", mac_line) + 1
    regions = {
        "magic": (0, len(sealed.BATCH_MAGIC)),
        "routing": (len(sealed.BATCH_MAGIC), age_start),
        "version": (age_start, version_end),
        "stanza": (version_end, mac_line),
        "mac": (mac_line, payload),
        "nonce": (payload, payload + 16),
    }
    start = payload + 16
    for i in range(0, (len(raw) - start + ENC_CHUNK_SIZE - 1) // ENC_CHUNK_SIZE):
        regions[f"chunk{i}"] = (
            start + i * ENC_CHUNK_SIZE,
            min(len(raw), start + (i + 1) * ENC_CHUNK_SIZE),
        )
    return regions


REGIONS = _regions(RAW)
ALLOWED: dict[str, tuple[type[Exception], ...]] = {
    "magic": (errors.MalformedEnvelope, errors.UnsupportedEnvelopeVersion),
    "routing": (errors.MalformedEnvelope, errors.RoutingMismatch, errors.MalformedHeader),
    "version": (errors.MalformedHeader,),
    "stanza": (errors.MalformedHeader, errors.NotForUs),
    "mac": (errors.MalformedHeader, errors.HeaderMacMismatch),
    "nonce": (errors.TamperedPayload,),
}


def _positions(start: int, end: int) -> list[int]:
    span = end - start
    return sorted({start, start + span // 3, start + span // 2, end - 2, end - 1})


FLIPS = [
    (region, pos, bit)
    for region, (start, end) in REGIONS.items()
    for pos in _positions(start, end)
    for bit in (0, 5)
]


def test_layout_has_three_chunks() -> None:
    """The fixture really spans several payload chunks (so each is exercised)."""
    assert [r for r in REGIONS if r.startswith("chunk")] == ["chunk0", "chunk1", "chunk2"]


@pytest.mark.parametrize(("region", "pos", "bit"), FLIPS)
def test_bit_flip_in_each_region_is_refused(region: str, pos: int, bit: int) -> None:
    """One flipped bit anywhere → refusal of the class that region implies."""
    raw = bytearray(RAW)
    raw[pos] ^= 1 << bit
    allowed = ALLOWED.get(region, (errors.TamperedPayload,))
    with pytest.raises(allowed):
        _open(bytes(raw))


def _expected_for_cut(offset: int) -> tuple[type[Exception], ...]:
    for name, (start, end) in REGIONS.items():
        if start <= offset < end:
            if name in ("magic", "routing"):
                return (errors.MalformedEnvelope, errors.UnsupportedEnvelopeVersion)
            if name in ("version", "stanza", "mac", "nonce"):
                return (errors.MalformedHeader,)
            return (errors.PayloadError,)
    raise AssertionError(offset)


CUTS = sorted(
    {
        *range(0, len(RAW), 1499),
        *(e - 1 for _, e in REGIONS.values()),
        *(s for s, _ in REGIONS.values()),
    }
)


@pytest.mark.parametrize("offset", CUTS)
def test_truncation_is_refused(offset: int) -> None:
    """A batch cut at any offset is refused by region, never opened."""
    with pytest.raises(_expected_for_cut(offset)):
        _open(RAW[:offset])


@pytest.mark.parametrize("offset", [o for o in CUTS if o >= REGIONS["chunk0"][0]])
def test_streamed_truncation_releases_only_authenticated_chunks(offset: int) -> None:
    """Streaming decrypt of a cut file writes only whole, verified chunks of the plaintext."""
    start = REGIONS["version"][0]
    signed = sealed.extract_signed_batch(RAW, SERVER.batch_identities())
    out = io.BytesIO()
    with pytest.raises(errors.PayloadError):
        age.decrypt(io.BytesIO(RAW[start:offset]), out, [SERVER.current.identity])
    released = out.getvalue()
    assert signed.startswith(released)
    assert len(released) % (64 * 1024) == 0


def _reseal(mutate: Callable[[bytearray], None]) -> bytes:
    """Decrypt, alter the signed blob, re-encrypt to the server's public key (anyone can)."""
    blob = bytearray(sealed.extract_signed_batch(RAW, SERVER.batch_identities()))
    mutate(blob)
    prefix_len = REGIONS["version"][0]
    recipient = age.parse_recipient(SERVER.current.recipient)
    return RAW[:prefix_len] + age.encrypt_bytes(bytes(blob), [recipient])


SIGNED = sealed.extract_signed_batch(RAW, SERVER.batch_identities())
(_HLEN,) = struct.unpack_from(">I", SIGNED, len(sealed.BATCH_SIGNED_MAGIC))
_SIG_AT = len(sealed.BATCH_SIGNED_MAGIC) + 4 + _HLEN


@pytest.mark.parametrize(
    ("where", "errors_allowed"),
    [
        (_SIG_AT - 3, (errors.BadSignature, errors.MalformedEnvelope, errors.UnknownSigner)),
        (_SIG_AT, (errors.BadSignature,)),
        (_SIG_AT + 63, (errors.BadSignature,)),
        (_SIG_AT + 64, (errors.BadSignature,)),
        (len(SIGNED) - 1, (errors.BadSignature,)),
    ],
)
def test_reencrypted_forgery_is_bad_signature(
    where: int, errors_allowed: tuple[type[Exception], ...]
) -> None:
    """Changing signed header, signature or body and re-encrypting fails the signature."""

    def flip(blob: bytearray) -> None:
        blob[where] ^= 0x01

    with pytest.raises(errors_allowed):
        _open(_reseal(flip))


def test_untouched_batch_opens() -> None:
    """The control: the unmodified bytes open to the original body."""
    assert _open(RAW).body == BODY
