"""Augmentation (engine/augment.py)."""

import numpy as np

from engine.augment import shift_batch


def test_shifts_move_the_ink_without_changing_it():
    x = np.zeros((50, 1, 28, 28), np.float32)
    x[:, 0, 10:18, 10:18] = 1
    out = shift_batch(x, np.random.default_rng(0))
    assert np.allclose(out.sum(axis=(1, 2, 3)), 64)
    assert not np.array_equal(out, x)


def test_rotation_matches_the_pixel_by_pixel_reference():
    import naive
    from engine.augment import rotate

    rng = np.random.default_rng(1)
    x = rng.random((3, 2, 9, 12))
    angles = np.array([13.0, -40.0, 171.5])
    out = rotate(x, angles)
    for n in range(3):
        for c in range(2):
            assert np.allclose(out[n, c], naive.rotate(x[n, c], angles[n]), atol=1e-12)


def test_a_quarter_turn_is_rot90_and_no_turn_changes_nothing():
    from engine.augment import rotate

    x = np.random.default_rng(2).random((2, 1, 7, 7)).astype(np.float32)
    assert rotate(x, 90).dtype == np.float32
    assert np.allclose(rotate(x, 90), np.rot90(x, axes=(2, 3)), atol=1e-5)
    assert np.allclose(rotate(x, 0), x)


def test_random_rotations_keep_the_ink_near_the_centre():
    from engine.augment import rotate_batch, shift_and_rotate

    x = np.zeros((40, 1, 28, 28), np.float32)
    x[:, 0, 8:20, 13:15] = 1  # a vertical bar through the centre
    out = rotate_batch(x, np.random.default_rng(0), max_degrees=15)
    assert np.allclose(out.sum(axis=(1, 2, 3)), 24, rtol=0.05)  # interpolation keeps the ink
    assert not np.array_equal(out, x) and out.min() >= 0 and out.max() <= 1
    both = shift_and_rotate(2, 15)(x, np.random.default_rng(0))
    assert both.shape == x.shape and np.allclose(both.sum(axis=(1, 2, 3)), 24, rtol=0.05)


def test_rotate_explains_a_wrong_shape():
    import pytest

    from engine.augment import rotate

    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        rotate(np.zeros((28, 28)), 10)
