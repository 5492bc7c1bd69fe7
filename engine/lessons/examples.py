"""The lectures' worked examples, as arrays, so pages and tests use the very same numbers."""

import numpy as np

# 1D convolution: x * w, full, gives (0, 1, 1, 3, 5, 2, 8).
SIGNAL_1D = np.array([0, 1, 2, 3, 4], dtype=np.float32)
KERNEL_1D = np.array([1, -1, 2], dtype=np.float32)

# A 5x5 binary image filtered with the 3x3 X-shaped kernel gives [[4,3,4],[2,4,3],[2,3,4]].
IMAGE_5X5 = np.array([
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
], dtype=np.float32)
X_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)

# The 3x3 input 0..8 with the 2x2 kernel 0..3: [[19, 25], [37, 43]]; with padding 1 a 4x4 map.
INPUT_3X3 = np.arange(9, dtype=np.float32).reshape(3, 3)
KERNEL_2X2 = np.arange(4, dtype=np.float32).reshape(2, 2)

# Max pooling 2x2 with stride 2 gives [[6, 8], [3, 4]].
POOL_4X4 = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)
