"""One training step and evaluation."""

import threading
from contextlib import contextmanager

import numba
import numpy as np

from engine.finite import all_finite
from engine.nn.losses import softmax_cross_entropy


class NonFiniteLossError(ValueError):
    """The loss or the gradients became NaN or infinite: training cannot go on."""


def _all_finite(arrays):
    return all(all_finite(a) for a in arrays)


_steps_running = 0
_steps_lock = threading.Lock()


@contextmanager
def _fair_share_of_threads():
    """Run the body on one thread while another training step runs in this process.

    On a shared server every session trains in its own thread. Two steps that each spread
    over both cores only take turns, and each pays for waking and syncing the other core:
    with four sessions training, a step that starts while another runs is quicker on one
    thread (Numba's thread count is set per calling thread). A step alone keeps them all.
    """
    global _steps_running
    with _steps_lock:
        _steps_running += 1
        crowded = _steps_running > 1
    threads = numba.get_num_threads()
    if crowded:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        if crowded:
            numba.set_num_threads(threads)
        with _steps_lock:
            _steps_running -= 1


def train_step(model, optimizer, x, y):
    """Forward, softmax cross-entropy loss, backward and one optimizer update on a batch.

    x: (N, C, H, W); y: (N,) int labels. Returns the loss (a float).
    Raises NonFiniteLossError when the loss, a gradient or the updated weights are not finite;
    the weights are then left as they were before this step (the optimizer's running
    averages may have moved).
    """
    with _fair_share_of_threads():
        return _train_step(model, optimizer, x, y)


def _train_step(model, optimizer, x, y):
    advice = (f"the learning rate ({optimizer.lr:g}) is probably too high, so the weights "
              "jumped too far. Try a learning rate 10 times smaller.")
    model.zero_grad()
    x = np.asarray(x)
    if not all_finite(x):
        raise ValueError("the input contains NaN or infinity")
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            logits = model.forward(x, training=True)
        except ValueError as err:  # an inner layer met NaN or infinity: activations overflowed
            raise NonFiniteLossError(f"the activations overflowed ({err}): {advice}") from None
        loss, dlogits = softmax_cross_entropy(logits, y)
        if not np.isfinite(loss):
            raise NonFiniteLossError(f"the loss became {loss}: {advice}")
        model.backward(dlogits, need_dx=False)
    if not _all_finite(layer.grads[name] for layer, name in model.parameters()):
        raise NonFiniteLossError(f"the gradients became infinite: {advice}")
    with np.errstate(over="ignore", invalid="ignore"):
        if not optimizer.checked_step():
            raise NonFiniteLossError(f"this update would have made the weights infinite: {advice}")
    return loss


def evaluate(model, x, y, batch_size=256):
    """(mean loss, accuracy) of the model on x: (N, C, H, W), y: (N,), without dropout."""
    total_loss, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        logits = model.forward(x[i:i + batch_size], training=False)
        loss, _ = softmax_cross_entropy(logits, y[i:i + batch_size])
        total_loss += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
    return total_loss / len(x), correct / len(x)
