"""Bech32 encoding (BIP 173) as age uses it for recipients and identities.

Algorithm: BIP 173 (github.com/bitcoin/bips/blob/master/bip-0173.mediawiki) — the
human-readable part, a ``1`` separator, 5-bit groups from the data, and a 6-character
BCH checksum (constant 1, not Bech32m). As in age's ``internal/bech32`` package, the
90-character length limit is lifted (post-quantum recipients are ~1950 characters) and
strings must be all lower case or all upper case.
"""

from __future__ import annotations

from sync.errors import InvalidKeyText

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUES = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def _expand_hrp(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise InvalidKeyText("Bech32 data has invalid padding; check the key was copied whole.")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode ``data`` under ``hrp``; the result has the case of ``hrp``."""
    lower = hrp.lower()
    values = _convert_bits(data, 8, 5, pad=True)
    poly = _polymod([*_expand_hrp(lower), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    text = lower + "1" + "".join(_CHARSET[v] for v in values + checksum)
    return text.upper() if hrp.isupper() else text


def decode(text: str) -> tuple[str, bytes]:
    """Decode a Bech32 string into (lower-case hrp, data); raise InvalidKeyText if invalid."""
    if text.lower() != text and text.upper() != text:
        raise InvalidKeyText("Bech32 string mixes upper and lower case; use one case.")
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise InvalidKeyText("Bech32 string has characters outside printable ASCII.")
    lower = text.lower()
    pos = lower.rfind("1")
    if pos < 1 or pos + 7 > len(lower):
        raise InvalidKeyText("Bech32 string lacks a separator or checksum; it is truncated.")
    hrp, rest = lower[:pos], lower[pos + 1 :]
    try:
        values = [_VALUES[c] for c in rest]
    except KeyError:
        raise InvalidKeyText("Bech32 string has a character outside its alphabet.") from None
    if _polymod(_expand_hrp(hrp) + values) != 1:
        raise InvalidKeyText("Bech32 checksum mismatch: the key text was mistyped or damaged.")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, pad=False))
