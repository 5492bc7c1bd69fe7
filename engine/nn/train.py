"""One training step and evaluation."""

import numpy as np

from engine.nn.losses import softmax_cross_entropy


class NonFiniteLossError(ValueError):
    """The loss or the gradients became NaN or infinite: training cannot go on."""


def _all_finite(arrays):
    return all(np.isfinite(a).all() for a in arrays)


def train_step(model, optimizer, x, y):
    """Forward, softmax cross-entropy loss, backward and one optimizer update on a batch.

    x: (N, C, H, W); y: (N,) int labels. Returns the loss (a float).
    Raises NonFiniteLossError, before any update, when the loss or a gradient is not finite,
    so the model stays as it was before this step.
    """
    model.zero_grad()
    logits = model.forward(x, training=True)
    loss, dlogits = softmax_cross_entropy(logits, y)
    if not np.isfinite(loss):
        raise NonFiniteLossError(
            f"the loss became {loss} (not a number): the learning rate ({optimizer.lr:g}) is "
            "probably too high, so the weights jumped too far. Try a learning rate 10 times smaller."
        )
    model.backward(dlogits)
    if not _all_finite(layer.grads[name] for layer, name in model.parameters()):
        raise NonFiniteLossError(
            "the gradients became infinite: the learning rate "
            f"({optimizer.lr:g}) is probably too high. Try a learning rate 10 times smaller."
        )
    optimizer.step()
    return loss


def evaluate(model, x, y, batch_size=1000):
    """(mean loss, accuracy) of the model on x: (N, C, H, W), y: (N,), without dropout."""
    total_loss, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        logits = model.forward(x[i:i + batch_size], training=False)
        loss, _ = softmax_cross_entropy(logits, y[i:i + batch_size])
        total_loss += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
    return total_loss / len(x), correct / len(x)
