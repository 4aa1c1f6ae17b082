"""Draw the field app's icons (public/icon-192.png, icon-512.png, maskable): a cairn of
three stones on dark ground. Run once with `uv run python web/field/icons.py`; the PNGs
are committed (the build copies them)."""

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent / "public"


def draw(size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), (17, 24, 39))
    d = ImageDraw.Draw(img)
    s = size / 512
    stones = [(136, 330, 376, 420), (170, 240, 342, 326), (206, 160, 306, 236)]
    for x0, y0, x1, y1 in stones:
        d.ellipse([x0 * s, y0 * s, x1 * s, y1 * s], fill=(250, 204, 21))
    d.rectangle([96 * s, 424 * s, 416 * s, 440 * s], fill=(250, 204, 21))
    return img


for n in (192, 512):
    draw(n).save(HERE / f"icon-{n}.png", optimize=True)
