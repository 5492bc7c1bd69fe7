"""Losses: each returns (loss, gradient of the loss with respect to its first argument)."""

import numpy as np

from engine._kernels import loss as loss_kernels
from engine.arguments import as_array, as_float_array


def softmax(logits):
    """Row-wise softmax of (N, classes), shifted by the row maximum so exp never overflows."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against integer labels.

    logits: (N, classes); labels: (N,) ints in [0, classes).
    Returns (loss, dlogits) with dlogits = (softmax(logits) - onehot(labels)) / N.
    The work is one kernel (engine/_kernels/loss.py); tests/naive.py holds the NumPy formula.
    """
    if not (isinstance(logits, np.ndarray) and logits.dtype in (np.float32, np.float64)):
        logits = as_float_array(logits, "logits")
    labels = as_array(labels, "labels")
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"expected logits (N, classes) and labels (N,), got {logits.shape} and {labels.shape}")
    if labels.size and labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be whole numbers, not {labels.dtype}")
    if logits.dtype not in (np.float32, np.float64):
        logits = logits.astype(np.float64)
    dlogits = np.empty(logits.shape, dtype=logits.dtype)
    loss, ok = loss_kernels.softmax_cross_entropy(logits, labels.astype(np.int64, copy=False), dlogits)
    if not ok:
        raise ValueError(f"labels must be between 0 and {logits.shape[1] - 1}")
    return float(loss), dlogits


def mse(pred, target):
    """Mean squared error mean((pred - target)^2); returns (loss, dpred = 2 (pred - target) / size)."""
    pred = as_float_array(pred, "prediction")
    target = as_float_array(target, "target").astype(pred.dtype, copy=False)
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} must have the same shape")
    diff = pred - target
    return float(np.mean(diff * diff)), 2 * diff / diff.size
