"""Receptive fields: which input pixels a unit of a layer can see.

For each layer with kernel k, stride s, padding p and dilation d (effective kernel
k' = d(k-1) + 1) the standard recurrence gives, from the input (r = 1, j = 1, start = 0):

    r_out = r_in + (k' - 1) j_in          the receptive field's size in input pixels
    j_out = j_in s                         the jump: input pixels between neighbouring units
    start_out = start_in + ((k' - 1)/2 - p) j_in   the centre of the first unit, in input pixels

A unit (row, col) of that layer is centred on start + (row, col) j and sees the r x r input
patch around it, clipped to the image.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerSpec:
    name: str
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    dense: bool = False   # a dense layer sees the whole input


@dataclass(frozen=True)
class FieldRow:
    name: str
    size: float        # receptive field r (input pixels per side)
    jump: float        # j
    start: float       # centre of unit 0, in input pixel coordinates
    out_size: int      # the layer's output height (= width)
    formula: str       # the recurrence with the numbers filled in


# The default digit network's layers that change geometry (ReLU and dropout keep it).
DIGIT_NET = (
    LayerSpec("conv 8@5x5 same", 5, 1, 2),
    LayerSpec("max-pool 2", 2, 2, 0),
    LayerSpec("conv 16@3x3 same", 3, 1, 1),
    LayerSpec("max-pool 2", 2, 2, 0),
    LayerSpec("dense 256", dense=True),
    LayerSpec("dense 10", dense=True),
)


def _fmt(v):
    return f"{v:g}"


def _check(spec):
    for what, v, low in (("kernel", spec.kernel, 1), ("stride", spec.stride, 1),
                         ("padding", spec.padding, 0), ("dilation", spec.dilation, 1)):
        if not isinstance(v, int) or v < low:
            raise ValueError(f"the {what} of layer '{spec.name}' must be a whole number of at least {low}, not {v!r}")


def receptive_fields(specs=DIGIT_NET, image_size=28):
    """One FieldRow per layer, starting with the input itself."""
    if not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"the image size must be a positive whole number, not {image_size!r}")
    r, j, start, n = 1.0, 1.0, 0.0, image_size
    rows = [FieldRow("input", r, j, start, n, "r_0 = 1, j_0 = 1")]
    for spec in specs:
        _check(spec)
        if spec.dense:
            r, j, start, n = float(image_size), float(image_size), (image_size - 1) / 2, 1
            rows.append(FieldRow(spec.name, r, j, start, 1,
                                 f"a dense unit is connected to every unit below: r = {image_size} (the whole image)"))
            continue
        k = spec.dilation * (spec.kernel - 1) + 1
        r_new = r + (k - 1) * j
        j_new = j * spec.stride
        start_new = start + ((k - 1) / 2 - spec.padding) * j
        n_new = (n + 2 * spec.padding - k) // spec.stride + 1
        if n_new < 1:
            raise ValueError(f"layer '{spec.name}' has a {k}x{k} window that does not fit in a {n}x{n} input "
                             f"with padding {spec.padding}")
        formula = (f"r = {_fmt(r)} + ({k} - 1)·{_fmt(j)} = {_fmt(r_new)},  "
                   f"j = {_fmt(j)}·{spec.stride} = {_fmt(j_new)}")
        r, j, start, n = r_new, j_new, start_new, n_new
        rows.append(FieldRow(spec.name, r, j, start, n, formula))
    return rows


@dataclass(frozen=True)
class Patch:
    top: int
    bottom: int    # inclusive
    left: int
    right: int     # inclusive
    size: float
    clipped: bool  # part of the field falls on padding outside the image

    @property
    def rows(self):
        return self.bottom - self.top + 1

    @property
    def cols(self):
        return self.right - self.left + 1


def unit_patch(layer, row, col, specs=DIGIT_NET, image_size=28):
    """The input patch unit (row, col) of layer `layer` (0 = input, 1 = after the first spec) sees.

    Returns a Patch with inclusive row and column ranges clipped to the image.
    """
    rows = receptive_fields(specs, image_size)
    if not isinstance(layer, int) or not 0 <= layer < len(rows):
        raise ValueError(f"pick a layer between 0 and {len(rows) - 1}, not {layer!r}")
    f = rows[layer]
    for what, v in (("row", row), ("column", col)):
        if not isinstance(v, int) or not 0 <= v < f.out_size:
            raise ValueError(f"layer '{f.name}' is {f.out_size}x{f.out_size}: the {what} must be "
                             f"between 0 and {f.out_size - 1}, not {v!r}")
    half = (f.size - 1) / 2
    top, left = f.start + row * f.jump - half, f.start + col * f.jump - half
    if layer and specs[layer - 1].dense:
        top = left = 0
    top, left = int(round(top)), int(round(left))
    bottom, right = top + int(f.size) - 1, left + int(f.size) - 1
    ctop, cleft = max(top, 0), max(left, 0)
    cbottom, cright = min(bottom, image_size - 1), min(right, image_size - 1)
    clipped = (ctop, cleft, cbottom, cright) != (top, left, bottom, right)
    return Patch(ctop, cbottom, cleft, cright, f.size, clipped)
