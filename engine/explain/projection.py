"""A network's view of a data set, flattened to 2-D: the features that feed its last layer,
projected onto their principal components (PCA from NumPy's SVD).

For features X: (N, D) with mean m, the centred X - m = U S V^T; the principal components are
the first rows of V^T, and an image's coordinates are (x - m) V^T[:k]^T. Component i explains
S_i^2 / (N - 1) of the variance.
"""

from dataclasses import dataclass

import numpy as np

from engine.explain import _checks
from engine.explain._forward import prefix_output
from engine.memory import check_allocation


def penultimate_features(model, x, batch_size=256):
    """What the last layer of the model sees: the output of all layers but the last.

    model: a Sequential of at least two layers; x: (N, C, H, W). Returns (N, D), e.g. the 256
    features after the digit network's hidden dense layer (inference: dropout off).
    """
    model = _checks.model(model)
    x = _checks.images(x)
    _checks.first_layer_input(model, x)
    if len(model.layers) < 2:
        raise ValueError("the model needs at least two layers to have a layer before the last")
    batch_size = _checks.whole(batch_size, "batch size", 1)
    out = prefix_output(model, x, len(model.layers) - 1, batch_size)
    return out.reshape(len(out), -1)


@dataclass(frozen=True)
class PCA:
    mean: np.ndarray        # (D,)
    components: np.ndarray  # (k, D): orthonormal rows, the directions of largest variance first
    variance: np.ndarray    # (k,): the variance along each component
    ratio: np.ndarray       # (k,): the share of the total variance it explains

    def transform(self, features):
        """Coordinates (M, k) of features (M, D) along the components."""
        f = np.asarray(features)
        if f.ndim != 2 or f.shape[1] != self.mean.shape[0]:
            raise ValueError(f"these components are for features of shape (M, {self.mean.shape[0]}), "
                             f"not {f.shape}")
        return (f - self.mean) @ self.components.T


def fit_pca(features, n_components=2):
    """The first n_components principal components of features (N, D), N >= 2.

    Each component's sign is chosen so that its largest entry in absolute value is positive,
    so the same data always gives the same picture.
    """
    f = np.asarray(features)
    if f.ndim != 2:
        raise ValueError(f"the features must have shape (N, D), not {f.shape}")
    if f.dtype.kind not in "fiu":
        raise ValueError(f"the features must hold numbers, not {f.dtype}")
    f = f if f.dtype == np.float64 else f.astype(np.float32)
    n, d = f.shape
    if n < 2:
        raise ValueError("PCA needs at least two samples")
    n_components = _checks.whole(n_components, "number of components", 1, min(n, d))
    if not np.isfinite(f).all():
        raise ValueError("the features contain NaN or infinity")
    check_allocation((n, d), f.dtype, "centred copy of the features")  # and the SVD's factors
    mean = f.mean(axis=0)
    _, s, vt = np.linalg.svd(f - mean, full_matrices=False)
    vt = vt[:n_components]
    signs = np.sign(vt[np.arange(n_components), np.abs(vt).argmax(axis=1)])
    vt = vt * np.where(signs < 0, -1, 1).astype(vt.dtype)[:, None]
    variance = s ** 2 / (n - 1)
    total = variance.sum()
    ratio = variance[:n_components] / total if total > 0 else np.zeros(n_components, f.dtype)
    return PCA(mean, vt, variance[:n_components], ratio)

