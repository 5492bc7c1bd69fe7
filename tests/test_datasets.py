import time

import numpy as np
import pytest

from engine import datasets


def test_shapes_types_and_range():
    x_train, y_train, x_test, y_test = datasets.load_digits()
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    assert y_test.min() == 0 and y_test.max() == 9


def test_official_label_counts():
    _, y_train, _, y_test = datasets.load_digits()
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_loads_in_well_under_a_second():
    datasets.load_digits()  # the file is read once per process
    start = time.perf_counter()
    datasets.load_digits()
    assert time.perf_counter() - start < 0.5


def test_callers_may_change_their_copy():
    x_train, *_ = datasets.load_digits()
    x_train[0] = 0.5
    again, *_ = datasets.load_digits()
    assert not np.all(again[0] == 0.5)


def test_wrong_format_version_names_the_rebuild_script(tmp_path):
    bad = tmp_path / "digits.npz"
    np.savez(bad, format_version=np.int64(99), x_train=np.zeros((1, 28, 28), np.uint8),
             y_train=np.zeros(1, np.uint8), x_test=np.zeros((1, 28, 28), np.uint8),
             y_test=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match="build_digits.py"):
        datasets._raw_digits.__wrapped__(bad)
