"""Mutated sealed batches: every one is refused with a 4xx, quarantined, and changes nothing.

Two layers are fuzzed. The envelope (what a stranger on the network can send): bit flips,
truncations, extensions, random bytes, and huge declared sizes in the clear framing and its
msgpack routing header. The body (what only an enrolled device can send, since it must be
signed and encrypted): garbage and hostile msgpack inside a correctly sealed batch, and
bit-flipped ops. Seeded and bounded; CAIRN_FUZZ_CASES sets the size (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

import msgspec
import pytest
from litestar.testing import TestClient

from server.datadir import DataDir
from server.store import sync_tables as st
from sync import sealed
from sync.client import Device, uuid7
from sync.receipt import verify_receipt
from tests.examples import GRAVE
from tests.fuzz.conftest import FUZZ_CASES, assert_server_sound, consolidated

Mutator = Callable[[random.Random, bytes], bytes]
_HUGE = (sealed.MAX_HEADER + 1, 1 << 20, (1 << 31) - 1, 1 << 31, (1 << 32) - 1)


def _bit_flips(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(len(out))
        out[pos] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncation(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _extension(rng: random.Random, data: bytes) -> bytes:
    tail = rng.choice([rng.randbytes(rng.randint(1, 64)), data[-rng.randint(1, 512) :]])
    return data + tail


def _random_bytes(rng: random.Random, data: bytes) -> bytes:
    noise = rng.randbytes(rng.randint(1, 4096))
    return rng.choice([noise, sealed.BATCH_MAGIC + noise])


def _split(data: bytes) -> tuple[bytes, bytes]:
    """(routing header, age file) of a sealed batch."""
    start = len(sealed.BATCH_MAGIC) + 4
    (length,) = struct.unpack_from(">I", data, len(sealed.BATCH_MAGIC))
    return data[start : start + length], data[start + length :]


def _huge_frame_length(rng: random.Random, data: bytes) -> bytes:
    header, age_file = _split(data)
    declared = rng.choice([*_HUGE, len(header) + rng.randint(1, 64)])
    return sealed.BATCH_MAGIC + struct.pack(">I", declared) + header + age_file


def _huge_msgpack_header(rng: random.Random, data: bytes) -> bytes:
    """Routing headers whose msgpack declares far more than is there (then re-framed)."""
    header, age_file = _split(data)
    huge = struct.pack(">I", rng.choice(_HUGE))
    key = rng.choice([b"\xa9device_id", b"\xa8batch_id", b"\xa6key_id"])
    forged = rng.choice(
        [
            b"\xdf" + huge + header[1:],  # map32 with ~4 billion entries
            b"\xdd" + huge,  # array32
            b"\xc6" + huge + header,  # bin32
            b"\x84" + key + b"\xdb" + huge + b"x",  # a str32 value longer than the data
            header.replace(key, b"\xdb" + huge + key[1:], 1),  # a str32 key
            b"\x81\xa1x" + b"\x91" * 50_000 + b"\xc0",  # deep nesting in an unknown field
        ]
    )
    return sealed.BATCH_MAGIC + struct.pack(">I", len(forged)) + forged + age_file


ENVELOPE_MUTATORS: dict[str, Mutator] = {
    "bit_flips": _bit_flips,
    "truncation": _truncation,
    "extension": _extension,
    "random_bytes": _random_bytes,
    "huge_frame_length": _huge_frame_length,
    "huge_msgpack_header": _huge_msgpack_header,
}


def _unpushed_batch(device: Device) -> bytes:
    device.new("site_grave", {**GRAVE, "site_code": "DSH-09", "grave_no": 9})
    device.seal_pending()
    (batch,) = device.store.pending_batches()
    return batch.sealed


@pytest.mark.parametrize("kind", sorted(ENVELOPE_MUTATORS))
def test_mutated_envelopes_are_refused_quarantined_and_change_nothing(
    kind: str,
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    field_data: Device,
) -> None:
    rng = random.Random(f"envelope-{kind}")
    original = _unpushed_batch(field_data)
    before = consolidated(data)
    quarantined = len(st.list_quarantine(data.store.reader(), None, 0, 100_000))
    statuses: dict[int, int] = {}
    for case in range(FUZZ_CASES):
        body = ENVELOPE_MUTATORS[kind](rng, original)
        if body == original or not body:
            continue
        answer = client.post("/v1/device/batches", content=body)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        assert 400 <= answer.status_code < 500, (kind, case, answer.status_code, answer.text)
        assert answer.json()["error"] and answer.json()["message"]
    assert_server_sound(data, client, before)
    refused = len(st.list_quarantine(data.store.reader(), None, 0, 100_000)) - quarantined
    assert refused == sum(n for status, n in statuses.items() if status != 413)
    # The genuine batch still goes through after the storm.
    summary = field_data.push()
    assert summary.ops == 1 and summary.refused == []


def _sealed_body(device: Device, body: bytes, seq: int) -> bytes:
    return sealed.seal_batch(
        body,
        device_id=device.device_id,
        batch_id=uuid7(),
        seq=seq,
        device_signing_key=device.keys().signing_key,
        server_recipient=str(device.store.get("batch_recipient")),
        server_key_id=str(device.store.get("batch_key_id")),
    )


def _hostile_body(rng: random.Random) -> bytes:
    huge = struct.pack(">I", rng.choice(_HUGE))
    return rng.choice(
        [
            rng.randbytes(rng.randint(0, 512)),
            b"\xdd" + huge,  # a list of ~4 billion ops
            b"\x91\xc6" + huge + b"x",  # one op: a bin32 longer than the data
            b"\x91\xdb" + huge,  # one op: a str32 longer than the data
            b"\x92\xdf" + huge + b"\xc0",  # ops that are maps of ~4 billion entries
            msgspec.msgpack.encode([rng.randbytes(32) for _ in range(rng.randint(1, 8))]),
            msgspec.msgpack.encode({"kind": "create"}),
            msgspec.msgpack.encode([{"kind": "create", "record_id": 5}, None, [], 1.5]),
        ]
    )


def test_hostile_bodies_inside_signed_batches_store_no_op(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    field_data: Device,
) -> None:
    rng = random.Random("hostile-body")
    before = consolidated(data)
    server_public = data.keys.public().signing_public
    answers = {200: 0, 422: 0}
    for case in range(FUZZ_CASES):
        body = _hostile_body(rng)
        answer = client.post(
            "/v1/device/batches", content=_sealed_body(field_data, body, 100 + case)
        )
        items = _as_list(body)
        if items is None:  # not a list of ops at all: the whole batch is refused and kept
            assert (answer.status_code, answer.json()["error"]) == (422, "malformed_body"), (
                case,
                body[:40],
                answer.text,
            )
        else:  # a list: a receipt that refuses every op on its own, by its index
            assert answer.status_code == 200, (case, body[:40], answer.text)
            receipt = verify_receipt(answer.content, server_public)
            assert receipt.accepted_ops == 0
            assert [r.index for r in receipt.refused] == list(range(items))
        answers[answer.status_code] += 1
    assert answers[200] and answers[422], answers  # both paths were exercised
    assert_server_sound(data, client, before)


def _as_list(body: bytes) -> int | None:
    """How many items the body holds when it is one msgpack array (the batch shape)."""
    try:
        return len(msgspec.msgpack.decode(body, type=list[msgspec.Raw]))
    except (msgspec.DecodeError, RecursionError):
        return None


def _quarantined(data: DataDir) -> int:
    return len(st.list_quarantine(data.store.reader(), None, 0, 1_000_000))


@pytest.mark.parametrize(
    ("op", "status"),
    [
        # A string that is not UTF-8 inside one op: the op alone is refused.
        pytest.param(b"\x81\xa4kind\xa2\xc3\xf2", 200, id="invalid-utf8"),
        # Nesting past the decoder's depth: the body is no list of ops, the batch is refused.
        pytest.param(b"\x81\xa1x" + b"\x91" * 100_000 + b"\xc0", 422, id="deep-nesting"),
    ],
)
def test_an_undecodable_op_is_refused_and_kept(
    op: bytes,
    status: int,
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    field_data: Device,
) -> None:
    body = b"\x91" + op
    before = _quarantined(data)
    answer = client.post("/v1/device/batches", content=_sealed_body(field_data, body, 99))
    assert answer.status_code == status, answer.text
    if status == 200:
        receipt = verify_receipt(answer.content, data.keys.public().signing_public)
        assert (receipt.accepted_ops, [r.index for r in receipt.refused]) == (0, [0])
    else:
        assert answer.json()["error"] == "malformed_body"
    assert _quarantined(data) == before + 1, "a refused op or batch must be kept in quarantine"


def test_bit_flipped_ops_leave_every_existing_record_untouched(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    field_data: Device,
) -> None:
    rng = random.Random("op-flips")
    field_data.new("site_grave", {**GRAVE, "site_code": "DSH-08", "grave_no": 8})
    field_data.seal_pending()
    (batch,) = field_data.store.pending_batches()
    opened = sealed.open_batch(
        batch.sealed,
        identities=data.keys.batch_identities(),
        signer_lookup=lambda _d: sealed.SignerInfo(
            device_id=field_data.device_id,
            public_key=field_data.keys().public().signing_public,
            revoked=False,
        ),
    )
    (op_blob,) = msgspec.msgpack.decode(opened.body, type=list[msgspec.Raw])
    before = consolidated(data)
    for case in range(FUZZ_CASES):
        flipped = _bit_flips(rng, bytes(op_blob))
        body = msgspec.msgpack.encode([msgspec.Raw(flipped)])
        answer = client.post(
            "/v1/device/batches", content=_sealed_body(field_data, body, 200 + case)
        )
        assert answer.status_code < 500, (case, flipped, answer.text)
    after = consolidated(data)
    assert {rid: after[rid] for rid in before} == before
    assert_server_sound(data, client, after)
