"""What a trained network learned: the visualisations of Zeiler and Fergus and of Simonyan et al.

    top_patches(model, x, layer, k=9)      the image patches that excite each filter most
    strongest_responses(model, x, layer)   each image's strongest response of each filter
    mean_response_by_class(values, labels) a filter's average response per class
    occlusion_map(model, image, target)    how much hiding each square lowers a class's probability
    input_gradient(model, x, target)       saliency: d class score / d pixels, by backpropagation
    penultimate_features(model, x)         what the last layer sees, (N, D)
    fit_pca(features, n_components=2)      principal components (NumPy's SVD), with .transform

    >>> from engine import nn, explain
    >>> model = nn.digit_net()
    >>> explain.top_patches(model, x_test, layer=4).patches.shape   # doctest: +SKIP
    (16, 9, 1, 10, 10)
"""

from engine.explain.occlusion import Occlusion, occlusion_map
from engine.explain.patches import Responses, TopPatches, mean_response_by_class, strongest_responses, top_patches
from engine.explain.projection import PCA, fit_pca, penultimate_features
from engine.explain.saliency import input_gradient

__all__ = [
    "Responses", "TopPatches", "strongest_responses", "top_patches", "mean_response_by_class",
    "Occlusion", "occlusion_map", "input_gradient", "penultimate_features", "PCA", "fit_pca",
]
