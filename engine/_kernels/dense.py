"""Numba kernels for a dense layer's big matrix products, split over two threads.

Each thread makes its own BLAS calls (Numba's np.dot calls SciPy's BLAS, held to one thread
like NumPy's, see engine/runtime.py). Two ways to split:

- by inputs, up to SPLIT_INPUTS_UP_TO rows: thread 0 owns the first half of the weight
  matrix's rows (the layer's first n_in / 2 inputs), thread 1 the rest, in the forward pass
  (two partial products, summed), the backward pass (each thread's rows of the weight
  gradient and its columns of the input gradient) and the optimizer (which splits a flat
  array the same way), so each core keeps its half of the weights in its cache, and each
  BLAS call packs only half of them. At batch 64 the forward took 0.13 ms instead of 0.18;
- by batch rows (forward) and by product (backward) for bigger batches, where packing the
  weights is a small part of the work.

The second thread is one of Numba's own OpenMP threads, still awake from the kernel before
(see engine/runtime.py), so nothing waits for a sleeping thread: for the digit network's first dense
layer at batch 64, the backward products (split by product) took 0.25 ms this way, 0.38 ms
with a Python helper thread and 0.47 ms on one thread.
"""

import numpy as np
from numba import njit, prange

try:  # Numba's np.dot needs SciPy's BLAS; without it the layer uses NumPy on one thread
    import scipy.linalg.cython_blas  # noqa: F401
    HAVE_BLAS = True
except ImportError:
    HAVE_BLAS = False

SPLIT_INPUTS_UP_TO = 128  # batch rows; above this the row split was as fast or faster


@njit(cache=True, parallel=True, nogil=True)
def matmul_split_rows(x, w, out):
    """out = x @ w, the two halves of the rows on two threads. x: (N, n_in); w: (n_in, n_out);
    out: (N, n_out); all C-contiguous, of one float dtype."""
    half = x.shape[0] // 2
    for part in prange(2):
        if part == 0:
            np.dot(x[:half], w, out[:half])
        else:
            np.dot(x[half:], w, out[half:])


@njit(cache=True, parallel=True, nogil=True)
def dense_backward(x, dy, w, dx, dw):
    """dx = dy @ w.T and dw = x.T @ dy, one on each thread. x: (N, n_in); dy: (N, n_out);
    w: (n_in, n_out); dx: (N, n_in) and dw: (n_in, n_out) out; all C-contiguous, one dtype."""
    for part in prange(2):
        if part == 0:
            np.dot(dy, w.T, dx)
        else:
            np.dot(x.T, dy, dw)


@njit(cache=True, parallel=True, nogil=True)
def forward_split_inputs(x, w, b, xa, xb, part, out):
    """out = x @ w + b as x[:, :h] @ w[:h] (thread 0) + x[:, h:] @ w[h:] (thread 1).

    x: (N, n_in); w: (n_in, n_out); b: (n_out,); out: (N, n_out); xa: (N, h) and
    xb: (N, n_in - h) out, x's two halves made contiguous for BLAS (backward_split_inputs
    takes them); part: (2, N, n_out) scratch. All of one float dtype, w C-contiguous.
    """
    N = x.shape[0]
    h = xa.shape[1]
    for t in prange(2):
        if t == 0:
            for i in range(N):
                xa[i] = x[i, :h]
            np.dot(xa, w[:h], part[0])
        else:
            for i in range(N):
                xb[i] = x[i, h:]
            np.dot(xb, w[h:], part[1])
    for i in range(N):
        for j in range(out.shape[1]):
            out[i, j] = part[0, i, j] + part[1, i, j] + b[j]


@njit(cache=True, nogil=True, inline="always")
def _backward_half(xs, dy, ws, gws, dx, lo, dws, dxs, fresh):
    """One thread's share: gws += xs.T @ dy (gws = xs.T @ dy when fresh: gws holds zeros, and
    the product then goes straight into it, sparing a pass over a scratch copy and gws);
    dx[:, lo:lo + ws.shape[0]] = dy @ ws.T."""
    if fresh:
        np.dot(xs.T, dy, gws)
    else:
        np.dot(xs.T, dy, dws)
        for i in range(gws.shape[0]):
            for j in range(gws.shape[1]):
                gws[i, j] += dws[i, j]
    np.dot(dy, ws.T, dxs)
    for i in range(dx.shape[0]):
        dx[i, lo:lo + dxs.shape[1]] = dxs[i]


@njit(cache=True, parallel=True, nogil=True)
def backward_split_inputs(xa, xb, dy, w, gw, dx, dxa, dxb, dwa, dwb, fresh):
    """gw += x.T @ dy and dx = dy @ w.T, thread 0 for the first h inputs, thread 1 for the rest.

    fresh: gw holds zeros (zero_grad() came last), so the products may overwrite it.
    xa, xb: (N, h), (N, n_in - h) from forward_split_inputs; dy: (N, n_out); w, gw: (n_in, n_out);
    dx: (N, n_in) out; dxa, dxb: shaped like xa, xb and dwa, dwb: (h, n_out), (n_in - h, n_out)
    scratch. All C-contiguous, of one float dtype.
    """
    h = xa.shape[1]
    for t in prange(2):
        if t == 0:
            _backward_half(xa, dy, w[:h], gw[:h], dx, 0, dwa, dxa, fresh)
        else:
            _backward_half(xb, dy, w[h:], gw[h:], dx, h, dwb, dxb, fresh)
