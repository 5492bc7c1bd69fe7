"""Saliency (Simonyan, Vedaldi and Zisserman): the gradient of a class score with respect to
the input pixels, from the model's own backward pass.

For logits s = model(x), the saliency of class c is d s_c / d x: how much the score would
rise for a small brightening of each pixel (negative where brightening lowers it).
"""

import numpy as np

from engine.explain import _checks


def input_gradient(model, x, target):
    """d score[target] / d x for each image: the class score's gradient down to the pixels.

    model: a Sequential whose output (N, classes) are class scores (logits, before softmax);
    x: (N, C, H, W); target: one class index for all images, or (N,) one per image.
    Returns (N, C, H, W), float32 (float64 for a float64 x and model). The forward pass runs as
    inference (dropout off, batch norm on its running averages); the model's parameter
    gradients are left as they were.
    """
    model = _checks.model(model)
    x = _checks.images(x)
    _checks.first_layer_input(model, x)
    saved = [{name: g.copy() for name, g in layer.grads.items()} for layer in model.layers]
    try:
        scores = model.forward(x, training=False)
        if scores.ndim != 2:
            raise ValueError(f"the model must end in class scores of shape (N, classes), not {scores.shape}")
        target = _checks.classes(target, len(x), scores.shape[1])
        dscores = np.zeros_like(scores)
        dscores[np.arange(len(x)), target] = 1
        return model.backward(dscores)
    finally:
        for layer, grads in zip(model.layers, saved):
            for name, g in grads.items():
                layer.grads[name][...] = g
