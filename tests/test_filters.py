import numpy as np
import pytest

from engine import conv2d, filters


@pytest.mark.parametrize("name", filters.NAMES)
def test_every_named_kernel_is_a_float32_square(name):
    k = filters.by_name(name)
    assert k.dtype == np.float32 and k.ndim == 2 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1


def test_blurs_keep_brightness_and_identity_changes_nothing():
    assert np.isclose(filters.box(5).sum(), 1) and np.isclose(filters.gaussian(7, 2.0).sum(), 1)
    img = np.random.default_rng(0).random((1, 1, 9, 9)).astype(np.float32)
    assert np.array_equal(conv2d(img, filters.identity()[None, None], padding="same"), img)


def test_edge_kernels_ignore_flat_and_sloped_areas():
    ramp = np.tile(np.arange(8, dtype=np.float32), (8, 1))[None, None]
    assert np.allclose(conv2d(ramp, filters.laplacian()[None, None]), 0)
    assert np.allclose(conv2d(ramp, filters.sobel_y()[None, None]), 0)
    assert np.allclose(conv2d(ramp, filters.sobel_x()[None, None]), 8)  # slope 1 times weights 1+2+1, twice


def test_gabor_turns_with_theta():
    k0 = filters.gabor(15, theta=0.0)
    k90 = filters.gabor(15, theta=np.pi / 2)
    assert np.allclose(k0.T, k90, atol=1e-6)
    assert k0[7, 7] == pytest.approx(1.0)


def test_unknown_names_and_even_sizes_are_explained():
    with pytest.raises(ValueError, match="unknown kernel 'blur'; choose one of identity"):
        filters.by_name("blur")
    with pytest.raises(ValueError, match="odd whole number"):
        filters.box(4)
