"""Numba kernels that run convolution -> ReLU -> 2x2 max-pool as one step, image by image.

Running the three layers over the whole batch one after another streams every feature map
through memory three times. These kernels instead take one image at a time, so its input,
its feature maps and their gradients stay in the core's L1/L2 cache, and the threads split
the batch (each thread owns whole images, so nothing races).

Layout: stride-1 "wide" rows as in _kernels_conv.py. An image's padded plane is one flat row
of Hp*Wp values (plus a zero tail); output position (i, j) of the convolution sits at wide
index i*Wp + j, and tap (p, q) reads input index j + p*Wp + q. The Wp - Wo columns at the end
of every wide row are never pooled, so their values do not matter.

Backward uses the sparsity the pool and ReLU leave: of each 2x2 window only the position of
the max gets a gradient, and only if that max was positive, so it visits only those.

Inner loops index a slice (xs = xr[off:off + L]; xs[j]) rather than xr[off + j]: with a
plain loop counter Numba knows the index is not negative, skips its wraparound check, and
LLVM vectorises the loop (about five times faster here).
"""

import numpy as np
from numba import njit, prange

FAST = {"reassoc", "contract"}


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _add_kernel_row(o, xr, base, wrow, L):
    """o[j] += sum_q wrow[q] * xr[base + q + j] for j < L.

    For the common widths 3 and 5 the whole kernel row goes in one pass, so every output
    value is loaded and stored once rather than once per tap (about 1.5 times faster).
    """
    fw = wrow.shape[0]
    if fw == 3:
        x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
        w0, w1, w2 = wrow[0], wrow[1], wrow[2]
        for j in range(L):
            o[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j]
    elif fw == 5:
        x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
        x3, x4 = xr[base + 3:base + 3 + L], xr[base + 4:base + 4 + L]
        w0, w1, w2, w3, w4 = wrow[0], wrow[1], wrow[2], wrow[3], wrow[4]
        for j in range(L):
            o[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j] + w3 * x3[j] + w4 * x4[j]
    else:
        for q in range(fw):
            wv = wrow[q]
            xs = xr[base + q:base + q + L]
            for j in range(L):
                o[j] += wv * xs[j]


@njit(cache=True, parallel=True, nogil=True, fastmath=FAST)
def conv_relu_maxpool2_forward(xpf, w, b, wp, zw, pooled, arg):
    """zw[n, k] = conv + bias as a wide row; pooled = 2x2 max-pool of ReLU(conv + bias).

    xpf: (N, C, Hp*Wp + tail) flat padded images; w: (K, C, FH, FW); b: (K,);
    zw: (N, K, Ho*Wp) out; pooled: (N, K, Ho//2, Wo//2) out;
    arg: (N, K, Ho//2, Wo//2) int32 out, the wide index in zw[n, k] of each window's max
    (the first in row-major order on ties), or -1 when that max is not positive (ReLU then
    passes no gradient back).
    """
    N, C = xpf.shape[0], xpf.shape[1]
    K, FH = w.shape[0], w.shape[2]
    L = zw.shape[2]
    Po, Qo = pooled.shape[2], pooled.shape[3]
    zero = pooled.dtype.type(0)
    for n in prange(N):
        for k in range(K):
            o = zw[n, k]
            bk = b[k]
            for j in range(L):
                o[j] = bk
            for c in range(C):
                xr = xpf[n, c]
                for p in range(FH):
                    _add_kernel_row(o, xr, p * wp, w[k, c, p], L)
            for pi in range(Po):
                for qj in range(Qo):
                    top = 2 * pi * wp + 2 * qj
                    best = o[top]
                    where = top
                    for cand in (top + 1, top + wp, top + wp + 1):
                        if o[cand] > best:
                            best = o[cand]
                            where = cand
                    if best > zero:
                        pooled[n, k, pi, qj] = best
                        arg[n, k, pi, qj] = where
                    else:
                        pooled[n, k, pi, qj] = zero
                        arg[n, k, pi, qj] = -1


@njit(cache=True, parallel=True, nogil=True, fastmath=FAST)
def conv_relu_maxpool2_backward(dpool, arg, xcl, wcl, wp, C, need_dx, dxcl, dw_part, db_part):
    """Gradients of the fused step from dpool, the gradient w.r.t. the pooled output.

    Channels-last, so that the FW taps of one kernel row over all C channels are FW*C
    contiguous numbers in the input, in the weights and in their gradients:
    dpool, arg: (N, K, Po, Qo); C: the input's channels; xcl: (N, (Hp*Wp + tail) * C) the padded images with the
    channel as the fastest axis; wcl: (K, FH, FW*C); dxcl: like xcl, zeroed, filled when
    need_dx; dw_part: (T, K, FH, FW*C) and db_part: (T, K), zeroed: thread t adds the
    gradients of images t, t+T, t+2T, ... into its own slice, and the caller sums over T.
    Only the window maxima that were positive pass a gradient, so the work is one small
    update per such position instead of a full correlation.
    """
    N, K, Po, Qo = dpool.shape
    fh, row = wcl.shape[1], wcl.shape[2]  # row = FW * C
    T = dw_part.shape[0]
    for t in prange(T):
        dwn = dw_part[t]
        for n in range(t, N, T):
            xn = xcl[n]
            dxn = dxcl[n] if need_dx else dxcl[0]
            for k in range(K):
                for pi in range(Po):
                    for qj in range(Qo):
                        a = arg[n, k, pi, qj]
                        if a < 0:
                            continue
                        g = dpool[n, k, pi, qj]
                        db_part[t, k] += g
                        for p in range(fh):
                            # unsigned offsets: Numba then skips its negative-index check
                            start = np.uint64((a + p * wp) * C)
                            for u in range(np.uint64(row)):
                                dwn[k, p, u] += g * xn[start + u]
                            if need_dx:
                                for u in range(np.uint64(row)):
                                    dxn[start + u] += g * wcl[k, p, u]
