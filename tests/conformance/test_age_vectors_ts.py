"""The TypeScript age code against the official age test vectors and the `age` CLI.

Vectors (tests/testdata/age, C2SP/CCTV): every one the Python side runs (all but the
scrypt passphrase ones) must open in TypeScript to the same plaintext, or be refused with
the very error code Python gives. The `age` tool (X25519; the installed age has no
post-quantum keys) decrypts a file the TypeScript code wrote, and TypeScript decrypts a
file `age` wrote, both ways with a random plaintext of several chunks.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sync import errors
from sync.age import decrypt, parse_identity
from tests.conformance.node import HERE, ROOT, node_or_skip, run_script
from tests.sync.test_age_vectors import NAMES, _load


def _python_verdicts() -> dict[str, str]:
    out = {}
    for name in NAMES:
        fields, body = _load(name)
        if "passphrase" in fields:
            continue
        identities = [parse_identity(text) for text in fields.get("identity", [])]
        buf = io.BytesIO()
        try:
            decrypt(io.BytesIO(body), buf, identities, armored=fields.get("armored") == ["yes"])
        except errors.CairnCryptoError as exc:
            out[name] = exc.code
        else:
            out[name] = "ok:" + hashlib.sha256(buf.getvalue()).hexdigest()
    return out


def test_typescript_age_gives_python_verdict_on_every_applicable_vector(tmp_path: Path) -> None:
    node_or_skip()
    verdicts = _python_verdicts()
    assert len(verdicts) == 117  # every vector but the 26 with a passphrase (scrypt)
    assert sum(v.startswith("ok:") for v in verdicts.values()) >= 20
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(verdicts))
    status, summary = run_script("run_age_vectors.mjs", str(expected))
    assert summary["failures"] == 0, summary["first"]
    assert status == 0
    assert summary["ran"]["x25519"] >= 10 and summary["ran"]["hybrid"] >= 15
    assert summary["ran"]["stream"] >= 20 and summary["ran"]["armor"] >= 30


def test_the_vector_runner_reports_a_wrong_verdict(tmp_path: Path) -> None:
    """The check can fail: a vector expected to open that TypeScript refuses is reported."""
    node_or_skip()
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({"hmac_bad": "ok:00", "x25519": "bad_header_mac"}))
    status, summary = run_script("run_age_vectors.mjs", str(expected))
    assert status == 1
    assert summary["failures"] == 2


def _age_tools() -> tuple[str, str]:
    age, keygen = shutil.which("age"), shutil.which("age-keygen")
    if age is None or keygen is None:
        pytest.skip("the age CLI is not installed (apt-get install age)")
    return age, keygen


def _node(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node_or_skip(), str(HERE / "age_cli.mjs"), script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_age_cli_decrypts_what_typescript_wrote_and_typescript_what_age_wrote(
    tmp_path: Path,
) -> None:
    node_or_skip()
    age, keygen = _age_tools()
    key = tmp_path / "key.txt"
    subprocess.run([keygen, "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run(
        [keygen, "-y", str(key)], check=True, capture_output=True, text=True
    ).stdout.strip()
    identity = next(
        line for line in key.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1")
    )
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(200_000) + b"end")  # four payload chunks

    # TypeScript encrypts; age decrypts.
    by_ts = tmp_path / "by-ts.age"
    done = _node("encrypt", recipient, str(plain), str(by_ts))
    assert done.returncode == 0, done.stderr
    out = subprocess.run([age, "-d", "-i", str(key), str(by_ts)], capture_output=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == plain.read_bytes()

    # age encrypts; TypeScript decrypts, and refuses the same file cut short or with
    # someone else's key, with Python's codes.
    by_age = tmp_path / "by-age.age"
    subprocess.run([age, "-r", recipient, "-o", str(by_age), str(plain)], check=True)
    result = tmp_path / "by-age.plain"
    done = _node("decrypt", identity, str(by_age), str(result))
    assert done.returncode == 0, done.stderr
    assert result.read_bytes() == plain.read_bytes()
    cut = tmp_path / "cut.age"
    cut.write_bytes(by_age.read_bytes()[:-5000])
    done = _node("decrypt", identity, str(cut), str(tmp_path / "x"))
    assert done.returncode == 3 and done.stdout.strip() == "tampered_payload", done.stderr
    assert not (tmp_path / "x").exists()
    other = subprocess.run([keygen], check=True, capture_output=True, text=True).stdout
    other_identity = next(x for x in other.splitlines() if x.startswith("AGE-SECRET-KEY-1"))
    done = _node("decrypt", other_identity, str(by_age), str(tmp_path / "y"))
    assert done.returncode == 3 and done.stdout.strip() == "no_matching_identity", done.stderr

    # Armored by age (-a): TypeScript reads the armor too.
    armored = tmp_path / "armored.age"
    subprocess.run([age, "-a", "-r", recipient, "-o", str(armored), str(plain)], check=True)
    done = _node("decrypt", identity, str(armored), str(tmp_path / "armored.plain"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "armored.plain").read_bytes() == plain.read_bytes()
