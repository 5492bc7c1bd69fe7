"""Rebuild the sample images of the image-filter lesson in assets/samples/.

- hopper.png: Grace Hopper's official US Navy portrait (public domain), from the copy that
  matplotlib ships as sample data, converted to grey and cut to 256 x 256.
- rgb/hopper.png: the same portrait in colour, 128 x 128, for the volumes lesson.
- shapes.png, stripes.png, checkerboard.png: drawn here by code (same licence as ConvLab).

    python assets/build_samples.py
"""

from pathlib import Path

import numpy as np
from matplotlib import cbook
from PIL import Image

OUT = Path(__file__).with_name("samples")


def hopper(mode="L", side_out=256):
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = Image.open(f).convert(mode)
    w, h = img.size
    side = min(w, h)
    img = img.crop(((w - side) // 2, 0, (w + side) // 2, side))
    return img.resize((side_out, side_out), Image.LANCZOS)


def shapes(n=256):
    y, x = np.mgrid[0:n, 0:n]
    img = np.full((n, n), 40, np.uint8)
    img[(x - 80) ** 2 + (y - 90) ** 2 < 50 ** 2] = 220                     # a disc
    img[150:230, 140:230] = 160                                            # a square
    img[(y > 20) & (y < 110) & (x > 140) & (x - 140 > (110 - y) // 2)] = 255  # a wedge
    return Image.fromarray(img)


def stripes(n=256):
    y, x = np.mgrid[0:n, 0:n]
    left = 128 + 100 * np.sin(2 * np.pi * x / 12)
    right = 128 + 100 * np.sin(2 * np.pi * (x + y) / 16)
    return Image.fromarray(np.where(x < n // 2, left, right).astype(np.uint8))


def checkerboard(n=256, cell=32):
    y, x = np.mgrid[0:n, 0:n]
    return Image.fromarray((((x // cell) + (y // cell)) % 2 * 255).astype(np.uint8))


def main():
    OUT.mkdir(exist_ok=True)
    for name, make in [("hopper", hopper), ("shapes", shapes), ("stripes", stripes), ("checkerboard", checkerboard)]:
        make().save(OUT / f"{name}.png", optimize=True)
        print("wrote", OUT / f"{name}.png")
    (OUT / "rgb").mkdir(exist_ok=True)
    hopper("RGB", 128).save(OUT / "rgb" / "hopper.png", optimize=True)
    print("wrote", OUT / "rgb" / "hopper.png")


if __name__ == "__main__":
    main()
