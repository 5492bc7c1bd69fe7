"""Metrics (engine/metrics.py): confusion matrix, mistakes, ensembles."""

import numpy as np

from engine import metrics


def test_confusion_matrix_and_mistakes():
    y = np.array([0, 1, 1, 2])
    probs = np.array([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0, 0.2, 0.8]])
    m = metrics.confusion_matrix(y, probs.argmax(1), classes=3)
    assert m.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert np.allclose(metrics.per_class_accuracy(m), [1, 0.5, 1])
    idx, pred, conf = metrics.mistakes(probs, y)
    assert idx.tolist() == [2] and pred.tolist() == [0] and np.isclose(conf[0], 0.6)


def test_an_ensemble_averages_probabilities():
    a = np.array([[0.6, 0.4], [0.2, 0.8]])
    b = np.array([[0.3, 0.7], [0.4, 0.6]])
    assert np.allclose(metrics.ensemble([a, b]), [[0.45, 0.55], [0.3, 0.7]])
    assert metrics.accuracy(metrics.ensemble([a, b]), [1, 1]) == 1.0
    assert metrics.accuracy(a, [1, 1]) == 0.5
