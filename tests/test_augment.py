"""Augmentation (engine/augment.py)."""

import numpy as np

from engine.augment import shift_batch


def test_shifts_move_the_ink_without_changing_it():
    x = np.zeros((50, 1, 28, 28), np.float32)
    x[:, 0, 10:18, 10:18] = 1
    out = shift_batch(x, np.random.default_rng(0))
    assert np.allclose(out.sum(axis=(1, 2, 3)), 64)
    assert not np.array_equal(out, x)
