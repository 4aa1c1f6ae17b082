"""Write the sealed-message conformance corpus: sealed batches, sealed pull responses and
receipts, whole and damaged, with the verdict of the Python side for each.

Python seals every message (sync.sealed, sync.receipt) with fresh keys, then derives
variants: one flipped bit in every region (routing, age version line, stanza, MAC, nonce,
each payload chunk), cuts at offsets spread over the whole message and at every region's
edges, messages re-encrypted after altering what they sign (header fields, signature,
body; anyone can re-encrypt to a public key), headers of the wrong msgpack shape,
clear routing that differs from the signed one, messages encrypted to a key not held,
signed by a key not trusted, from a revoked or unknown device, for another device, and
a newer format version. Each case records what Python gives: the error code
(sync/errors.py), or for a message that opens, the SHA-256 of what it yields and a
msgpack summary of its decoded fields. tests/conformance/run_sealed.mjs must give the same
for every case with the built TypeScript core.

    uv run python tests/conformance/gen_sealed_corpus.py OUT.msgpack [--seed S]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from sync import age, receipt, sealed, wire
from sync.age.stream import ENC_CHUNK_SIZE
from sync.errors import CairnCryptoError
from sync.keys import DeviceKeys, ServerKeys, key_id, signing_public

_ENC = msgspec.msgpack.Encoder()
_LEN = struct.Struct(">I")


class Fixture:
    """The keys every case uses: a server (post-quantum current key, an X25519 key it still
    holds from before a rotation), devices, and strangers' keys."""

    def __init__(self) -> None:
        self.server = ServerKeys.generate(hybrid=True)
        old = age.generate_x25519()
        self.old_batch = (key_id(str(old.recipient())), old)
        self.stranger_server = ServerKeys.generate(hybrid=True)
        self.dev1 = DeviceKeys.generate()  # X25519 identity
        self.dev2 = DeviceKeys.generate(hybrid=True)  # post-quantum identity; revoked below
        self.dev3 = DeviceKeys.generate()  # not enrolled
        self.server_public = signing_public(self.server.signing_key)

    def batch_identities(self) -> dict[str, age.AnyIdentity]:
        ids = dict(self.server.batch_identities())
        ids[self.old_batch[0]] = self.old_batch[1]
        return ids

    def signer(self, device_id: str) -> sealed.SignerInfo | None:
        if device_id == "dev-1":
            return sealed.SignerInfo(
                device_id="dev-1", public_key=self.dev1.public().signing_public
            )
        if device_id == "dev-2":
            return sealed.SignerInfo(
                device_id="dev-2", public_key=self.dev2.public().signing_public, revoked=True
            )
        return None

    def keys(self) -> dict[str, Any]:
        """What the TypeScript side is handed (identity texts, public keys)."""
        return {
            "batch_identities": {k: i.export_secret() for k, i in self.batch_identities().items()},
            "signers": {
                "dev-1": {"public": self.dev1.public().signing_public, "revoked": False},
                "dev-2": {"public": self.dev2.public().signing_public, "revoked": True},
            },
            "server_public": self.server_public,
            "devices": {
                "dev-1": self.dev1.encryption.export_secret(),
                "dev-2": self.dev2.encryption.export_secret(),
            },
        }


def _regions(raw: bytes, magic: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges [start, end) of each region of a sealed message."""
    (length,) = _LEN.unpack_from(raw, len(magic))
    age_start = len(magic) + 4 + length
    version_end = raw.index(b"\n", age_start) + 1
    mac_line = raw.index(b"\n--- ", age_start) + 1
    payload = raw.index(b"\n", mac_line) + 1
    regions = {
        "magic": (0, len(magic)),
        "length": (len(magic), len(magic) + 4),
        "routing": (len(magic) + 4, age_start),
        "version": (age_start, version_end),
        "stanza": (version_end, mac_line),
        "mac": (mac_line, payload),
        "nonce": (payload, payload + 16),
    }
    start = payload + 16
    for i in range((len(raw) - start + ENC_CHUNK_SIZE - 1) // ENC_CHUNK_SIZE):
        regions[f"chunk{i}"] = (
            start + i * ENC_CHUNK_SIZE,
            min(len(raw), start + (i + 1) * ENC_CHUNK_SIZE),
        )
    return regions


def _flips(raw: bytes, magic: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    out = []
    for region, (start, end) in _regions(raw, magic).items():
        span = end - start
        positions = {start, start + span // 3, start + span // 2, end - 2, end - 1}
        positions |= {rng.randrange(start, end) for _ in range(3)}
        for pos in sorted(p for p in positions if start <= p < end):
            for bit in (0, 5, 7):
                flipped = bytearray(raw)
                flipped[pos] ^= 1 << bit
                out.append((f"flip {region} @{pos} bit {bit}", bytes(flipped)))
    return out


def _cuts(raw: bytes, magic: bytes) -> list[tuple[str, bytes]]:
    regions = _regions(raw, magic)
    offsets = {
        *range(0, len(raw), max(1, len(raw) // 40)),
        *(e - 1 for _, e in regions.values()),
        *(s for s, _ in regions.values()),
        *(s + 1 for s, _ in regions.values()),
        len(raw) - 16,
        len(raw) - 17,
    }
    return [(f"cut @{o}", raw[:o]) for o in sorted(o for o in offsets if 0 <= o < len(raw))]


def _frame(magic: bytes, header: bytes) -> bytes:
    return magic + _LEN.pack(len(header)) + header


def _signed_parts(blob: bytes, magic: bytes) -> tuple[bytes, bytes, bytes]:
    (length,) = _LEN.unpack_from(blob, len(magic))
    start = len(magic) + 4
    header = blob[start : start + length]
    return header, blob[start + length : start + length + 64], blob[start + length + 64 :]


class Corpus:
    """Cases and the Python verdict on each."""

    def __init__(self, fx: Fixture) -> None:
        self.fx = fx
        self.cases: list[dict[str, Any]] = []

    def _verdict(self, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return {"expect": "", **run()}
        except CairnCryptoError as exc:
            return {"expect": exc.code}

    def batch(self, name: str, data: bytes) -> None:
        def run() -> dict[str, Any]:
            opened = sealed.open_batch(
                data, identities=self.fx.batch_identities(), signer_lookup=self.fx.signer
            )
            summary = [
                opened.routing.device_id,
                opened.routing.batch_id,
                opened.routing.seq,
                opened.routing.key_id,
                opened.signed_at,
                opened.sealed_sha256,
                hashlib.sha256(opened.body).hexdigest(),
                hashlib.sha256(opened.signed).hexdigest(),
            ]
            return {"summary": _ENC.encode(summary)}

        self.cases.append({"kind": "batch", "name": name, "data": data, **self._verdict(run)})

    def pull(self, name: str, data: bytes, device: str, device_id: str | None = None) -> None:
        identity = (self.fx.dev1 if device == "dev-1" else self.fx.dev2).encryption

        def run() -> dict[str, Any]:
            opened = sealed.open_pull(
                data,
                identities=[identity],
                server_public=self.fx.server_public,
                device_id=device_id,
            )
            h = opened.header
            page = wire.PULL_PAGE.decode(opened.payload)
            summary = [
                h.device_id,
                h.cursor,
                h.key_id,
                h.signed_at,
                hashlib.sha256(opened.payload).hexdigest(),
                [bytes(op) for op in page.ops],
                page.cursor,
                page.more,
                page.server_time_ms,
                [list(s) for s in page.suspect],
                page.batch_key_id,
                page.batch_recipient,
                dict(sorted(page.labels.items())),
            ]
            return {"summary": _ENC.encode(summary)}

        self.cases.append(
            {
                "kind": "pull",
                "name": name,
                "data": data,
                "device": device,
                "device_id": device_id,
                **self._verdict(run),
            }
        )

    def receipt(self, name: str, data: bytes, public: bytes | None = None) -> None:
        key = self.fx.server_public if public is None else public

        def run() -> dict[str, Any]:
            r = receipt.verify_receipt(data, key)
            summary = [
                r.batch_id,
                r.device_id,
                r.seq,
                r.sealed_sha256,
                r.received_at,
                r.audit_head,
                list(r.missing_seqs),
                [
                    [x.index, x.reason, x.code, None if x.dot is None else list(x.dot), x.kept]
                    for x in r.refused
                ],
                r.accepted_ops,
                r.server_key_id,
                r.audit_seq,
            ]
            return {"summary": _ENC.encode(summary)}

        self.cases.append(
            {"kind": "receipt", "name": name, "data": data, "public": key, **self._verdict(run)}
        )


def _ops_body(rng: random.Random, n: int) -> bytes:
    ops = [
        {"k": "set", "f": {"n": i, "note": "x" * rng.randrange(0, 300), "v": rng.random()}}
        for i in range(n)
    ]
    return _ENC.encode(ops)


def _batch_cases(c: Corpus, rng: random.Random) -> None:
    fx = c.fx
    big = bytes(range(256)) * 600  # 153,600 bytes: three payload chunks
    exact = b"\x07" * (64 * 1024)  # a plaintext whose final chunk is full

    def seal(body: bytes, device: str = "dev-1", **kw: Any) -> bytes:
        keys = {"dev-1": fx.dev1, "dev-2": fx.dev2, "dev-3": fx.dev3}[device]
        args: dict[str, Any] = {
            "device_id": device,
            "batch_id": f"0190f1c2-8a3b-7c4d-9e5f-{rng.getrandbits(48):012x}",
            "seq": rng.randrange(1, 1000),
            "device_signing_key": keys.signing_key,
            "server_recipient": fx.server.current.recipient,
            "server_key_id": fx.server.current.key_id,
        }
        args.update(kw)
        return sealed.seal_batch(body, **args)

    small = seal(_ops_body(rng, 3))
    c.batch("small, post-quantum key", small)
    multi = seal(big)
    c.batch("three chunks", multi)
    c.batch("full final chunk", seal(exact))
    c.batch("empty body", seal(b""))
    old = seal(
        _ops_body(rng, 2),
        server_recipient=fx.old_batch[1].recipient(),
        server_key_id=fx.old_batch[0],
    )
    c.batch("sealed to the key from before a rotation", old)
    c.batch("revoked device", seal(_ops_body(rng, 1), device="dev-2"))
    c.batch("unknown device", seal(_ops_body(rng, 1), device="dev-3"))
    c.batch(
        "encrypted to a key the server does not hold",
        seal(b"[]", server_recipient=fx.stranger_server.current.recipient),
    )
    c.batch(
        "wrong key id in the routing, the right key",
        seal(b"[]", server_key_id="ffffffffffffffff"),
    )
    for name, data in _flips(small, sealed.BATCH_MAGIC, rng) + _flips(
        multi, sealed.BATCH_MAGIC, rng
    ):
        c.batch(name, data)
    for name, data in _cuts(small, sealed.BATCH_MAGIC) + _cuts(multi, sealed.BATCH_MAGIC):
        c.batch(name, data)
    c.batch("newer format", b"CAIRN-SEALED-BATCH/2\n" + small[len(sealed.BATCH_MAGIC) :])
    c.batch("another format", b"CAIRN-SEALED-PULL/1\n" + small[len(sealed.BATCH_MAGIC) :])
    c.batch("header length over 4096", sealed.BATCH_MAGIC + _LEN.pack(4097) + small[25:])
    c.batch("empty", b"")

    # Re-encrypted after changing what is signed (anyone can encrypt to the server key).
    (rlen,) = _LEN.unpack_from(small, len(sealed.BATCH_MAGIC))
    routing = small[: len(sealed.BATCH_MAGIC) + 4 + rlen]
    signed = sealed.extract_signed_batch(small, fx.batch_identities())
    header, signature, body = _signed_parts(signed, sealed.BATCH_SIGNED_MAGIC)
    claimed = msgspec.msgpack.decode(header)

    def reseal(blob: bytes, clear: bytes = routing) -> bytes:
        return clear + age.encrypt_bytes(blob, [age.parse_recipient(fx.server.current.recipient)])

    def signed_blob(h: bytes, sig: bytes | None = None, b: bytes = body) -> bytes:
        s = fx.dev1.signing_key.sign(sealed.BATCH_DOMAIN + h) if sig is None else sig
        return _frame(sealed.BATCH_SIGNED_MAGIC, h) + s + b

    c.batch("resealed unchanged", reseal(signed))
    c.batch("body altered", reseal(signed_blob(header, signature, body + b"\x90")))
    c.batch("body cut", reseal(signed_blob(header, signature, body[:-1])))
    c.batch(
        "signature altered", reseal(signed_blob(header, bytes([signature[0] ^ 1]) + signature[1:]))
    )
    c.batch("signature cut", reseal(_frame(sealed.BATCH_SIGNED_MAGIC, header) + signature[:40]))
    c.batch(
        "signed by another key",
        reseal(signed_blob(header, fx.dev3.signing_key.sign(sealed.BATCH_DOMAIN + header))),
    )
    c.batch("signed magic of another version", reseal(b"CAIRN-SIGNED-BATCH/9\n" + signed[21:]))
    c.batch("signed magic missing", reseal(b"X" + signed[1:]))
    variants: list[tuple[str, Any]] = [
        ("missing body_sha256", {k: v for k, v in claimed.items() if k != "body_sha256"}),
        (
            "missing signed_at (has a default)",
            {k: v for k, v in claimed.items() if k != "signed_at"},
        ),
        ("missing device_id", {k: v for k, v in claimed.items() if k != "device_id"}),
        ("unknown key added", {**claimed, "extra": [1, 2]}),
        ("seq as float", {**claimed, "seq": float(claimed["seq"])}),
        ("seq as bool", {**claimed, "seq": True}),
        ("seq as str", {**claimed, "seq": str(claimed["seq"])}),
        ("seq changed", {**claimed, "seq": claimed["seq"] + 1}),
        ("seq negative", {**claimed, "seq": -1}),
        ("seq uint64", {**claimed, "seq": 2**64 - 1}),
        ("body_sha256 as str", {**claimed, "body_sha256": claimed["body_sha256"].hex()}),
        ("body_length wrong", {**claimed, "body_length": claimed["body_length"] + 1}),
        ("signed_at nil", {**claimed, "signed_at": None}),
        ("device_id changed", {**claimed, "device_id": "dev-3"}),
        ("key_id changed", {**claimed, "key_id": "0000000000000000"}),
        ("batch_id changed", {**claimed, "batch_id": claimed["batch_id"][:-1] + "0"}),
        ("header an array", list(claimed.values())),
    ]
    for name, value in variants:
        h = _ENC.encode(value)
        c.batch(f"signed header: {name}", reseal(signed_blob(h)))
    c.batch("signed header: trailing byte", reseal(signed_blob(header + b"\xc0")))
    c.batch(
        "signed header: invalid UTF-8", reseal(signed_blob(header.replace(b"dev-1", b"dev-\xff")))
    )
    for name, change in [
        ("seq", {"seq": claimed["seq"] + 1}),
        ("key_id", {"key_id": fx.old_batch[0]}),
        ("device_id", {"device_id": "dev-3"}),
        ("batch_id", {"batch_id": "0190f1c2-8a3b-7c4d-9e5f-000000000000"}),
    ]:
        clear = {k: claimed[k] for k in ("device_id", "batch_id", "seq", "key_id")} | change
        c.batch(
            f"clear routing {name} differs",
            reseal(signed, _frame(sealed.BATCH_MAGIC, _ENC.encode(clear))),
        )
    c.batch("clear routing not msgpack", reseal(signed, _frame(sealed.BATCH_MAGIC, b"\xc1")))
    c.batch(
        "clear routing missing seq",
        reseal(
            signed,
            _frame(
                sealed.BATCH_MAGIC,
                _ENC.encode({"device_id": "dev-1", "batch_id": "b", "key_id": "k"}),
            ),
        ),
    )


def _page(rng: random.Random, n: int, **kw: Any) -> bytes:
    ops = [
        msgspec.Raw(_ENC.encode({"k": "set", "i": i, "pad": "y" * rng.randrange(200)}))
        for i in range(n)
    ]
    page = wire.PullPage(
        ops=ops,
        cursor=kw.pop("cursor", 40 + n),
        more=kw.pop("more", False),
        server_time_ms=1_700_000_000_123,
        **kw,
    )
    return wire.encode(page)


def _pull_cases(c: Corpus, rng: random.Random) -> None:
    fx = c.fx

    def seal(payload: bytes, device: str = "dev-1", **kw: Any) -> bytes:
        keys = fx.dev1 if device == "dev-1" else fx.dev2
        args: dict[str, Any] = {
            "device_id": device,
            "cursor": 42,
            "device_recipient": keys.public().encryption_recipient,
            "server_signing_key": fx.server.signing_key,
            "server_key_id": fx.server.signing_key_id,
        }
        args.update(kw)
        return sealed.seal_pull(payload, **args)

    labels = {"dev-1": "tablet 1", "sup-3": "Dr. Ruiz (supervisor)", "zz": "ü", "a": "😀"}
    small = seal(_page(rng, 4, suspect=[("dev-1", 3)], labels=labels))
    c.pull("small page", small, "dev-1", "dev-1")
    c.pull("small page, no device id check", small, "dev-1")
    big = seal(_page(rng, 900, more=True), cursor=7)
    c.pull("page of several chunks", big, "dev-1", "dev-1")
    rotated = seal(
        _page(
            rng,
            1,
            batch_key_id=fx.server.current.key_id,
            batch_recipient=fx.server.current.recipient,
        )
    )
    c.pull("page naming a new batch key", rotated, "dev-1", "dev-1")
    pq = seal(_page(rng, 2), device="dev-2")
    c.pull("post-quantum device", pq, "dev-2", "dev-2")
    c.pull("empty page", seal(_page(rng, 0)), "dev-1", "dev-1")
    c.pull(
        "for another device",
        seal(_page(rng, 1), device="dev-2", device_recipient=fx.dev1.public().encryption_recipient),
        "dev-1",
        "dev-1",
    )
    c.pull("encrypted to another device's key", pq, "dev-1", "dev-1")
    c.pull(
        "signed by another server",
        seal(_page(rng, 1), server_signing_key=fx.stranger_server.signing_key),
        "dev-1",
        "dev-1",
    )
    for name, data in _flips(small, sealed.PULL_MAGIC, rng) + _flips(big, sealed.PULL_MAGIC, rng):
        c.pull(name, data, "dev-1", "dev-1")
    for name, data in _cuts(small, sealed.PULL_MAGIC) + _cuts(big, sealed.PULL_MAGIC):
        c.pull(name, data, "dev-1", "dev-1")
    c.pull("newer format", b"CAIRN-SEALED-PULL/2\n" + small[len(sealed.PULL_MAGIC) :], "dev-1")
    c.pull(
        "a sealed batch's magic",
        b"CAIRN-SEALED-BATCH/1\n" + small[len(sealed.PULL_MAGIC) :],
        "dev-1",
    )

    (rlen,) = _LEN.unpack_from(small, len(sealed.PULL_MAGIC))
    routing = small[: len(sealed.PULL_MAGIC) + 4 + rlen]
    signed = age.decrypt_bytes(small[len(routing) :], [fx.dev1.encryption])
    header, signature, payload = _signed_parts(signed, sealed.PULL_SIGNED_MAGIC)
    claimed = msgspec.msgpack.decode(header)
    recipient = age.parse_recipient(fx.dev1.public().encryption_recipient)

    def reseal(blob: bytes, clear: bytes = routing) -> bytes:
        return clear + age.encrypt_bytes(blob, [recipient])

    def signed_blob(h: bytes, b: bytes = payload) -> bytes:
        s = fx.server.signing_key.sign(sealed.PULL_DOMAIN + h)
        return _frame(sealed.PULL_SIGNED_MAGIC, h) + s + b

    c.pull("resealed unchanged", reseal(signed), "dev-1", "dev-1")
    c.pull(
        "payload altered",
        reseal(_frame(sealed.PULL_SIGNED_MAGIC, header) + signature + payload[:-1] + b"\x00"),
        "dev-1",
        "dev-1",
    )
    c.pull(
        "signature altered",
        reseal(
            _frame(sealed.PULL_SIGNED_MAGIC, header)
            + signature[:5]
            + bytes([signature[5] ^ 4])
            + signature[6:]
            + payload
        ),
        "dev-1",
        "dev-1",
    )
    for name, value in [
        ("cursor changed", {**claimed, "cursor": 43}),
        ("device_id changed", {**claimed, "device_id": "dev-2"}),
        ("key_id changed", {**claimed, "key_id": "x"}),
        ("payload_length wrong", {**claimed, "payload_length": 1}),
        ("missing payload_sha256", {k: v for k, v in claimed.items() if k != "payload_sha256"}),
        ("cursor as float", {**claimed, "cursor": 42.0}),
        ("unknown key added", {**claimed, "zzz": {"a": 1}}),
    ]:
        c.pull(f"signed header: {name}", reseal(signed_blob(_ENC.encode(value))), "dev-1", "dev-1")
    clear = _frame(
        sealed.PULL_MAGIC,
        _ENC.encode({"device_id": "dev-1", "cursor": 41, "key_id": claimed["key_id"]}),
    )
    c.pull("clear routing cursor differs", reseal(signed, clear), "dev-1", "dev-1")


def _receipt_cases(c: Corpus, rng: random.Random) -> None:
    fx = c.fx
    r = receipt.Receipt(
        batch_id="0190f1c2-8a3b-7c4d-9e5f-0a1b2c3d4e5f",
        device_id="dev-1",
        seq=7,
        sealed_sha256="ab" * 32,
        received_at=1_700_000_000_500,
        audit_head="0f" * 32,
        missing_seqs=[2, 3],
        refused=[
            receipt.RefusedOp(
                index=1,
                reason="field 'x' is fixed",
                code="immutable_field",
                dot=("dev-1", 12),
                kept=True,
            ),
            receipt.RefusedOp(index=4, reason="bad id", code="bad_id"),
        ],
        accepted_ops=3,
        audit_seq=99,
    )
    good = receipt.sign_receipt(r, fx.server.signing_key, fx.server.signing_key_id)
    c.receipt("receipt", good)
    c.receipt(
        "minimal receipt",
        receipt.sign_receipt(
            receipt.Receipt(
                batch_id="b", device_id="d", seq=1, sealed_sha256="", received_at=0, audit_head=""
            ),
            fx.server.signing_key,
            "k",
        ),
    )
    c.receipt(
        "from another server",
        receipt.sign_receipt(r, fx.stranger_server.signing_key, fx.server.signing_key_id),
    )
    c.receipt(
        "verified with another server's key", good, signing_public(fx.stranger_server.signing_key)
    )
    c.receipt("public key of 31 bytes", good, fx.server_public[:31])
    for pos in range(len(good)):
        for bit in (0, 6):
            if pos % 3 == 0 or bit == 0:
                flipped = bytearray(good)
                flipped[pos] ^= 1 << bit
                c.receipt(f"flip @{pos} bit {bit}", bytes(flipped))
    for cut in range(0, len(good), 5):
        c.receipt(f"cut @{cut}", good[:cut])
    env = msgspec.msgpack.decode(good)
    body = msgspec.msgpack.decode(env["receipt"])

    def signed(value: Any, key_id: str | None = None) -> bytes:
        raw = _ENC.encode(value)
        sig = fx.server.signing_key.sign(receipt.DOMAIN + raw)
        return _ENC.encode(
            {"receipt": raw, "key_id": key_id or body["server_key_id"], "signature": sig}
        )

    c.receipt("envelope key id differs", signed(body, key_id="other"))
    for name, value in [
        ("missing batch_id", {k: v for k, v in body.items() if k != "batch_id"}),
        ("missing refused (has a default)", {k: v for k, v in body.items() if k != "refused"}),
        ("seq as float", {**body, "seq": 7.0}),
        ("missing_seqs of str", {**body, "missing_seqs": ["2"]}),
        (
            "refused op dot of three",
            {**body, "refused": [{"index": 0, "reason": "r", "dot": ["a", 1, 2]}]},
        ),
        ("refused op dot nil", {**body, "refused": [{"index": 0, "reason": "r", "dot": None}]}),
        ("refused op kept as int", {**body, "refused": [{"index": 0, "reason": "r", "kept": 1}]}),
        ("refused op without reason", {**body, "refused": [{"index": 0}]}),
        ("unknown field added", {**body, "future": {"x": [1]}}),
        ("body an array", list(body.values())),
        ("body a str", "receipt"),
    ]:
        c.receipt(f"receipt body: {name}", signed(value))
    c.receipt("envelope an array", _ENC.encode([env["receipt"], env["key_id"], env["signature"]]))
    c.receipt(
        "envelope signature as str", _ENC.encode({**env, "signature": env["signature"].hex()})
    )
    c.receipt(
        "envelope missing key_id",
        _ENC.encode({"receipt": env["receipt"], "signature": env["signature"]}),
    )
    c.receipt(
        "envelope signature of 63 bytes", _ENC.encode({**env, "signature": env["signature"][:63]})
    )
    c.receipt("not msgpack", b"\xc1")


def generate(seed: int = 17) -> bytes:
    """The corpus as msgpack: {"version", "keys", "cases"}."""
    rng = random.Random(seed)
    fx = Fixture()
    c = Corpus(fx)
    _batch_cases(c, rng)
    _pull_cases(c, rng)
    _receipt_cases(c, rng)
    return _ENC.encode({"version": 1, "keys": fx.keys(), "cases": c.cases})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    args.out.write_bytes(generate(args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
