"""The media type of a file, sniffed from its first bytes (never from its name).

Algorithm: the magic-number table of the WHATWG MIME Sniffing Standard §7.1 ("matching
an image type pattern") for the image formats field cameras and phones write, plus PDF
and the ISO base media file format brands of HEIC/HEIF (ISO/IEC 23008-12); anything else
is ``application/octet-stream``. Pure: bytes in, text out.
"""

from __future__ import annotations

SNIFF_BYTES = 32
OCTET_STREAM = "application/octet-stream"

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"%PDF-", "application/pdf"),
)
_HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif"}


def sniff(head: bytes) -> str:
    """The media type of a file starting with ``head`` (its first ``SNIFF_BYTES`` bytes)."""
    for prefix, media_type in _PREFIXES:
        if head.startswith(prefix):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    return OCTET_STREAM
