"""Receptive fields: which input pixels a unit in a deeper layer depends on.

For a stack of windows (kernel k, stride s, padding p, dilation d), layer by layer:

    jump      j_out = j_in * s                      (input pixels between neighbouring units)
    size      r_out = r_in + (k_eff - 1) * j_in     (k_eff = d(k-1) + 1)
    start     c_out = c_in + ((k_eff - 1)/2 - p) * j_in   (centre of unit 0, in input pixels)

starting from the input itself with j = 1, r = 1, c = 0.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    layer: str
    size: int       # r: the patch is r x r input pixels (before clipping to the image)
    jump: int       # j
    start: float    # c: centre of unit (0, 0) in input coordinates
    units: int      # units along one side of this layer's output
    formula: str


def window_specs(model, input_size=28, channels=1):
    """(name, kernel, stride, padding before, output size) along the rows of every layer of a
    Sequential, for square images of input_size with `channels` channels, up to the first layer
    whose output has no rows and columns (Flatten, Dense). Each layer says its own Window;
    one that does not raises ValueError."""
    specs, shape = [], (channels, input_size, input_size)
    for layer in model.layers:
        window = layer.window(shape)
        if window is None:
            break
        shape = layer.output_shape(shape)
        specs.append((layer.name, window.size[0], window.stride[0], window.pad[0],
                      shape[1] if len(shape) == 3 else 1))
        if len(shape) != 3:  # pooled to one number per channel
            break
    return specs


def receptive_fields(specs):
    """A Field per layer for specs (name, kernel, stride, padding, output size)."""
    fields, r, j, c = [], 1, 1, 0.0
    for name, k, s, p, size in specs:
        r_new = r + (k - 1) * j
        formula = f"r = {r} + ({k} - 1)·{j} = {r_new}" if k > 1 else f"r = {r} (no window)"
        c = c + ((k - 1) / 2 - p) * j
        r, j = r_new, j * s
        fields.append(Field(name, r, j, c, size, formula + f", jump = {j}"))
    return fields


def patch(field, row, col, input_size=28):
    """Input rows and columns (first, last), clipped to the image, seen by unit (row, col)."""
    half = (field.size - 1) / 2

    def span(i):
        centre = field.start + i * field.jump
        lo, hi = int(round(centre - half)), int(round(centre + half))
        return max(lo, 0), min(hi, input_size - 1)

    if not (0 <= row < field.units and 0 <= col < field.units):
        raise ValueError(f"this layer has {field.units} x {field.units} units; pick rows and columns "
                         f"from 0 to {field.units - 1}")
    return span(row), span(col)
