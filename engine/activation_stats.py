"""Numbers for the activations lesson, computed with engine.nn's own layers.

- curves: each activation and its derivative (the layer's backward of a gradient of ones);
- gradient_through_stack: how big the gradient still is after flowing back through n
  dense + activation layers (sigmoid shrinks it by at most 1/4 per layer, ReLU keeps it);
- dead_relu_fraction: the share of ReLU units that output zero for every input (they get no
  gradient and stop learning).
"""

import numpy as np

from engine import nn

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "ReLU": nn.ReLU,
    "leaky ReLU": lambda: nn.LeakyReLU(0.1),
}


def _layer(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"the activation must be one of {', '.join(ACTIVATIONS)}, not {name!r}")
    return ACTIVATIONS[name]()


def curve(name, x):
    """(f(x), f'(x)) for an array x, from the layer's forward and backward."""
    layer = _layer(name)
    x = np.asarray(x, dtype=np.float64)
    y = layer.forward(x.copy())
    return y, layer.backward(np.ones_like(x))


def apply(name, x):
    """The activation applied elementwise to any array (e.g. a feature map)."""
    return _layer(name).forward(np.asarray(x, dtype=np.float64).copy())


def gradient_through_stack(name, depth, width=32, batch=64, seed=0):
    """The gradient's size at every depth of a random MLP of `depth` dense + activation layers.

    Weights are drawn with variance 2/width for ReLU-like units and 1/width otherwise (the usual
    initialisations), a gradient of norm 1 per sample comes in at the top, and the mean norm of
    dL/dx per sample is recorded after each layer going down. Returns an array of depth + 1
    numbers: index 0 at the output, index depth at the input.
    """
    if not isinstance(depth, (int, np.integer)) or not 1 <= depth <= 100:
        raise ValueError(f"the depth must be a whole number from 1 to 100, not {depth!r}")
    rng = np.random.default_rng(seed)
    gain = 2.0 if "ReLU" in name else 1.0
    layers = []
    for i in range(depth):
        dense = nn.Dense(width, width, seed=seed + i, dtype=np.float64)
        dense.params["w"] = rng.normal(0, np.sqrt(gain / width), (width, width))
        dense.params["b"] = np.zeros(width)
        layers += [dense, _layer(name)]
    model = nn.Sequential(layers)
    x = rng.normal(0, 1, (batch, width))
    model.forward(x, training=True)
    dy = rng.normal(0, 1, (batch, width))
    dy /= np.linalg.norm(dy, axis=1, keepdims=True)
    norms = [1.0]
    for layer in reversed(layers):
        dy = layer.backward(dy)
        if isinstance(layer, nn.Dense):
            norms.append(float(np.linalg.norm(dy, axis=1).mean()))
    return np.array(norms)


def dead_relu_fraction(bias_shift, width=64, batch=256, seed=0):
    """The share of a ReLU layer's units that are zero for every input of a batch.

    A dense layer (inputs standard normal, weights variance 1/n) gets `bias_shift` added to
    every bias, as a big negative update might do; a unit whose pre-activation is negative for
    all inputs outputs 0 everywhere, gets zero gradient, and never recovers.
    Returns (fraction, pre_activations: (batch, width)).
    """
    rng = np.random.default_rng(seed)
    dense = nn.Dense(width, width, seed=seed, dtype=np.float64)
    dense.params["w"] = rng.normal(0, np.sqrt(1 / width), (width, width))
    dense.params["b"] = rng.normal(0, 0.5, width) + float(bias_shift)
    relu = nn.ReLU()
    z = dense.forward(rng.normal(0, 1, (batch, width)))
    h = relu.forward(z)
    dead = np.all(h == 0, axis=0)
    return float(dead.mean()), z
