"""The step-through helpers spell out the same sums that conv1d and conv2d compute."""

import numpy as np
import pytest

import engine
from engine.lessons import examples
from engine.lessons.stepthrough import (conv1d_steps, conv2d_window, params_conv_vs_dense, placed_kernel,
                                window_coverage)


def test_lecture_1d_example_step_by_step():
    steps = conv1d_steps(examples.SIGNAL_1D, examples.KERNEL_1D)
    assert [s.total for s in steps] == [0, 1, 1, 3, 5, 2, 8]
    # y[2] = x0*w2 + x1*w1 + x2*w0 = 0*2 + 1*(-1) + 2*1 = 1: the kernel is read backwards.
    s = steps[2]
    assert s.positions == (0, 1, 2) and s.kernel == (2, -1, 1) and s.products == (0, -1, 2)
    assert [s.index for s in steps if s.in_same] == [1, 2, 3, 4, 5]
    assert [s.index for s in steps if s.in_valid] == [2, 3, 4]


def test_steps_match_every_mode_of_conv1d():
    rng = np.random.default_rng(0)
    for n, m in [(5, 3), (3, 5), (6, 2), (1, 1), (4, 4)]:
        x, w = rng.standard_normal(n), rng.standard_normal(m)
        for flip in (True, False):
            steps = conv1d_steps(x, w, flip)
            full = np.array([s.total for s in steps])
            np.testing.assert_allclose(full, engine.conv1d(x, w, "full", flip), atol=1e-12)
            np.testing.assert_allclose(full[[s.in_same for s in steps]], engine.conv1d(x, w, "same", flip),
                                       atol=1e-12)
            np.testing.assert_allclose(full[[s.in_valid for s in steps]], engine.conv1d(x, w, "valid", flip),
                                       atol=1e-12)
            for s in steps:
                assert s.total == pytest.approx(sum(s.products), abs=1e-12)


def test_cross_correlation_reads_the_kernel_left_to_right():
    steps = conv1d_steps(examples.SIGNAL_1D, examples.KERNEL_1D, flip=False)
    assert steps[2].kernel == (1, -1, 2) and steps[2].total == 0 * 1 + 1 * -1 + 2 * 2


def test_placed_kernel_sits_under_the_padded_signal():
    row = placed_kernel(5, examples.KERNEL_1D, 2)
    assert row.shape == (9,)
    np.testing.assert_array_equal(row[2:5], [2, -1, 1])
    assert np.isnan(row[:2]).all() and np.isnan(row[5:]).all()


def test_lecture_5x5_image_with_x_kernel():
    out = [[conv2d_window(examples.IMAGE_5X5, examples.X_KERNEL, i, j).total for j in range(3)]
           for i in range(3)]
    assert out == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    win = conv2d_window(examples.IMAGE_5X5, examples.X_KERNEL, 1, 0)
    assert win.rows == (1, 2, 3) and win.cols == (0, 1, 2)
    np.testing.assert_array_equal(win.patch, examples.IMAGE_5X5[1:4, 0:3])
    np.testing.assert_array_equal(win.products, examples.IMAGE_5X5[1:4, 0:3] * examples.X_KERNEL)


def test_windows_match_conv2d_with_stride_padding_dilation():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((7, 8)), rng.standard_normal((3, 3))
    for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 1)]:
        out = engine.conv2d(x[None, None], w[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                win = conv2d_window(x, w, i, j, stride, padding, dilation)
                assert win.total == pytest.approx(out[i, j], abs=1e-10)


def test_reflect_padding_window_sees_mirrored_values():
    x = examples.INPUT_3X3
    win = conv2d_window(x, np.ones((3, 3)), 0, 0, padding=1, mode="reflect")
    np.testing.assert_array_equal(win.patch, [[4, 3, 4], [1, 0, 1], [4, 3, 4]])


def test_lecture_volume_760_weights():
    conv, unshared, dense = params_conv_vs_dense(32, 32, 3, 10, 5, 28, 28)
    assert conv == 760  # (5*5*3 + 1) * 10
    assert unshared == 30_720 * 76  # the lecture's "about 3 million" without sharing
    assert dense == 32 * 32 * 3 * 28 * 28 * 10 + 28 * 28 * 10
    assert dense > 3_000_000


def test_one_by_one_convolution_weights():
    conv, _, _ = params_conv_vs_dense(32, 32, 64, 16, 1, 32, 32)
    assert conv == 64 * 16 + 16


def test_window_coverage_lecture_misfit_7_3_3():
    counts, starts = window_coverage(7, 3, stride=3)
    assert starts == [0, 3]
    np.testing.assert_array_equal(counts, [1, 1, 1, 1, 1, 1, 0])  # row 6 is never seen


def test_window_coverage_with_padding_and_dilation():
    counts, starts = window_coverage(5, 3, stride=1, padding=1)
    assert starts == [0, 1, 2, 3, 4] and counts.tolist() == [1, 2, 3, 3, 3, 2, 1]
    counts, starts = window_coverage(7, 3, dilation=2)
    assert starts == [0, 1, 2] and counts.tolist() == [1, 1, 2, 1, 2, 1, 1]
