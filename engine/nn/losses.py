"""Losses: each returns (loss, gradient of the loss with respect to its first argument)."""

import numpy as np


def softmax(logits):
    """Row-wise softmax of (N, classes), shifted by the row maximum so exp never overflows."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against integer labels.

    logits: (N, classes); labels: (N,) ints in [0, classes).
    Returns (loss, dlogits) with dlogits = (softmax(logits) - onehot(labels)) / N.
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"expected logits (N, classes) and labels (N,), got {logits.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"labels must be between 0 and {logits.shape[1] - 1}")
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, labels].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1
    return float(loss), dlogits / n


def mse(pred, target):
    """Mean squared error mean((pred - target)^2); returns (loss, dpred = 2 (pred - target) / size)."""
    pred = np.asarray(pred)
    target = np.asarray(target, dtype=pred.dtype)
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} must have the same shape")
    diff = pred - target
    return float(np.mean(diff * diff)), 2 * diff / diff.size
