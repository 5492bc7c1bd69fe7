"""ConvLab's engine: a small, readable deep-learning library on NumPy and Numba.

Arrays are NCHW (batch, channels, height, width); kernels are (K, C, F, F).
float32 by default; a float64 input gives a float64 output.

    >>> import engine
    >>> engine.conv_output_size(7, 3, stride=2).size
    3

Importing the engine only makes Numba's threading layer a thread-safe one. For full speed (one
BLAS thread beside Numba's, kept memory, the widest vectors), call engine.configure() once.
"""

from engine import _threading  # noqa: F401  (a thread-safe layer before any kernel runs)
from engine.runtime import configure
from engine.shapes import conv_output_size
from engine.conv import conv1d, conv2d, conv2d_backward, pad2d
from engine.pool import (
    max_pool2d, max_pool2d_backward,
    avg_pool2d, avg_pool2d_backward,
    min_pool2d, min_pool2d_backward,
    sum_pool2d, sum_pool2d_backward,
    l2_pool2d, l2_pool2d_backward,
)
from engine import filters, nn, datasets

__all__ = [
    "configure", "conv_output_size", "conv1d", "conv2d", "conv2d_backward", "pad2d",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "min_pool2d", "min_pool2d_backward", "sum_pool2d", "sum_pool2d_backward",
    "l2_pool2d", "l2_pool2d_backward", "filters", "nn", "datasets",
]
