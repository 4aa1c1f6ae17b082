"""The age v1 header: version line, recipient stanzas and the HMAC-SHA256 header MAC.

Algorithm: age-encryption.org/v1 (C2SP age spec, github.com/C2SP/C2SP/blob/main/age.md).
The header is ``age-encryption.org/v1\\n``, then stanzas ``-> type arg…\\n`` each followed
by its body in canonical unpadded base64 wrapped at 64 columns and always closed by a
line shorter than 64 (possibly empty), then ``--- `` and the base64 HMAC-SHA256 of the
header up to and including ``---`` under the key HKDF-SHA256(ikm=file key, salt="",
info="header"). Parsing is strict, as the official test vectors require: LF only,
canonical base64, non-empty arguments of printable ASCII, bounded line length.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.age.source import Source
from sync.errors import HeaderMacMismatch, MalformedHeader, UnsupportedVersion

VERSION_LINE = b"age-encryption.org/v1"
COLUMNS = 64
_MAX_LINE = 8192  # mlkem768x25519 enc is 1494 base64 chars; leave room for unknown stanzas
_MAX_STANZAS = 1024


class Stanza(msgspec.Struct, frozen=True, kw_only=True):
    """One recipient stanza: its type, further arguments and binary body."""

    type: str
    args: tuple[str, ...] = ()
    body: bytes = b""


class Header(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed header: stanzas, the MAC and the exact bytes the MAC covers."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes


def b64encode(data: bytes) -> str:
    """Standard base64 without padding, as age writes it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str | bytes, what: str) -> bytes:
    """Decode canonical unpadded base64 or raise MalformedHeader naming ``what``."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    if b"=" in raw or b"\r" in raw or b"\n" in raw:
        raise MalformedHeader(f"{what}: base64 must be unpadded, on one line.")
    try:
        data = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedHeader(f"{what}: invalid base64.") from None
    if b64encode(data).encode("ascii") != raw:
        raise MalformedHeader(f"{what}: base64 is not canonical.")
    return data


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA256 of the header bytes under HKDF(file key, info="header")."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"header").derive(file_key)
    return hmac.new(key, mac_input, hashlib.sha256).digest()


def verify_mac(header: Header, file_key: bytes) -> None:
    """Raise HeaderMacMismatch unless the header MAC verifies under ``file_key``."""
    if not hmac.compare_digest(header_mac(file_key, header.mac_input), header.mac):
        raise HeaderMacMismatch(
            "The age header MAC does not verify: the header was altered after encryption. "
            "Do not trust this file; ask the sender to send it again."
        )


def encode_header(stanzas: list[Stanza], file_key: bytes) -> bytes:
    """Serialize stanzas and append the MAC line (ends with a newline)."""
    parts = [VERSION_LINE + b"\n"]
    for stanza in stanzas:
        parts.append(" ".join(["->", stanza.type, *stanza.args]).encode("ascii") + b"\n")
        body = b64encode(stanza.body)
        for i in range(0, len(body), COLUMNS):
            parts.append(body[i : i + COLUMNS].encode("ascii") + b"\n")
        if len(body) % COLUMNS == 0:
            parts.append(b"\n")
    parts.append(b"---")
    mac_input = b"".join(parts)
    return mac_input + b" " + b64encode(header_mac(file_key, mac_input)).encode("ascii") + b"\n"


# Every printable ASCII byte (0x21-0x7E): deleting them from an argument leaves nothing
# exactly when the argument is all printable (one C pass, not a generator per byte: an
# mlkem768x25519 stanza's argument is about 1,500 bytes).
_PRINTABLE = bytes(range(0x21, 0x7F))


def _valid_arg(arg: bytes) -> bool:
    return bool(arg) and not arg.translate(None, _PRINTABLE)


def _read_line(src: Source, first: bool = False) -> bytes:
    line = src.read_line(_MAX_LINE)
    if line is None:
        raise MalformedHeader("age header line is too long; the file is damaged.")
    if not line.endswith(b"\n"):
        what = "file is empty or not an age file" if first and not line else "header is cut off"
        raise MalformedHeader(f"age {what}; check the whole file was transferred.")
    return line[:-1]


def parse_header(src: Source) -> Header:
    """Read and strictly parse a header from ``src``; leaves ``src`` at the payload nonce."""
    version = _read_line(src, first=True)
    if version != VERSION_LINE:
        if version.startswith(b"age-encryption.org/"):
            raise UnsupportedVersion(
                f"unsupported age version {version[:40]!r}; upgrade to a newer Cairn."
            )
        raise MalformedHeader("not an age v1 file: the first line is not 'age-encryption.org/v1'.")
    consumed = [version + b"\n"]
    stanzas: list[Stanza] = []
    line = _read_line(src)
    while line.startswith(b"-> "):
        if len(stanzas) >= _MAX_STANZAS:
            raise MalformedHeader("age header has too many recipient stanzas.")
        consumed.append(line + b"\n")
        words = line[3:].split(b" ")
        if not all(_valid_arg(w) for w in words):
            raise MalformedHeader("age stanza has an empty or non-printable argument.")
        body_lines: list[bytes] = []
        while True:
            body_line = _read_line(src)
            consumed.append(body_line + b"\n")
            if len(body_line) > COLUMNS:
                raise MalformedHeader("age stanza body line is longer than 64 columns.")
            body_lines.append(body_line)
            if len(body_line) < COLUMNS:
                break
        text = b"".join(body_lines)
        stanzas.append(
            Stanza(
                type=words[0].decode("ascii"),
                args=tuple(w.decode("ascii") for w in words[1:]),
                body=b64decode(text, "age stanza body") if text else b"",
            )
        )
        line = _read_line(src)
    if not line.startswith(b"--- "):
        raise MalformedHeader("age header has a malformed line where a stanza or MAC belongs.")
    mac = b64decode(line[4:], "age header MAC")
    if len(mac) != 32:
        raise MalformedHeader("age header MAC has the wrong length.")
    consumed.append(b"---")
    return Header(stanzas=tuple(stanzas), mac=mac, mac_input=b"".join(consumed))
