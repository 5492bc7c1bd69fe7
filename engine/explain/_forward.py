"""Running the first layers of a model on many images, batch by batch."""

import numpy as np

from engine import nn


def prefix_outputs(model, x, stop, batch_size=256):
    """Yield (first index, output of model.layers[:stop]) for each batch of x: (N, ...).

    The layers run as inference (training=False) in a Sequential of their own, so that the
    fused steps speed them up; 256 images a batch keep each batch's maps in the CPU caches.
    """
    head = nn.Sequential(model.layers[:stop])
    for start in range(0, len(x), batch_size):
        yield start, head.forward(x[start:start + batch_size], training=False)


def prefix_output(model, x, stop, batch_size=256):
    """The output of model.layers[:stop] for all of x, as one array."""
    return np.concatenate([out for _, out in prefix_outputs(model, x, stop, batch_size)])
