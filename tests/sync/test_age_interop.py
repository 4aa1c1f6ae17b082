"""Interoperability with the reference ``age`` tool (Debian package, X25519), both ways.

Sizes straddle the 64 KiB chunk boundary; armor both ways; and a 100 MB stream through
pipes checks our memory stays flat while the tool and we agree on every byte.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync import age

AGE = shutil.which("age")
pytestmark = pytest.mark.skipif(AGE is None, reason="the age command-line tool is not on PATH")
ROOT = Path(__file__).parents[2]
KIB64 = 64 * 1024
SIZES = [0, 1, KIB64 - 1, KIB64, KIB64 + 1, 3 * KIB64, 5 * KIB64 + 7]


def _data(size: int) -> bytes:
    return hashlib.shake_256(size.to_bytes(8, "big")).digest(size) if size else b""


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[age.X25519Identity, Path]:
    """An X25519 identity and its age-keygen style file (what `age -i` reads)."""
    ident = age.generate_x25519()
    path = tmp_path_factory.mktemp("keys") / "key.txt"
    age.write_identity_file(path, ident)
    return ident, path


def _run(args: list[str], data: bytes) -> bytes:
    assert AGE is not None
    done = subprocess.run([AGE, *args], input=data, capture_output=True, check=True, timeout=60)
    return done.stdout


@pytest.mark.parametrize("armor", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_ours_encrypts_age_decrypts(
    size: int, armor: bool, identity: tuple[age.X25519Identity, Path]
) -> None:
    """`age -d` opens what we encrypt (binary and armored)."""
    ident, path = identity
    plain = _data(size)
    sealed = age.encrypt_bytes(plain, [ident.recipient()], armor=armor)
    assert _run(["-d", "-i", str(path)], sealed) == plain


@pytest.mark.parametrize("armor", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_age_encrypts_ours_decrypts(
    size: int, armor: bool, identity: tuple[age.X25519Identity, Path]
) -> None:
    """We open what `age -e` encrypts, to one of several recipients."""
    ident, _ = identity
    plain = _data(size)
    other = age.generate_x25519().recipient()
    args = ["-e", "-r", str(other), "-r", str(ident.recipient())] + (["-a"] if armor else [])
    sealed = _run(args, plain)
    assert age.decrypt_bytes(sealed, [ident]) == plain


def test_age_keygen_identity_file_is_read(tmp_path: Path) -> None:
    """An identity file written by age-keygen loads and decrypts."""
    keygen = shutil.which("age-keygen")
    if keygen is None:
        pytest.skip("age-keygen is not on PATH")
    path = tmp_path / "k.txt"
    subprocess.run([keygen, "-o", str(path)], check=True, capture_output=True, timeout=30)
    (ident,) = age.read_identity_file(path)
    recipient = subprocess.run(
        [keygen, "-y", str(path)], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    assert str(ident.recipient()) == recipient
    out = io.BytesIO()
    age.decrypt(io.BytesIO(_run(["-e", "-r", recipient], b"grave 7")), out, [ident])
    assert out.getvalue() == b"grave 7"


BIG = 100 * 1024 * 1024
_WORKER = r"""
import hashlib, resource, sys
from sync import age
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
mode, key = sys.argv[1], sys.argv[2]
base = rss()
h = hashlib.sha256()
if mode == "encrypt":
    block = hashlib.shake_256(b"cairn").digest(1 << 20)
    with age.Encryptor(sys.stdout.buffer, [age.parse_recipient(key)]) as enc:
        for i in range(int(sys.argv[3]) >> 20):
            chunk = i.to_bytes(8, "big") + block[8:]
            h.update(chunk)
            enc.write(chunk)
else:
    class Hash:
        def write(self, data): h.update(data)
    age.decrypt(sys.stdin.buffer, Hash(), age.read_identity_file(__import__("pathlib").Path(key)))
sys.stdout.flush()
print(h.hexdigest(), rss() - base, file=sys.stderr)
"""


def _generate(sink: io.BufferedWriter, h: hashlib._Hash) -> None:
    block = hashlib.shake_256(b"cairn").digest(1 << 20)
    for i in range(BIG >> 20):
        chunk = i.to_bytes(8, "big") + block[8:]
        h.update(chunk)
        sink.write(chunk)
    sink.close()


def _report(proc: subprocess.Popen[bytes]) -> tuple[str, int]:
    assert proc.stderr is not None
    digest, growth = proc.stderr.read().decode().split()
    return digest, int(growth)


@pytest.mark.slow
def test_100mb_ours_encrypts_age_decrypts(identity: tuple[age.X25519Identity, Path]) -> None:
    """100 MB from us through `age -d`: same bytes, our peak RSS grows < 32 MiB."""
    assert AGE is not None
    ident, path = identity
    cmd = [sys.executable, "-c", _WORKER, "encrypt", str(ident.recipient()), str(BIG)]
    pipe = subprocess.PIPE
    with subprocess.Popen(cmd, stdout=pipe, stderr=pipe, cwd=ROOT) as ours:
        assert ours.stdout is not None
        with subprocess.Popen([AGE, "-d", "-i", str(path)], stdin=ours.stdout, stdout=pipe) as dec:
            ours.stdout.close()
            assert dec.stdout is not None
            got = hashlib.sha256()
            while data := dec.stdout.read(1 << 20):
                got.update(data)
        digest, growth = _report(ours)
    assert dec.returncode == 0 and ours.returncode == 0
    assert got.hexdigest() == digest
    assert growth < 32 * 1024 * 1024


@pytest.mark.slow
def test_100mb_age_encrypts_ours_decrypts(identity: tuple[age.X25519Identity, Path]) -> None:
    """100 MB from `age -e` into us: same bytes, our peak RSS grows < 32 MiB."""
    assert AGE is not None
    ident, path = identity
    pipe = subprocess.PIPE
    sent = hashlib.sha256()
    with subprocess.Popen(
        [AGE, "-e", "-r", str(ident.recipient())], stdin=pipe, stdout=pipe
    ) as enc:
        assert enc.stdin is not None and enc.stdout is not None
        cmd = [sys.executable, "-c", _WORKER, "decrypt", str(path)]
        with subprocess.Popen(cmd, stdin=enc.stdout, stderr=pipe, cwd=ROOT) as ours:
            enc.stdout.close()
            feeder = threading.Thread(target=_generate, args=(enc.stdin, sent))
            feeder.start()
            feeder.join(timeout=60)
            digest, growth = _report(ours)
    assert enc.returncode == 0 and ours.returncode == 0
    assert digest == sent.hexdigest()
    assert growth < 32 * 1024 * 1024
