"""The row-parallel filter kernel (engine/_kernels/filter.py) against the naive loops.

conv2d sends stride-1 convolutions with long output rows to this kernel. Here it is called
directly on small shapes (so the naive loops stay quick) and through conv2d on wide ones, in
float64 (to 1e-10) and float32 (summed in float32, within 1e-4 relative of float64). A last test
runs fresh processes that load the kernel from Numba's on-disk cache and filter with a 3x3 and
an 11x11 kernel in both orders.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import naive
from engine import conv, conv2d
from engine._kernels import filter as filter_kernels

ROOT = Path(__file__).resolve().parents[2]


def same_pads(f, d=1):
    """'same' padding for stride 1: D(F-1) cells, the odd one after (bottom, right)."""
    total = d * (f - 1)
    return total // 2, total - total // 2


def out_size(n, f, before, after, d):
    return n + before + after - d * (f - 1)


def filter_path(x, w, b, pads, dilation):
    """conv2d's filter path with explicit (top, bottom, left, right) padding."""
    ho = out_size(x.shape[2], w.shape[2], pads[0], pads[1], dilation[0])
    wo = out_size(x.shape[3], w.shape[3], pads[2], pads[3], dilation[1])
    return conv._filter_forward(x, np.ascontiguousarray(w), b, pads, dilation, (ho, wo))


def assert_float32_close(got, ref):
    """float32 within 1e-4 relative of the float64 reference (relative to the output's scale)."""
    assert got.dtype == np.float32
    scale = np.abs(ref).max()
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * scale)


CASES = [
    # (N, C, H, W), (K, FH, FW), (top, bottom, left, right), dilation
    ((1, 1, 9, 10), (1, 3, 3), (1, 1, 1, 1), (1, 1)),        # 3x3 'same'
    ((1, 1, 12, 13), (1, 5, 5), (2, 2, 2, 2), (1, 1)),       # 5x5 'same'
    ((1, 1, 16, 15), (1, 11, 11), (5, 5, 5, 5), (1, 1)),     # 11x11 'same'
    ((1, 1, 14, 17), (1, 11, 11), (0, 0, 0, 0), (1, 1)),     # 11x11 padding 0
    ((1, 1, 8, 9), (1, 3, 3), (0, 0, 0, 0), (1, 1)),         # 3x3 padding 0
    ((1, 1, 7, 12), (1, 2, 2), (0, 1, 0, 1), (1, 1)),        # even: 'same' puts the cell after
    ((1, 1, 9, 8), (1, 4, 6), (1, 2, 2, 3), (1, 1)),         # even, not square
    ((1, 1, 6, 20), (1, 1, 13), (0, 0, 6, 6), (1, 1)),       # a row wider than two passes
    ((1, 1, 8, 9), (1, 7, 8), (3, 3, 3, 4), (1, 1)),         # 7 taps split 4 + 3, 8 split 6 + 2
    ((1, 1, 11, 12), (1, 3, 3), (2, 2, 2, 2), (2, 2)),       # dilation 2, 'same'
    ((1, 1, 13, 11), (1, 3, 5), (1, 0, 3, 2), (2, 3)),       # dilation (2, 3), uneven padding
    ((2, 3, 10, 11), (4, 3, 3), (1, 1, 1, 1), (1, 1)),       # several images, channels, filters
    ((2, 2, 9, 9), (3, 5, 5), (4, 1, 0, 3), (1, 2)),
    ((1, 1, 3, 3), (1, 3, 3), (0, 0, 0, 0), (1, 1)),         # the kernel just fits: 1x1 out
    ((1, 1, 11, 12), (1, 11, 11), (0, 0, 0, 0), (1, 1)),     # 1x2 out
    ((1, 2, 5, 4), (2, 5, 4), (0, 0, 0, 0), (1, 1)),         # one output row, one column
    ((1, 1, 2, 3), (1, 5, 5), (2, 2, 2, 2), (1, 1)),         # image smaller than the kernel
    ((1, 1, 4, 4), (1, 3, 3), (4, 3, 5, 2), (1, 1)),         # padding wider than the kernel
    ((1, 1, 7, 5), (1, 3, 3), (0, 0, 0, 0), (3, 2)),         # dilated kernel just fits
]


@pytest.mark.parametrize("x_shape, k_shape, pads, dilation", CASES)
def test_filter_kernel_matches_naive_in_float64(x_shape, k_shape, pads, dilation):
    rng = np.random.default_rng(sum(x_shape) + sum(k_shape) + sum(pads))
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((k_shape[0], x_shape[1]) + k_shape[1:])
    b = rng.standard_normal(k_shape[0])
    got = filter_path(x, w, b, pads, dilation)
    ref = naive.conv2d(x, w, b, (1, 1), pads, dilation)
    assert got.dtype == np.float64
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("x_shape, k_shape, pads, dilation", CASES)
def test_filter_kernel_in_float32_is_within_1e_4_of_float64(x_shape, k_shape, pads, dilation):
    rng = np.random.default_rng(sum(x_shape) * 7 + sum(k_shape))
    x = rng.random(x_shape)
    w = rng.standard_normal((k_shape[0], x_shape[1]) + k_shape[1:])
    got = filter_path(x.astype(np.float32), w.astype(np.float32), None, pads, dilation)
    assert_float32_close(got, naive.conv2d(x, w, None, (1, 1), pads, dilation))


@pytest.mark.parametrize("rows_per_task", [1, 2, 3, 4, 16])
@pytest.mark.parametrize("x_shape, k_shape, pads, dilation", [
    ((1, 1, 11, 9), (3, 3, 3), (1, 1, 1, 1), (1, 1)),    # filters in a pair and one alone
    ((2, 2, 9, 12), (4, 5, 5), (2, 2, 2, 2), (1, 1)),
    ((1, 1, 13, 20), (2, 11, 11), (5, 5, 5, 5), (1, 1)),
    ((1, 1, 10, 9), (2, 4, 6), (1, 2, 2, 3), (1, 1)),     # tap counts without a four-row pass
    ((1, 2, 12, 9), (3, 3, 3), (2, 2, 1, 1), (2, 1)),     # rows not paired under dilation
])
def test_filter_kernel_with_any_block_height(x_shape, k_shape, pads, dilation, rows_per_task):
    """Blocks of odd heights leave a row without a partner; every block gives the same numbers."""
    rng = np.random.default_rng(rows_per_task)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((k_shape[0], x_shape[1]) + k_shape[1:])
    b = rng.standard_normal(k_shape[0])
    ref = naive.conv2d(x, w, b, (1, 1), pads, dilation)
    out = np.full(ref.shape, np.nan)
    filter_kernels.filter_forward(x, w, b, pads[0], pads[2], dilation[0], dilation[1],
                                   rows_per_task, out)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)


def test_filter_kernel_without_bias_adds_nothing():
    x = np.ones((1, 1, 4, 5))
    w = np.ones((2, 1, 3, 3))
    out = filter_path(x, w, None, (1, 1, 1, 1), (1, 1))
    # the counts of image cells under a 3x3 window: 4 in a corner, 6 on an edge, 9 inside
    assert out[0, 0].tolist() == [[4, 6, 6, 6, 4], [6, 9, 9, 9, 6], [6, 9, 9, 9, 6], [4, 6, 6, 6, 4]]
    assert np.array_equal(out[0, 0], out[0, 1])


# ---------------------------------------------------------------- through conv2d

WIDE = [
    # (N, C, H, W), (K, FH, FW), padding, dilation; output rows wide enough for the filter path
    ((1, 1, 6, 130), (1, 3, 3), "same", 1),
    ((1, 1, 9, 140), (1, 5, 5), "same", 1),
    ((1, 1, 13, 120), (1, 11, 11), "same", 1),
    ((1, 1, 13, 120), (1, 11, 11), 0, 1),
    ((1, 1, 5, 101), (1, 4, 2), "same", 1),
    ((1, 2, 7, 110), (3, 3, 3), (1, 2), (2, 1)),
    ((2, 1, 8, 100), (8, 5, 5), "same", 1),
]


@pytest.mark.parametrize("x_shape, k_shape, padding, dilation", WIDE)
def test_conv2d_on_wide_images_uses_the_filter_kernel_and_matches_naive(
        x_shape, k_shape, padding, dilation, monkeypatch):
    calls = []
    kernel = filter_kernels.filter_forward
    monkeypatch.setattr(filter_kernels, "filter_forward", lambda *a: calls.append(1) or kernel(*a))
    rng = np.random.default_rng(sum(x_shape))
    x = rng.random(x_shape)
    w = rng.standard_normal((k_shape[0], x_shape[1]) + k_shape[1:])
    b = rng.standard_normal(k_shape[0])
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    if padding == "same":
        pads = same_pads(k_shape[1], d[0]) + same_pads(k_shape[2], d[1])
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        pads = (ph, ph, pw, pw)
    ref = naive.conv2d(x, w, b, (1, 1), pads, d)
    got64 = conv2d(x, w, b, padding=padding, dilation=dilation)
    assert len(calls) == 1
    np.testing.assert_allclose(got64, ref, rtol=1e-10, atol=1e-10)
    got32 = conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32),
                   padding=padding, dilation=dilation)
    assert_float32_close(got32, ref)


def test_conv2d_gives_the_same_numbers_on_either_side_of_the_path_switch():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((2, 1, 3, 3))
    for width in (conv.FILTER_MIN_WIDTH - 1, conv.FILTER_MIN_WIDTH):
        x = rng.standard_normal((1, 1, 4, width))
        ref = naive.conv2d(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1))
        np.testing.assert_allclose(conv2d(x, w, padding="same"), ref, rtol=1e-10, atol=1e-10)


def test_filtering_a_512x512_image_keeps_its_size_and_dtype():
    x = np.random.default_rng(0).random((1, 1, 512, 512), dtype=np.float32)
    box = np.full((1, 1, 3, 3), 1 / 9, dtype=np.float32)
    out = conv2d(x, box, padding="same")
    assert out.shape == (1, 1, 512, 512) and out.dtype == np.float32
    ref = sum(np.pad(x[0, 0].astype(np.float64), 1)[p:p + 512, q:q + 512]
              for p in range(3) for q in range(3)) / 9
    assert_float32_close(out[0, 0], ref)


# ---------------------------------------------------------------- the on-disk cache

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import engine
    from engine._kernels import filter as filter_kernels

    def reference(x, k):  # float64 'same' cross-correlation from shifted slices
        f = k.shape[0]
        xp = np.pad(x.astype(np.float64), f // 2)
        h, w = x.shape
        return sum(k[p, q] * xp[p:p + h, q:q + w] for p in range(f) for q in range(f))

    rng = np.random.default_rng(0)
    x = rng.random((40, 150), dtype=np.float32)
    errors = {}
    for f in map(int, sys.argv[1:]):
        k = rng.standard_normal((f, f)).astype(np.float32)
        ref = reference(x, k.astype(np.float64))
        out = engine.conv2d(x[None, None], k[None, None], padding="same")[0, 0]
        errors[f] = float(np.abs(out - ref).max() / np.abs(ref).max())
    stats = filter_kernels.filter_forward.stats
    print(json.dumps({"errors": errors, "misses": sum(stats.cache_misses.values()),
                      "hits": sum(stats.cache_hits.values())}))
    """
)


def run_fresh_process(cache_dir, sizes):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    proc = subprocess.run([sys.executable, "-c", CHILD, *map(str, sizes)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_kernel_from_the_disk_cache_is_right_for_3x3_and_11x11_in_either_order(tmp_path):
    first = run_fresh_process(tmp_path, (3, 11))  # an empty cache: compiles and writes it
    assert first["misses"] >= 1
    for sizes in ((11, 3), (3, 11)):  # later processes load the kernel from the cache
        later = run_fresh_process(tmp_path, sizes)
        assert later["misses"] == 0 and later["hits"] >= 1, later
        for f, err in later["errors"].items():
            assert err < 1e-5, (sizes, f, err)
    for f, err in first["errors"].items():
        assert err < 1e-5, (f, err)
