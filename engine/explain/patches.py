"""What a convolution filter responds to: the image patches that excite it most (Zeiler and
Fergus' visualisation), and its average response to each class.

For filter f of a convolution layer, an image's response is the largest value of f's feature
map over all positions (the convolution's output, before any activation). The top patches of
a data set are the k images with the largest responses, each cut at the receptive field of the
unit where that largest value lies: the only input pixels that value depends on.
"""

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from engine.explain import _checks
from engine.explain._forward import prefix_outputs
from engine.memory import check_allocation
from engine.lessons.receptive_field import patch, receptive_fields, window_specs


class Responses(NamedTuple):
    values: np.ndarray  # (N, K): each image's largest value of each filter's map
    rows: np.ndarray    # (N, K) int64: the row of the layer's output where it lies
    cols: np.ndarray    # (N, K) int64: and the column


class TopPatches(NamedTuple):
    layer: int
    size: int             # r: each patch is r x r input pixels, the layer's receptive field
    indices: np.ndarray   # (K, k) int64: which images, strongest first
    values: np.ndarray    # (K, k): their responses
    rows: np.ndarray      # (K, k) int64: the unit of the layer's output each patch belongs to
    cols: np.ndarray      # (K, k) int64
    patches: np.ndarray   # (K, k, C, r, r): the input pixels under each unit, zero outside the image
    boxes: np.ndarray     # (K, k, 4) int64: the patch's first and last row, first and last column
                          # inside the image (clipped at its border)


def strongest_responses(model, x, layer, batch_size=256):
    """Each image's strongest response of every filter of one convolution layer, and where.

    model: a Sequential; x: (N, C, H, W); layer: the index in model.layers of a Conv2D with K
    filters and output (N, K, H', W'). Returns Responses with values (N, K), float32 (float64
    for a float64 x), and rows, cols (N, K): the first position of the largest value, in
    reading order.
    """
    model = _checks.model(model)
    layer = _checks.conv_layer(model, layer)
    x = _checks.images(x)
    _checks.first_layer_input(model, x)
    batch_size = _checks.whole(batch_size, "batch size", 1)
    k = model.layers[layer].out_ch
    values = rows = cols = None
    for start, z in prefix_outputs(model, x, layer + 1, batch_size):
        n, _, _, width = z.shape
        flat = z.reshape(n, k, -1)
        where = flat.argmax(axis=2)
        if values is None:
            values = np.empty((len(x), k), z.dtype)
            rows, cols = np.empty((len(x), k), np.int64), np.empty((len(x), k), np.int64)
        values[start:start + n] = np.take_along_axis(flat, where[..., None], axis=2)[..., 0]
        rows[start:start + n], cols[start:start + n] = np.divmod(where, width)
    return Responses(values, rows, cols)


def top_patches(model, x, layer, k=9, batch_size=256, responses=None):
    """The k images of x that excite each filter of a convolution layer most, with the patch of
    each that the strongest unit sees.

    model: a Sequential; x: (N, C, H, W) square images; layer: the index of a Conv2D with K
    filters; k <= N. responses: strongest_responses(model, x, layer) if already at hand.
    Returns TopPatches: indices, values, rows, cols (K, k), patches (K, k, C, r, r), with r
    the layer's receptive field (engine.lessons.receptive_field), and boxes (K, k, 4), where each patch
    lies in its image; ties go to the lower image number.
    """
    model = _checks.model(model)
    layer = _checks.conv_layer(model, layer)
    x = _checks.images(x)
    n, c, h, w = x.shape
    if h != w:
        raise ValueError(f"top patches need square images (receptive fields are worked out for "
                         f"H = W), not {h} x {w}")
    k = _checks.whole(k, "number of patches", 1, n)
    if responses is None:
        responses = strongest_responses(model, x, layer, batch_size)
    elif responses.values.shape != (n, model.layers[layer].out_ch):
        raise ValueError(f"the responses are for {responses.values.shape} images and filters, "
                         f"not these {n} images and layer {layer}'s {model.layers[layer].out_ch} filters")
    field = receptive_fields(window_specs(model, input_size=h, channels=x.shape[1]))[layer]
    r = field.size
    # in coordinates of the image padded by r on every side no window is clipped
    padded_field = replace(field, start=field.start + r)
    check_allocation((responses.values.shape[1], k, c, r, r), x.dtype, "set of top patches")
    order = np.argsort(-responses.values, axis=0, kind="stable")[:k].T  # (K, k)
    rows = np.take_along_axis(responses.rows.T, order, axis=1)
    cols = np.take_along_axis(responses.cols.T, order, axis=1)
    patches = np.zeros(order.shape + (c, r, r), x.dtype)
    boxes = np.zeros(order.shape + (4,), np.int64)
    for f, j in np.ndindex(order.shape):
        (r0, _), (c0, _) = patch(padded_field, rows[f, j], cols[f, j], input_size=h + 2 * r)
        padded = np.pad(x[order[f, j]], ((0, 0), (r, r), (r, r)))
        patches[f, j] = padded[:, r0:r0 + r, c0:c0 + r]
        boxes[f, j] = np.ravel(patch(field, rows[f, j], cols[f, j], input_size=h))
    values = np.take_along_axis(responses.values.T, order, axis=1)
    return TopPatches(layer, r, order, values, rows, cols, patches, boxes)


def mean_response_by_class(values, labels, n_classes=None):
    """The average response of each filter to the images of each class.

    values: (N, K), e.g. strongest_responses(...).values; labels: (N,) whole numbers from 0;
    n_classes defaults to the largest label + 1. Returns (n_classes, K); NaN for a class
    without images.
    """
    values = np.asarray(values)
    labels = np.asarray(labels)
    if values.ndim != 2:
        raise ValueError(f"the responses must have shape (N, K), not {values.shape}")
    if labels.shape != (values.shape[0],):
        raise ValueError(f"there are {values.shape[0]} responses but labels of shape {labels.shape}: "
                         "give one label per image")
    if labels.dtype.kind not in "iu" or (labels.size and labels.min() < 0):
        raise ValueError("the labels must be whole numbers from 0 up")
    top = int(labels.max()) + 1 if labels.size else 0
    n_classes = top if n_classes is None else _checks.whole(n_classes, "number of classes", max(top, 1))
    check_allocation((n_classes, values.shape[1]), np.float64, "table of mean responses")
    sums = np.zeros((n_classes, values.shape[1]), np.float64)
    np.add.at(sums, labels, values)
    counts = np.bincount(labels, minlength=n_classes)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / counts).astype(values.dtype if values.dtype.kind == "f" else np.float64)
