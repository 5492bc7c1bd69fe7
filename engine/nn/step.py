"""One training step (forward, loss, backward, update) and evaluation; engine/nn/loop.py runs
the steps over a data set."""

import numpy as np

from engine import runtime
from engine.arguments import NotFiniteError, as_array, as_float_array, whole_number
from engine.finite import all_finite
from engine.nn.losses import softmax_cross_entropy


class NonFiniteLossError(ValueError):
    """The loss or the gradients became NaN or infinite: training cannot go on."""


def train_step(model, optimizer, x, y):
    """Forward, softmax cross-entropy loss, backward and one optimizer update on a batch.

    x: (N, C, H, W); y: (N,) int labels. Returns the loss (a float).
    Raises NonFiniteLossError when the loss, a gradient or the updated weights are not finite;
    the weights are then left as they were before this step (the optimizer's running
    averages may have moved).
    After engine.configure(), the step runs on one thread or on all of Numba's, whichever has
    been faster lately (engine/runtime.py); the result is the same either way.
    """
    if not (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)):
        x = as_float_array(x, "input")  # before np.shape below, which a ragged list would break
    return runtime.run_on_fastest_threads(lambda: _train_step(model, optimizer, x, y),
                                          key=(id(model), x.shape))


def _train_step(model, optimizer, x, y):
    advice = (f"the learning rate ({optimizer.lr:g}) is probably too high, so the weights "
              "jumped too far. Try a learning rate 10 times smaller.")
    model.zero_grad()
    if not all_finite(x):
        raise ValueError("the input contains NaN or infinity")
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            logits = model.forward(x, training=True, input_checked=True)
        except NotFiniteError as err:  # an inner layer met NaN or infinity: activations overflowed
            raise NonFiniteLossError(f"the activations overflowed ({err}): {advice}") from None
        loss, dlogits = softmax_cross_entropy(logits, y)
        if not np.isfinite(loss):
            raise NonFiniteLossError(f"the loss became {loss}: {advice}")
        model.backward(dlogits, need_dx=False)
    with np.errstate(over="ignore", invalid="ignore"):
        updated, gradients_finite = optimizer.checked_update()
    if not gradients_finite:
        raise NonFiniteLossError(f"the gradients became infinite: {advice}")
    if not updated:
        raise NonFiniteLossError(f"this update would have made the weights infinite: {advice}")
    return loss


def evaluate(model, x, y, batch_size=256):
    """(mean loss, accuracy) of the model on x: (N, C, H, W), y: (N,), without dropout."""
    if not (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)):
        x = as_float_array(x, "images")
    y = as_array(y, "labels")
    batch_size = whole_number(batch_size, "batch size", 1)
    if x.ndim < 2 or y.ndim != 1:
        raise ValueError(f"evaluation takes images (N, C, H, W) and labels (N,), not shapes {x.shape} and {y.shape}")
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"evaluation needs at least one image and one label per image "
                         f"(got {len(x)} images and {len(y)} labels)")
    total_loss, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        logits = model.forward(x[i:i + batch_size], training=False)
        loss, _ = softmax_cross_entropy(logits, y[i:i + batch_size])
        total_loss += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
    return total_loss / len(x), correct / len(x)
