"""Transfer learning: start a new network from the layers another one has learned.

The first layers of a trained CNN find edges, strokes and corners, which most drawings share;
only the last layers say what the whole means. A network for new classes can start from those
early layers and learn the rest: keep them as they are (frozen) or let them adjust a little
(fine-tuned, a smaller learning rate).

    model = build_model(cfg, classes=3)
    layers = copy_layers(digit_net, model)        # the convolution layers' weights
    freeze(layers)                                # ... kept as they are, or:
    fit(model, opt, x, y, callbacks=[LayerLearningRate(layers, 0.1)])   # ... adjusted slowly

    extra = start_from(digit_net, model, "fine-tune")   # the same, by name
"""

import numpy as np

from engine.nn.layers import Flatten
from engine.nn.loop import Callback


def _learned(model):
    """The layers that have parameters, in order."""
    return [layer for layer in model.layers if layer.params]


def feature_layers(model):
    """The layers before the first Flatten (the convolutional part), as a list."""
    out = []
    for layer in model.layers:
        if isinstance(layer, Flatten):
            break
        out.append(layer)
    return out


def copy_layers(source, target, count=None):
    """Copy weights from source into target and return the target layers that received them.

    The i-th layer with parameters in source goes into the i-th one in target, for the first
    `count` of them; count=None copies as many as target's convolutional part has (see
    feature_layers). Each pair must be the same kind of layer with parameters of the same
    shapes, or ValueError says which differs. Batch-norm statistics come along; the arrays are
    copies, so training target never changes source.
    """
    n = len([layer for layer in feature_layers(target) if layer.params]) if count is None else count
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"the number of layers to copy must be a whole number, 0 or more, not {count!r}")
    src, dst = _learned(source), _learned(target)
    if n > min(len(src), len(dst)):
        raise ValueError(f"cannot copy {n} layers with weights: the source has {len(src)} and the target {len(dst)}")
    for i, (a, b) in enumerate(zip(src[:n], dst[:n])):
        if type(a) is not type(b):
            raise ValueError(f"layer with weights number {i + 1} is a {type(a).__name__} in the source "
                             f"but a {type(b).__name__} "
                             "in the target: only the same kind of layer can be copied")
        for key, value in a.params.items():
            if key not in b.params or b.params[key].shape != value.shape:
                theirs = b.params[key].shape if key in b.params else "none"
                raise ValueError(f"{a.name} (layer with weights number {i + 1}) has {key} of shape "
                                 f"{value.shape} in the source but {theirs} in the target")
    for a, b in zip(src[:n], dst[:n]):
        for store, theirs in ((b.params, a.params), (b.buffers, a.buffers)):
            for key, value in theirs.items():
                store[key] = value.astype(store[key].dtype if key in store else value.dtype, copy=True)
        b.grads = {k: np.zeros_like(v) for k, v in b.params.items()}
    return dst[:n]


def freeze(layers):
    """Keep these layers' parameters as they are while the model trains: Sequential.parameters()
    leaves them out, so no optimizer sees them. (A batch-norm layer's running statistics,
    which are not parameters, still follow the data.) Returns the layers."""
    for layer in layers:
        layer.frozen = True
    return list(layers)


def unfreeze(layers):
    """Let these layers train again; returns the layers."""
    for layer in layers:
        layer.frozen = False
    return list(layers)


def is_frozen(layer):
    return bool(getattr(layer, "frozen", False))


class LayerLearningRate(Callback):
    """Train some layers at `factor` times the optimizer's learning rate, for fine-tuning.

    After every step the change the optimizer made to these layers' parameters is scaled by
    factor. For SGD (with or without momentum), RMSprop and Adam each update is proportional to
    the learning rate, so this is exactly those layers having a learning rate `factor` times
    smaller, whatever the optimizer.
    """

    def __init__(self, layers, factor):
        if isinstance(factor, bool) or not isinstance(factor, (int, float, np.number)) or not 0 <= factor <= 1:
            raise ValueError(f"the learning-rate factor must be a number from 0 to 1, not {factor!r}")
        self.layers, self.factor = list(layers), float(factor)
        self._before = None

    def on_batch_begin(self, state):
        self._before = [(layer.params, k, v.copy()) for layer in self.layers for k, v in layer.params.items()]

    def on_batch_end(self, state):
        for params, k, old in self._before:
            p = params[k]
            p -= old
            p *= p.dtype.type(self.factor)
            p += old


STARTS = ("scratch", "frozen", "fine-tune")
FINE_TUNE_FACTOR = 0.1


def start_from(source, model, how, factor=FINE_TUNE_FACTOR):
    """Prepare model to train 'scratch' (as it is), 'frozen' (source's convolution layers
    copied in and frozen) or 'fine-tune' (copied in and trained at factor times the learning
    rate). Returns the callbacks fit() then needs: [] or [LayerLearningRate]."""
    if how not in STARTS:
        raise ValueError(f"a model starts from one of {', '.join(STARTS)}, not {how!r}")
    if how == "scratch":
        return []
    layers = copy_layers(source, model)
    if how == "frozen":
        freeze(layers)
        return []
    return [LayerLearningRate(layers, factor)]
