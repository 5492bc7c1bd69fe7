"""The handwritten digits ConvLab ships (MNIST), loaded offline from assets/digits.npz.

    >>> x_train, y_train, x_test, y_test = load_digits()
    >>> x_train.shape, x_train.dtype, y_train.dtype
    ((60000, 1, 28, 28), dtype('float32'), dtype('int64'))
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

DIGITS_PATH = Path(__file__).resolve().parent.parent / "assets" / "digits.npz"
FORMAT_VERSION = 1


@lru_cache(maxsize=1)
def _raw_digits(path=DIGITS_PATH):
    """The uint8 arrays, read once per process: images (N, 28, 28), labels (N,)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"the digit set {path} is missing; rebuild it with `python assets/build_digits.py`"
        )
    with np.load(path, allow_pickle=False) as data:
        version = int(data["format_version"]) if "format_version" in data else None
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{path.name} has format version {version} but this engine reads version "
                f"{FORMAT_VERSION}; rebuild it with `python assets/build_digits.py`"
            )
        arrays = {k: data[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


def load_digits():
    """MNIST as (x_train, y_train, x_test, y_test).

    x_train: (60000, 1, 28, 28) float32 in [0, 1]; y_train: (60000,) int64 labels 0-9;
    x_test: (10000, 1, 28, 28); y_test: (10000,). Fresh arrays on every call, so a caller
    may change them freely; the file itself is read only once per process.
    """
    raw = _raw_digits()

    def images(a):
        return (a.astype(np.float32) / np.float32(255))[:, None, :, :]

    return (images(raw["x_train"]), raw["y_train"].astype(np.int64),
            images(raw["x_test"]), raw["y_test"].astype(np.int64))
