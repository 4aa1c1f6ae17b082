"""Thumbnails of image attachments, made with Pillow on first request and cached.

A JPEG is decoded in draft mode (its DCT scaled down while decoding: a 24-megapixel
photo never sits in memory at full size), turned upright by its EXIF orientation, scaled
to fit a square of the asked size and written as JPEG to the cache by the rename
protocol (a half-written thumbnail is never served). Sizes are a fixed set, so the
cache cannot be filled by asking for every size.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from sync import durable

SIZES = (128, 256, 512)
DEFAULT_SIZE = 256


class NotAnImage(ValueError):
    """The file is not an image Pillow can read."""


def thumbnail(source: Path, target: Path, size: int) -> Path:
    """The cached thumbnail of ``source`` at ``size`` (made now if missing)."""
    if target.is_file():
        return target
    try:
        with Image.open(source) as image:
            image.draft("RGB", (size, size))
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((size, size))
            small = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NotAnImage(
            f"cannot make a thumbnail: the file is not a readable image ({exc})"
        ) from exc
    durable.make_dir(target.parent, 0o700)
    with durable.writing(target, 0o600) as f:
        small.save(f, format="JPEG", quality=80)
    return target
