"""Activation functions seen from the outside: their curves, slopes and what depth does to them."""

import numpy as np

from engine import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "ReLU": nn.ReLU, "leaky ReLU": lambda: nn.LeakyReLU(0.1)}


def curve(name, x):
    """(y, dy/dx) of the named activation at the points x: (n,), from its forward and backward."""
    layer = ACTIVATIONS[name]()
    x = np.asarray(x, dtype=np.float64)[None, :]
    y = layer.forward(x)
    slope = layer.backward(np.ones_like(x))
    return y[0], slope[0]


def gradient_norms(name, depth, width=64, seed=0):
    """Size of the gradient reaching each layer of a stack of `depth` dense layers with this
    activation, sent back from a gradient of norm 1 at the top: (depth,), first layer first.

    With sigmoid the slope is at most 1/4, so the gradient shrinks layer after layer (it vanishes);
    with ReLU it passes unchanged wherever a unit is active.
    """
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(depth):
        layers += [nn.Dense(width, width, seed=seed + i), ACTIVATIONS[name]()]
    model = nn.Sequential(layers).astype(np.float64)
    x = rng.standard_normal((32, width))
    out = model.forward(x)
    dy = rng.standard_normal(out.shape)
    dy /= np.linalg.norm(dy)
    norms = []
    for layer in reversed(model.layers):
        dy = layer.backward(dy)
        if isinstance(layer, nn.Dense):
            norms.append(float(np.linalg.norm(layer.grads["w"])))
    return np.array(norms[::-1])


def dead_fraction(pre_activations):
    """Fraction of ReLU units that output zero for every input in the batch: (N, units) -> float."""
    return float(np.mean(np.all(np.asarray(pre_activations) <= 0, axis=0)))
