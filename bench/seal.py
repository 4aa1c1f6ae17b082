"""Sealing cost against raw ChaCha20-Poly1305, and our age against the `age` tool.

Run: ``uv run python bench/seal.py``. Measures in one run:

- seal / open of a 10,000-op batch (msgpack, ~2.5 MB) to a post-quantum
  (mlkem768x25519) and to an X25519 server key, as ratios to raw ChaCha20-Poly1305
  encrypt / decrypt of the same bytes (one call, no framing);
- our streaming age against ``/usr/bin/age`` on a 200 MB file (X25519), encrypt and
  decrypt, file to file, as throughput ratios (ours / age; 1.0 = as fast as the tool).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from sync import age, sealed
from sync.keys import DeviceKeys, ServerKeys

OPS = 10_000
BIG = 200 * 1024 * 1024


def batch_body() -> bytes:
    """A msgpack array of 10,000 op-shaped maps (ids, clocks, context, GPS, fields)."""
    ops = [
        {
            "kind": "patch",
            "dot": ["tab-7f3a9c", 10_000 + i],
            "record_id": f"0190f1c2-{i:04x}-7000-8000-{i * 7919:012x}",
            "form": "body_recovery@3",
            "hlc": (1_750_000_000_000 + i * 37) << 16,
            "context": {"tab-7f3a9c": 10_000 + i - 1, "srv": 4_211},
            "set": {
                "body_number": f"DSH-B{i:04d}",
                "condition": "skeletonised",
                "completeness": "partial",
                "notes": "left femur, pelvis; clothing bagged",
            },
            "gps": {"lat": 40.1234 + i * 1e-6, "lon": 46.9876 - i * 1e-6, "acc": 3.5},
            "wall_time": 1_750_000_000_000 + i * 37,
        }
        for i in range(OPS)
    ]
    return msgspec.msgpack.encode(ops)


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_batches(body: bytes) -> None:
    """Seal/open against raw AEAD over the same bytes."""
    aead = ChaCha20Poly1305(os.urandom(32))
    nonce = os.urandom(12)
    ct = aead.encrypt(nonce, body, None)
    raw_enc = best(lambda: aead.encrypt(nonce, body, None))
    raw_dec = best(lambda: aead.decrypt(nonce, ct, None))
    device = DeviceKeys.generate()
    print(f"batch body: {OPS} ops, {len(body) / 1e6:.2f} MB msgpack")
    print(f"raw ChaCha20-Poly1305: encrypt {raw_enc * 1e3:.2f} ms, decrypt {raw_dec * 1e3:.2f} ms")
    for label, hybrid in (("mlkem768x25519", True), ("X25519", False)):
        bench_one(label, ServerKeys.generate(hybrid=hybrid), device, body, raw_enc, raw_dec)


def bench_one(
    label: str, server: ServerKeys, device: DeviceKeys, body: bytes, raw_enc: float, raw_dec: float
) -> None:
    """Seal and open ``body`` to one server key; print times and ratios."""
    info = sealed.SignerInfo(device_id="d", public_key=device.public().signing_public)

    def seal() -> bytes:
        return sealed.seal_batch(
            body,
            device_id="d",
            batch_id="b",
            seq=1,
            device_signing_key=device.signing_key,
            server_recipient=server.current.recipient,
            server_key_id=server.current.key_id,
        )

    raw = seal()
    ids = server.batch_identities()
    t_seal = best(seal)
    t_open = best(lambda: sealed.open_batch(raw, identities=ids, signer_lookup=lambda _: info))
    print(
        f"{label:>15}: seal {t_seal * 1e3:6.2f} ms ({t_seal / raw_enc:4.1f}x raw), "
        f"open {t_open * 1e3:6.2f} ms ({t_open / raw_dec:4.1f}x raw), "
        f"{OPS / t_open:,.0f} ops/s opened, overhead {len(raw) - len(body)} B"
    )


def bench_files(tool: str) -> None:
    """Our age against the age tool on a 200 MB file, both directions."""
    ident = age.generate_x25519()
    recipient = str(ident.recipient())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        plain, key = d / "plain", d / "key.txt"
        age.write_identity_file(key, ident)
        block = os.urandom(1 << 20)
        with plain.open("wb") as f:
            for _ in range(BIG >> 20):
                f.write(block)

        def ours_enc() -> None:
            with plain.open("rb") as src, (d / "ours.age").open("wb") as dst:
                age.encrypt(src, dst, [ident.recipient()])

        def ours_dec() -> None:
            with (d / "tool.age").open("rb") as src, (d / "out1").open("wb") as dst:
                age.decrypt(src, dst, [ident])

        def tool_enc() -> None:
            subprocess.run(
                [tool, "-e", "-r", recipient, "-o", str(d / "tool.age"), str(plain)], check=True
            )

        def tool_dec() -> None:
            subprocess.run(
                [tool, "-d", "-i", str(key), "-o", str(d / "out2"), str(d / "ours.age")], check=True
            )

        t = {
            name: best(fn, repeat=3)
            for name, fn in (
                ("ours_enc", ours_enc),
                ("tool_enc", tool_enc),
                ("ours_dec", ours_dec),
                ("tool_dec", tool_dec),
            )
        }
        mb = BIG / 1e6
        print(
            f"200 MB file, X25519 (MB/s): ours encrypt {mb / t['ours_enc']:.0f}, "
            f"age encrypt {mb / t['tool_enc']:.0f} → ratio {t['tool_enc'] / t['ours_enc']:.2f}; "
            f"ours decrypt {mb / t['ours_dec']:.0f}, age decrypt {mb / t['tool_dec']:.0f} "
            f"→ ratio {t['tool_dec'] / t['ours_dec']:.2f}"
        )


def main() -> None:
    """Run both benchmarks and print figures."""
    bench_batches(batch_body())
    tool = shutil.which("age")
    if tool is None:
        print("age tool not on PATH: file comparison skipped")
    else:
        bench_files(tool)


if __name__ == "__main__":
    main()
