"""The TypeScript core gives the Python verdict on every sealed message of the corpus.

The corpus is generated here from the Python code (gen_sealed_corpus.py): sealed batches
(opened as the server opens them), sealed pull responses (opened as a device does, the
page decoded) and receipts, whole and damaged every way the generator knows (flipped
bits in every region, cuts, re-encrypted alterations of what is signed, wrong shapes,
wrong keys, wrong signers, revoked and unknown devices). For each, TypeScript must give
the same error code as sync/errors.py, or the same decoded fields and hashes.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from tests.conformance import gen_sealed_corpus
from tests.conformance.node import BUILD, node_or_skip, run_script


def test_typescript_gives_python_verdict_on_every_sealed_message(tmp_path: Path) -> None:
    node_or_skip()
    assert BUILD.exists(), "the committed build is missing: run (cd web/core && npm run build)"
    corpus = tmp_path / "sealed.msgpack"
    corpus.write_bytes(gen_sealed_corpus.generate(seed=17))
    cases = msgspec.msgpack.decode(corpus.read_bytes())["cases"]
    codes = {c["expect"] for c in cases}
    # The corpus reaches every refusal a device or the server can meet here.
    assert codes >= {
        "",
        "malformed_envelope",
        "unsupported_envelope_version",
        "not_for_us",
        "malformed_header",
        "unsupported_age_version",
        "bad_header_mac",
        "truncated_payload",
        "tampered_payload",
        "bad_signature",
        "unknown_signer",
        "revoked_signer",
        "routing_mismatch",
        "malformed_receipt",
        "bad_receipt_signature",
    }
    status, summary = run_script("run_sealed.mjs", str(corpus))
    assert summary["failures"] == 0, summary["first"]
    assert status == 0
    assert summary["cases"] == len(cases) >= 1900
    assert min(summary["counts"].values()) >= 500


def test_the_sealed_runner_reports_a_different_verdict(tmp_path: Path) -> None:
    """The check can fail: a case whose expected code is changed, and one whose expected
    fields are changed, are both reported."""
    node_or_skip()
    data = msgspec.msgpack.decode(gen_sealed_corpus.generate(seed=3))
    opened = next(c for c in data["cases"] if c["kind"] == "pull" and c["expect"] == "")
    opened["summary"] = opened["summary"][:-1] + b"\xc0"
    refused = next(c for c in data["cases"] if c["expect"] == "bad_header_mac")
    refused["expect"] = "tampered_payload"
    data["cases"] = [opened, refused]
    corpus = tmp_path / "tampered.msgpack"
    corpus.write_bytes(msgspec.msgpack.encode(data))
    status, summary = run_script("run_sealed.mjs", str(corpus))
    assert status == 1
    assert summary["failures"] == 2
    assert {f["problem"] for f in summary["first"]} == {
        "decoded fields differ",
        "gave bad_header_mac, expected tampered_payload",
    }
