#!/usr/bin/env python3
"""Draw the application icon once, from code, and write every size the platforms need.

One source: :func:`draw_icon` draws the icon (a white speech bubble with three dots on a rounded
blue square) at a large size; every output is a downscale of that one image:

- ``assets/icon-<N>.png`` for N in 16, 32, 48, 64, 128, 256 (Linux desktop entry, tray, web),
- ``assets/icon.png`` (256 px, the default),
- ``assets/icon.ico`` (all six sizes in one file: Windows executable, installer, tray).

Run ``python assets/make_icons.py`` after changing the drawing and commit the generated files.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent
SIZES = (16, 32, 48, 64, 128, 256)
MASTER = 1024
BLUE = (37, 99, 235, 255)
WHITE = (255, 255, 255, 255)


def draw_icon(size: int = MASTER) -> Image.Image:
    """The icon at ``size`` x ``size`` pixels (RGBA, transparent corners)."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 64  # drawn on a 64-unit grid

    d.rounded_rectangle((2 * s, 2 * s, 62 * s, 62 * s), radius=13 * s, fill=BLUE)
    # Speech bubble: rounded body plus a tail at the lower left.
    d.rounded_rectangle((11 * s, 14 * s, 53 * s, 44 * s), radius=10 * s, fill=WHITE)
    d.polygon([(18 * s, 40 * s), (30 * s, 42 * s), (15 * s, 53 * s)], fill=WHITE)
    # Three dots ("typing").
    r = 3.6 * s
    for cx in (22, 32, 42):
        d.ellipse((cx * s - r, 29 * s - r, cx * s + r, 29 * s + r), fill=BLUE)
    return img


def render(size: int, master: Image.Image) -> Image.Image:
    return master.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    master = draw_icon()
    images = {size: render(size, master) for size in SIZES}
    for size, img in images.items():
        img.save(ASSETS / f"icon-{size}.png", optimize=True)
    images[256].save(ASSETS / "icon.png", optimize=True)
    images[256].save(ASSETS / "icon.ico", sizes=[(n, n) for n in SIZES],
                     append_images=[images[n] for n in SIZES if n != 256])
    print(f"wrote icon.png, icon.ico and icon-{{{','.join(map(str, SIZES))}}}.png in {ASSETS}")


if __name__ == "__main__":
    main()
