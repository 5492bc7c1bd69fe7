"""Drawn-like shapes for trying a learner's own classes: circles, triangles and squares outlined
with PIL at random positions, sizes, turns and pen widths on a 280 x 280 canvas, white on
black like the drawing canvas, corners a little off as a hand would leave them.

    python tests/benchmarks/drawn_shapes.py shapes.npz            # 20 of each, as a ConvLab data set
    python tests/benchmarks/drawn_shapes.py shapes.npz --per-class 40 --seed 3
    python tests/benchmarks/drawn_shapes.py pngs/ --png           # the raw drawings as PNG files

Nothing is downloaded: every image is drawn here.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

CLASSES = ("circle", "triangle", "square")
CANVAS = 280


def _corners(kind, rng, centre, radius):
    """The outline's points: a regular polygon turned at random, each point a little off."""
    sides = {"triangle": 3, "square": 4}[kind]
    turn = rng.uniform(0, 2 * np.pi)
    angles = turn + 2 * np.pi * np.arange(sides) / sides
    wobble = rng.normal(0, 0.06 * radius, (sides, 2))
    return [(centre[0] + radius * np.cos(a) + dx, centre[1] + radius * np.sin(a) + dy)
            for a, (dx, dy) in zip(angles, wobble)]


def draw(kind, rng):
    """One drawing of a circle, triangle or square: (280, 280) uint8, ink 255 on 0."""
    img = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(img)
    radius = rng.uniform(35, 110)
    centre = rng.uniform(radius + 5, CANVAS - radius - 5, 2)
    width = int(rng.integers(8, 22))
    if kind == "circle":
        rx, ry = radius * rng.uniform(0.85, 1.15, 2)  # a hand's circle is never quite round
        pen.ellipse([centre[0] - rx, centre[1] - ry, centre[0] + rx, centre[1] + ry], outline=255, width=width)
    else:
        points = _corners(kind, rng, centre, radius)
        pen.line(points + points[:1], fill=255, width=width, joint="curve")
    return np.asarray(img)


def drawings(per_class=20, seed=0, classes=CLASSES):
    """[(class name, drawing)] with per_class drawings of each class, classes interleaved."""
    rng = np.random.default_rng(seed)
    return [(kind, draw(kind, rng)) for _ in range(per_class) for kind in classes]


def shape_set(per_class=20, seed=0):
    """The drawings prepared into an engine ImageSet, the way the page prepares a drawing."""
    from engine.image_set import ImageSet

    s = ImageSet(list(CLASSES))
    for kind, image in drawings(per_class, seed):
        s.add_image(kind, image)
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="an .npz file to write (or a folder, with --png)")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", action="store_true", help="write each drawing as a PNG instead")
    args = parser.parse_args()
    if args.png:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for i, (kind, image) in enumerate(drawings(args.per_class, args.seed)):
            Image.fromarray(image).save(out / f"{kind}_{i:03d}.png")
        print(f"wrote {args.per_class * len(CLASSES)} drawings to {out}/")
    else:
        shape_set(args.per_class, args.seed).save(args.out)
        print(f"wrote {args.out}: {args.per_class} drawings of each of {', '.join(CLASSES)}")


if __name__ == "__main__":
    main()
