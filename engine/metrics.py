"""How well a classifier does: confusion matrix, per-class accuracy, its mistakes."""

import numpy as np


def confusion_matrix(y_true, y_pred, classes=10):
    """(classes, classes) counts: row = true class, column = predicted class."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


def per_class_accuracy(matrix):
    """Fraction of each true class predicted correctly: (classes,)."""
    totals = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), totals, out=np.zeros(len(matrix)), where=totals > 0)


def mistakes(probs, y_true, limit=None):
    """Indices of wrongly classified inputs, most confident mistakes first.

    probs: (N, classes) predicted probabilities; returns (indices, predicted, confidence).
    """
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != np.asarray(y_true))
    conf = probs[wrong, pred[wrong]]
    order = np.argsort(-conf)[:limit]
    return wrong[order], pred[wrong[order]], conf[order]


def ensemble(probs_list):
    """An ensemble's prediction: the members' class probabilities averaged, (N, classes)."""
    return np.mean(np.stack(probs_list), axis=0)


def accuracy(probs, y_true):
    """Fraction of inputs whose most likely class is the true one."""
    return float((np.asarray(probs).argmax(axis=1) == np.asarray(y_true)).mean())
