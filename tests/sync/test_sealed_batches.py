"""Sealed batches and pull responses: round trips and each distinct refusal."""

from __future__ import annotations

import hashlib
import struct

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import errors, sealed
from sync.age import generate_x25519
from sync.keys import DeviceKeys, ServerKeys, signing_public

BODY = msgspec.msgpack.encode([{"op": i, "field": "skull", "value": "present"} for i in range(50)])


@pytest.fixture(scope="module")
def server() -> ServerKeys:
    """A server with a post-quantum batch key."""
    return ServerKeys.generate()


@pytest.fixture(scope="module")
def device() -> DeviceKeys:
    """An enrolled device's keys."""
    return DeviceKeys.generate()


def _seal(device: DeviceKeys, server: ServerKeys, body: bytes = BODY, seq: int = 3) -> bytes:
    return sealed.seal_batch(
        body,
        device_id="dev-1",
        batch_id="b-0003",
        seq=seq,
        device_signing_key=device.signing_key,
        server_recipient=server.current.recipient,
        server_key_id=server.current.key_id,
    )


def _lookup(device: DeviceKeys, revoked: bool = False) -> sealed.SignerInfo:
    return sealed.SignerInfo(
        device_id="dev-1", public_key=device.public().signing_public, revoked=revoked
    )


def _open(raw: bytes, server: ServerKeys, info: sealed.SignerInfo | None) -> sealed.OpenedBatch:
    return sealed.open_batch(
        raw,
        identities=server.batch_identities(),
        signer_lookup=lambda device_id: info if info and info.device_id == device_id else None,
    )


@pytest.mark.parametrize("body", [b"", b"x", BODY, b"\x00" * (64 * 1024 + 1)])
def test_seal_then_open_returns_body_and_routing(
    body: bytes, device: DeviceKeys, server: ServerKeys
) -> None:
    """What the device sealed is exactly what the server opens, with its routing."""
    raw = _seal(device, server, body)
    opened = _open(raw, server, _lookup(device))
    assert opened.body == body
    assert opened.routing == sealed.Routing(
        device_id="dev-1", batch_id="b-0003", seq=3, key_id=server.current.key_id
    )
    assert opened.sealed_sha256 == hashlib.sha256(raw).hexdigest()
    assert sealed.peek_routing(raw) == opened.routing


def test_signed_inner_blob_verifies_with_only_the_public_key(
    device: DeviceKeys, server: ServerKeys
) -> None:
    """Years later: the archived inner blob plus the device public key suffice."""
    opened = _open(_seal(device, server), server, _lookup(device))
    again = sealed.verify_batch_signature(opened.signed, device.public().signing_public)
    assert again.body == BODY and again.header.routing() == opened.routing
    other = signing_public(Ed25519PrivateKey.generate())
    with pytest.raises(errors.BadSignature):
        sealed.verify_batch_signature(opened.signed, other)


def test_x25519_server_key_also_works(device: DeviceKeys) -> None:
    """Classic X25519 batch keys stay accepted."""
    server = ServerKeys.generate(hybrid=False)
    assert server.current.recipient.startswith("age1") and "pq1" not in server.current.recipient
    assert _open(_seal(device, server), server, _lookup(device)).body == BODY


def test_retired_key_still_opens_late_upload(device: DeviceKeys) -> None:
    """A batch sealed to a key rotated out since still opens."""
    server = ServerKeys.generate(hybrid=False)
    raw = _seal(device, server)
    server.rotate(hybrid=False)
    assert _open(raw, server, _lookup(device)).body == BODY
    assert len(server.public().retired) == 1


def test_wrong_server_key_is_not_for_us(device: DeviceKeys, server: ServerKeys) -> None:
    """Sealed to another server's key → NotForUs."""
    other = ServerKeys.generate(hybrid=False)
    with pytest.raises(errors.NotForUs):
        _open(_seal(device, other), server, _lookup(device))


def test_unknown_device(device: DeviceKeys, server: ServerKeys) -> None:
    """A device we never enrolled → UnknownSigner."""
    with pytest.raises(errors.UnknownSigner):
        _open(_seal(device, server), server, None)


def test_revoked_device(device: DeviceKeys, server: ServerKeys) -> None:
    """A revoked device's valid batch → RevokedSigner."""
    with pytest.raises(errors.RevokedSigner):
        _open(_seal(device, server), server, _lookup(device, revoked=True))


def test_signature_by_other_key_is_bad_signature(device: DeviceKeys, server: ServerKeys) -> None:
    """A batch signed by a key other than the enrolled one → BadSignature."""
    impostor = DeviceKeys.generate()
    with pytest.raises(errors.BadSignature):
        _open(_seal(impostor, server), server, _lookup(device))


@pytest.mark.parametrize(
    "change",
    [{"seq": 4}, {"batch_id": "b-9999"}, {"device_id": "dev-2"}, {"key_id": "0" * 16}],
)
def test_rewritten_routing_header_is_mismatch(
    change: dict[str, object], device: DeviceKeys, server: ServerKeys
) -> None:
    """Rewriting the clear routing header (valid msgpack) → RoutingMismatch."""
    raw = _seal(device, server)
    routing = sealed.peek_routing(raw)
    (length,) = struct.unpack_from(">I", raw, len(sealed.BATCH_MAGIC))
    offset = len(sealed.BATCH_MAGIC) + 4 + length
    new = msgspec.msgpack.encode(msgspec.structs.replace(routing, **change))
    forged = sealed.BATCH_MAGIC + struct.pack(">I", len(new)) + new + raw[offset:]
    info = _lookup(device)
    with pytest.raises(errors.RoutingMismatch):
        sealed.open_batch(
            forged, identities=server.batch_identities(), signer_lookup=lambda _id: info
        )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", errors.MalformedEnvelope),
        (b"hello world", errors.MalformedEnvelope),
        (b"CAIRN-SEALED-BATCH/2\n\x00\x00\x00\x00", errors.UnsupportedEnvelopeVersion),
        (sealed.BATCH_MAGIC + b"\x00\x00\x10", errors.MalformedEnvelope),
        (sealed.BATCH_MAGIC + b"\x00\x00\x00\x05abc", errors.MalformedEnvelope),
        (sealed.BATCH_MAGIC + b"\x00\x00\x00\x01\xc1", errors.MalformedEnvelope),
    ],
)
def test_malformed_envelopes(raw: bytes, error: type[Exception]) -> None:
    """Garbage and future versions are told apart from damaged batches."""
    with pytest.raises(error):
        sealed.peek_routing(raw)


def test_pull_round_trip_and_refusals(device: DeviceKeys, server: ServerKeys) -> None:
    """A pull response opens for its device with the server key, and nothing else."""
    payload = b"pull page bytes" * 100
    raw = sealed.seal_pull(
        payload,
        device_id="dev-1",
        cursor=42,
        device_recipient=str(device.encryption.recipient()),
        server_signing_key=server.signing_key,
        server_key_id=server.signing_key_id,
    )
    public = server.public().signing_public
    opened = sealed.open_pull(
        raw, identities=[device.encryption], server_public=public, device_id="dev-1"
    )
    assert opened.payload == payload and opened.header.cursor == 42
    with pytest.raises(errors.BadSignature):
        sealed.open_pull(
            raw,
            identities=[device.encryption],
            server_public=signing_public(Ed25519PrivateKey.generate()),
        )
    with pytest.raises(errors.RoutingMismatch):
        sealed.open_pull(
            raw, identities=[device.encryption], server_public=public, device_id="dev-2"
        )
    with pytest.raises(errors.NotForUs):
        sealed.open_pull(raw, identities=[generate_x25519()], server_public=public)
