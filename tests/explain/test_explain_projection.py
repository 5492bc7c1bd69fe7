"""Penultimate features and PCA (engine/explain/projection.py): against the covariance matrix's
eigenvectors, and on the pretrained digit network."""

from pathlib import Path

import numpy as np
import pytest

from engine import datasets, explain, nn

ROOT = Path(__file__).resolve().parents[2]
rng = np.random.default_rng(11)


def naive_pca(x, k):
    """The k eigenvectors of the covariance matrix with the largest eigenvalues, by loops."""
    n, d = x.shape
    mean = [sum(x[i, j] for i in range(n)) / n for j in range(d)]
    cov = np.zeros((d, d))
    for a in range(d):
        for b in range(d):
            cov[a, b] = sum((x[i, a] - mean[a]) * (x[i, b] - mean[b]) for i in range(n)) / (n - 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:k]
    return np.array(mean), vectors[:, order].T, values[order], values[order] / values.sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pca_matches_the_covariance_eigenvectors(dtype):
    # stretched along known directions, so the components are well apart
    x = (rng.standard_normal((40, 5)) * [5, 3, 2, 1, 0.5]) @ np.linalg.qr(rng.standard_normal((5, 5)))[0]
    x = x.astype(dtype)
    got = explain.fit_pca(x, n_components=3)
    mean, vectors, variance, ratio = naive_pca(x.astype(np.float64), 3)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(got.mean, mean, atol=tol)
    for i in range(3):  # a component's sign is a convention: compare up to it
        sign = np.sign(got.components[i] @ vectors[i])
        np.testing.assert_allclose(got.components[i], sign * vectors[i], atol=tol)
        assert got.components[i, np.abs(got.components[i]).argmax()] > 0
    np.testing.assert_allclose(got.variance, variance, rtol=tol)
    np.testing.assert_allclose(got.ratio, ratio, rtol=tol)
    coords = got.transform(x)
    assert coords.shape == (40, 3)
    np.testing.assert_allclose(coords, (x - got.mean) @ got.components.T, rtol=tol)
    np.testing.assert_allclose(coords.var(axis=0, ddof=1), variance, rtol=10 * tol)


def test_the_digit_network_s_features_separate_the_digits():
    model = nn.Sequential.load(ROOT / "assets" / "pretrained_digit_net.npz")
    _, _, x_test, y_test = datasets.load_digits()
    x, y = x_test[:500], y_test[:500]
    features = explain.penultimate_features(model, x, batch_size=64)
    assert features.shape == (500, 256) and features.dtype == np.float32
    # they are what the last layer reads: the last layer on them gives the model's scores
    last = model.layers[-1]
    np.testing.assert_allclose(features @ last.params["w"] + last.params["b"],
                               model.forward(x, training=False), rtol=1e-4, atol=1e-4)
    coords = explain.fit_pca(features).transform(features)
    centres = np.array([coords[y == d].mean(axis=0) for d in range(10)])
    spread = np.mean([coords[y == d].std(axis=0).mean() for d in range(10)])
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(10) for b in range(a + 1, 10)]
    assert np.median(gaps) > spread  # the classes form clusters even in two dimensions


@pytest.mark.parametrize("call, message", [
    (lambda: explain.fit_pca(np.zeros((1, 4))), "at least two samples"),
    (lambda: explain.fit_pca(np.zeros(4)), r"shape \(N, D\)"),
    (lambda: explain.fit_pca(np.zeros((5, 3)), n_components=4), "at most 3"),
    (lambda: explain.fit_pca(np.full((5, 3), np.nan)), "NaN"),
    (lambda: explain.fit_pca(rng.random((5, 3))).transform(np.zeros((2, 4))), r"\(M, 3\)"),
    (lambda: explain.penultimate_features(nn.Sequential([nn.Flatten()]), np.zeros((1, 1, 2, 2))), "two layers"),
    (lambda: explain.penultimate_features(nn.digit_net(), np.zeros((1, 3, 28, 28))), "1 channel"),
])
def test_bad_arguments_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()
