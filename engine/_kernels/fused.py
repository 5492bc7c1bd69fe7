"""Numba kernels that run convolution -> ReLU -> 2x2 max-pool as one step, image by image.

Running the three layers over the whole batch one after another streams every feature map
through memory three times. These kernels instead take one image at a time, so its input,
its feature maps and their gradients stay in the core's L1/L2 cache, and the threads split
the batch (each thread owns whole images, so nothing races).

Layout: stride-1 "wide" rows as in _kernels/conv.py. An image's padded plane is one flat row
of Hp*Wp values (plus a zero tail); output position (i, j) of the convolution sits at wide
index i*Wp + j, and tap (p, q) reads input index j + p*Wp + q. The Wp - Wo columns at the end
of every wide row are never pooled, so their values do not matter.

Backward uses the sparsity the pool, ReLU and dropout leave: of each 2x2 window only the
position of the max gets a gradient, and only if that max was positive and not dropped, so it
visits only those. A first layer, which needs no input gradient, computes its weight gradient
as vectorised dot products instead (see conv_relu_maxpool2_weight_grad).

While training, the forward writes each image's convolution into a per-thread scratch that
stays in cache: only the pooled maps and the window maxima's positions are needed later.

Inner loops index a slice (xs = xr[off:off + L]; xs[j]) rather than xr[off + j]: with a
plain loop counter Numba knows the index is not negative, skips its wraparound check, and
LLVM vectorises the loop (about five times faster here).
"""

import numpy as np
from numba import njit, prange

# The two helpers from other modules: a fused dropout drops what the layer drops, and the
# forward pads each image as the unfused convolution does. Numba's on-disk cache does not notice
# edits to them: after changing keeps() or pad_plane(), delete engine/_kernels/__pycache__
# (tests/test_fusion.py compares the fused steps with the layers).
from engine._kernels.conv import pad_plane
from engine._kernels.dropout import keeps

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


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _dot_kernel_row(dz, xr, base, out, L):
    """out[q] += sum_j dz[j] * xr[base + q + j] for j < L, for every tap q of a kernel row.

    The weight gradient of one kernel row; the taps of widths 3 and 5 share one pass over dz.
    """
    fw = out.shape[0]
    zero = dz.dtype.type(0)
    if fw == 3:
        x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
        s0 = s1 = s2 = zero
        for j in range(L):
            d = dz[j]
            s0 += d * x0[j]
            s1 += d * x1[j]
            s2 += d * x2[j]
        out[0] += s0
        out[1] += s1
        out[2] += s2
    elif fw == 5:
        x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
        x3, x4 = xr[base + 3:base + 3 + L], xr[base + 4:base + 4 + L]
        s0 = s1 = s2 = s3 = s4 = zero
        for j in range(L):
            d = dz[j]
            s0 += d * x0[j]
            s1 += d * x1[j]
            s2 += d * x2[j]
            s3 += d * x3[j]
            s4 += d * x4[j]
        out[0] += s0
        out[1] += s1
        out[2] += s2
        out[3] += s3
        out[4] += s4
    else:
        for q in range(fw):
            xs = xr[base + q:base + q + L]
            s = zero
            for j in range(L):
                s += dz[j] * xs[j]
            out[q] += s


@njit(cache=True, parallel=True, nogil=True, fastmath=FAST)
def conv_relu_maxpool2_forward(x, top, left, xpf, w, b, wp, T, zw, pooled, arg, key, threshold, scale):
    """zw = conv + bias as wide rows; pooled = 2x2 max-pool of ReLU(conv + bias), then dropout
    when threshold > 0.

    x: (N, C, H, W) the images, which each thread first pads (top rows, left columns) into
    xpf as the convolution kernels' pad_flat does, so that they are in its cache for the products; or an
    empty batch (0, C, h, w) when xpf holds them already;
    xpf: (N, C, Hp*Wp + tail) flat padded images; w: (K, C, FH, FW); b: (K,);
    T: the number of threads, thread t taking the t-th of T equal blocks of images (the blocks
    NumPy-order kernels such as the dropout's give each thread, so its data stays in its cache);
    zw: (N, K, Ho*Wp) out, every image's convolution, or (T, K, Ho*Wp) scratch, one image's
    per thread when only the pooled output is wanted (training: the maps then stay in cache);
    pooled: (N, K, Ho//2, Wo//2) out;
    arg: (N, K, Ho//2, Wo//2) int32 out, the wide index in zw[n, k] of each window's max
    (the first in row-major order on ties), or -1 when that max is not positive (ReLU then
    passes no gradient back) or was dropped;
    key, threshold (uint32), scale: a dropout that follows the pool, as in engine/_kernels/dropout.py:
    each pooled value is multiplied by scale or, with the same mask as the Dropout layer's
    for this key, by 0. threshold 0 means no dropout. Nothing else is kept of the mask: a
    dropped window's arg is -1, and the backward multiplies the others' gradients by scale.
    """
    N, C = xpf.shape[0], xpf.shape[1]
    K, FH, FW = w.shape[0], w.shape[2], w.shape[3]
    L = zw.shape[2]
    keep = zw.shape[0] == N
    is3 = FH == 3 and FW == 3
    is5 = FW == 5
    pad = x.shape[0] == N
    for t in prange(T):
        for n in range(t * N // T, (t + 1) * N // T):
            if pad:
                for c in range(C):
                    pad_plane(x[n, c], top, left, wp, xpf[n, c])
            zn = zw[n] if keep else zw[t]
            k = 0
            while k < K:
                # 3x3 filters go four or two at a time, 5-wide ones four at a time, sharing
                # their input loads (the first layer at batch 64, on one thread: 0.45 ms, not 0.54);
                # fours go a kernel row at a time
                step = 4 if (is3 or is5) and k + 4 <= K else (2 if is3 and k + 2 <= K else 1)
                for f in range(k, k + step):
                    o = zn[f]
                    for j in range(L):
                        o[j] = b[f]
                for c in range(C):
                    xr = xpf[n, c]
                    if step == 4 and is5:
                        for p in range(FH):
                            _add_5_row_quad(zn[k], zn[k + 1], zn[k + 2], zn[k + 3], xr, p * wp,
                                            w[k, c, p], w[k + 1, c, p], w[k + 2, c, p], w[k + 3, c, p], L)
                    elif step == 4:
                        for p in range(FH):
                            _add_3_row_quad(zn[k], zn[k + 1], zn[k + 2], zn[k + 3], xr, p * wp,
                                            w[k, c, p], w[k + 1, c, p], w[k + 2, c, p], w[k + 3, c, p], L)
                    elif step == 2:
                        _add_3x3_pair(zn[k], zn[k + 1], xr, wp, w[k, c], w[k + 1, c], L)
                    else:
                        for p in range(FH):
                            _add_kernel_row(zn[k], xr, p * wp, w[k, c, p], L)
                for f in range(k, k + step):
                    _relu_maxpool2(zn[f], wp, pooled[n, f], arg[n, f])
                k += step
            if threshold > 0:  # all the image's maps in one loop: long enough to vectorise well
                _dropout_maps(pooled[n], arg[n], key, threshold, scale, n * pooled[n].size)


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _add_3_row_quad(o0, o1, o2, o3, xr, base, w0, w1, w2, w3, L):
    """o_f[j] += sum_q w_f[q] * xr[base + q + j] for one 3-wide kernel row of four filters f.

    Each input value is loaded once for all four, and the 12 weights are read into locals
    first: LLVM cannot keep them in registers otherwise, because it cannot rule out that the
    stores to o change them. Whole 3x3 filters in one pass need 36 weights, more than the 32
    vector registers hold; at batch 64 on two threads the second layer's forward took
    0.27-0.30 ms that way and 0.28-0.29 ms row by row (six alternating runs), with a third of
    the code.
    """
    x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
    a0, a1, a2 = w0[0], w0[1], w0[2]
    b0, b1, b2 = w1[0], w1[1], w1[2]
    c0, c1, c2 = w2[0], w2[1], w2[2]
    d0, d1, d2 = w3[0], w3[1], w3[2]
    for j in range(L):
        e0, e1, e2 = x0[j], x1[j], x2[j]
        o0[j] += a0 * e0 + a1 * e1 + a2 * e2
        o1[j] += b0 * e0 + b1 * e1 + b2 * e2
        o2[j] += c0 * e0 + c1 * e1 + c2 * e2
        o3[j] += d0 * e0 + d1 * e1 + d2 * e2


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _add_5_row_quad(o0, o1, o2, o3, xr, base, w0, w1, w2, w3, L):
    """o_f[j] += sum_q w_f[q] * xr[base + q + j] for one 5-wide kernel row of four filters f."""
    x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
    x3, x4 = xr[base + 3:base + 3 + L], xr[base + 4:base + 4 + L]
    a0, a1, a2, a3, a4 = w0[0], w0[1], w0[2], w0[3], w0[4]
    b0, b1, b2, b3, b4 = w1[0], w1[1], w1[2], w1[3], w1[4]
    c0, c1, c2, c3, c4 = w2[0], w2[1], w2[2], w2[3], w2[4]
    d0, d1, d2, d3, d4 = w3[0], w3[1], w3[2], w3[3], w3[4]
    for j in range(L):
        e0, e1, e2, e3, e4 = x0[j], x1[j], x2[j], x3[j], x4[j]
        o0[j] += a0 * e0 + a1 * e1 + a2 * e2 + a3 * e3 + a4 * e4
        o1[j] += b0 * e0 + b1 * e1 + b2 * e2 + b3 * e3 + b4 * e4
        o2[j] += c0 * e0 + c1 * e1 + c2 * e2 + c3 * e3 + c4 * e4
        o3[j] += d0 * e0 + d1 * e1 + d2 * e2 + d3 * e3 + d4 * e4


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _add_3x3_pair(o, o2, xr, wp, wa, wb, L):
    """o[j] += the 3x3 filter wa at wide index j; o2[j] += the filter wb there, for the filters
    a multiple of four leaves (18 weights: these fit in the registers whole)."""
    a0, a1, a2 = xr[0:L], xr[1:1 + L], xr[2:2 + L]
    b0, b1, b2 = xr[wp:wp + L], xr[wp + 1:wp + 1 + L], xr[wp + 2:wp + 2 + L]
    c0, c1, c2 = xr[2 * wp:2 * wp + L], xr[2 * wp + 1:2 * wp + 1 + L], xr[2 * wp + 2:2 * wp + 2 + L]
    u00, u01, u02, u10, u11, u12 = wa[0, 0], wa[0, 1], wa[0, 2], wa[1, 0], wa[1, 1], wa[1, 2]
    u20, u21, u22 = wa[2, 0], wa[2, 1], wa[2, 2]
    v00, v01, v02, v10, v11, v12 = wb[0, 0], wb[0, 1], wb[0, 2], wb[1, 0], wb[1, 1], wb[1, 2]
    v20, v21, v22 = wb[2, 0], wb[2, 1], wb[2, 2]
    for j in range(L):
        e0, e1, e2, e3, e4 = a0[j], a1[j], a2[j], b0[j], b1[j]
        e5, e6, e7, e8 = b2[j], c0[j], c1[j], c2[j]
        o[j] += (u00 * e0 + u01 * e1 + u02 * e2 + u10 * e3 + u11 * e4 + u12 * e5
                 + u20 * e6 + u21 * e7 + u22 * e8)
        o2[j] += (v00 * e0 + v01 * e1 + v02 * e2 + v10 * e3 + v11 * e4 + v12 * e5
                  + v20 * e6 + v21 * e7 + v22 * e8)


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _relu_maxpool2(o, wp, pooled, arg):
    """pooled, arg: (Po, Qo) from one wide convolution row set o, as in the forward.

    Each window is a tournament, left against right in both rows, then top against bottom,
    the earlier one winning ties: the same pick as scanning the four in row-major order.
    Written as selects rather than branches, because which value wins is a coin toss the
    branch predictor keeps losing.
    """
    Po, Qo = pooled.shape
    zero = pooled.dtype.type(0)
    for pi in range(Po):
        top = 2 * pi * wp
        r0, r1 = o[top:top + 2 * Qo], o[top + wp:top + wp + 2 * Qo]
        pr, ar = pooled[pi], arg[pi]
        for qj in range(Qo):
            a, b = r0[2 * qj], r0[2 * qj + 1]
            c, d = r1[2 * qj], r1[2 * qj + 1]
            upper = a if a >= b else b
            at_upper = 2 * qj if a >= b else 2 * qj + 1
            lower = c if c >= d else d
            at_lower = wp + 2 * qj if c >= d else wp + 2 * qj + 1
            best = upper if upper >= lower else lower
            where = at_upper if upper >= lower else at_lower
            pr[qj] = best if best > zero else zero
            ar[qj] = top + where if best > zero else -1


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _dropout_maps(pooled, arg, key, threshold, scale, first):
    """Dropout of one image's pooled maps, pooled and arg: (K, Po, Qo), whose first value has
    index `first` in the whole batch (the index the Dropout layer hashes)."""
    p, a = pooled.reshape(-1), arg.reshape(-1)
    s, zero = pooled.dtype.type(scale), pooled.dtype.type(0)
    for j in range(p.shape[0]):
        kept = keeps(key, first + j, threshold)
        p[j] = p[j] * (s if kept else zero)  # a multiply, as the layer does (inf * 0 is NaN)
        a[j] = a[j] if kept else -1


@njit(cache=True, parallel=True, nogil=True, fastmath=FAST)
def conv_relu_maxpool2_weight_grad(dpool, arg, xpf, wp, gscale, dw_part, db_part, dz_part):
    """The weight and bias gradients of the fused step, for a layer that needs no input gradient.

    dpool, arg: (N, K, Po, Qo); xpf: (N, C, Hp*Wp + tail) as in the forward; gscale: the
    dropout's scale (1 without one), which multiplies dpool where arg >= 0; dw_part:
    (T, >= K, C, FH, FW) and db_part: (T, >= K), zeroed, thread t's share, summed by the
    caller (spare rows keep the threads' shares on separate cache lines);
    dz_part: (T, 4, >= 2*Po*Wp + 1) zeroed scratch.
    Each (image, filter) gradient is scattered into a wide row dz (zero but at the positive
    window maxima), then every tap's gradient is one dot product of dz with a shifted input
    row. That is more multiplications than visiting only the maxima, but they vectorise,
    and for a first layer (one channel, 5x5) it ran about twice as fast. 5-wide filters go
    four at a time, each input load serving twenty sums: at batch 64 on two threads,
    0.14-0.15 ms instead of 0.22-0.23 ms for the digit network's first layer.
    """
    N, K, Po, Qo = dpool.shape
    T, _, C, FH, FW = dw_part.shape
    L = 2 * Po * wp  # wide rows below the last pooled row never get a gradient
    zero, gs = dz_part.dtype.type(0), dz_part.dtype.type(gscale)
    for t in prange(T):
        for n in range(t * N // T, (t + 1) * N // T):
            k = 0
            while k < K:
                # 5-wide filters go four at a time, sharing their input loads
                step = 4 if FW == 5 and k + 4 <= K else 1
                for f in range(step):
                    dz = dz_part[t, f, :L + 1]  # dz[L] takes what ReLU or dropout stops: never read
                    g_sum = zero
                    an, gn = arg[n, k + f], dpool[n, k + f]
                    for pi in range(Po):
                        for qj in range(Qo):
                            a = an[pi, qj]
                            kept = a >= 0
                            # a multiply and selects of registers only: selecting the loaded
                            # gradient itself ran like a branch, its time rising with the share
                            # of randomly dropped windows (0.16 -> 0.35 ms at half of them)
                            g = gn[pi, qj] * (gs if kept else zero)
                            dz[a if kept else L] = g
                            g_sum += g
                    db_part[t, k + f] += g_sum
                for c in range(C):
                    xr = xpf[n, c]
                    for p in range(FH):
                        if step == 4:
                            _dot_5_row_quad(dz_part[t], xr, p * wp, dw_part[t, k:k + 4, c, p], L)
                        else:
                            _dot_kernel_row(dz_part[t, 0], xr, p * wp, dw_part[t, k, c, p], L)
                for f in range(step):
                    dz_part[t, f, :L] = zero
                k += step


@njit(cache=True, nogil=True, fastmath=FAST, inline="always")
def _dot_5_row_quad(dzs, xr, base, out, L):
    """out[f, q] += sum_j dzs[f, j] * xr[base + q + j] for j < L, q < 5, four filters f.

    The twenty sums are written out one by one so that LLVM keeps each in a register.
    """
    zero = xr.dtype.type(0)
    x0, x1, x2 = xr[base:base + L], xr[base + 1:base + 1 + L], xr[base + 2:base + 2 + L]
    x3, x4 = xr[base + 3:base + 3 + L], xr[base + 4:base + 4 + L]
    d0, d1, d2, d3 = dzs[0, :L], dzs[1, :L], dzs[2, :L], dzs[3, :L]
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    c0 = c1 = c2 = c3 = c4 = e0 = e1 = e2 = e3 = e4 = zero
    for j in range(L):
        y0, y1, y2, y3, y4 = x0[j], x1[j], x2[j], x3[j], x4[j]
        g = d0[j]
        a0 += g * y0
        a1 += g * y1
        a2 += g * y2
        a3 += g * y3
        a4 += g * y4
        g = d1[j]
        b0 += g * y0
        b1 += g * y1
        b2 += g * y2
        b3 += g * y3
        b4 += g * y4
        g = d2[j]
        c0 += g * y0
        c1 += g * y1
        c2 += g * y2
        c3 += g * y3
        c4 += g * y4
        g = d3[j]
        e0 += g * y0
        e1 += g * y1
        e2 += g * y2
        e3 += g * y3
        e4 += g * y4
    sums = ((a0, a1, a2, a3, a4), (b0, b1, b2, b3, b4), (c0, c1, c2, c3, c4), (e0, e1, e2, e3, e4))
    for f in range(4):
        for q in range(5):
            out[f, q] += sums[f][q]


@njit(cache=True, parallel=True, nogil=True, fastmath=FAST)
def conv_relu_maxpool2_backward(dpool, arg, xpf, wcl, wp, pads, gscale, dx, dw_part, db_part, xcl_part, dxcl_part):
    """Input, weight and bias gradients of the fused step from dpool, the gradient w.r.t. the
    pooled output.

    Each image is copied channels-last, so that the FW taps of one kernel row over all C
    channels are FW*C contiguous numbers in the input, in the weights and in their gradients:
    dpool, arg: (N, K, Po, Qo); xpf: (N, C, Lp) the flat padded images of the forward;
    wcl: (K, FH, FW*C); pads: (top, left); gscale: as in conv_relu_maxpool2_weight_grad;
    dx: (N, C, H, W) out;
    dw_part: (T, >= K, FH, FW*C) and db_part: (T, >= K), zeroed: thread t adds the gradients
    of its block of images (as in the forward) into its own slice, and the caller sums over T
    (spare rows keep the threads' slices on separate cache lines: two cores writing one line
    take turns);
    xcl_part, dxcl_part: (T, Lp*C) scratch.
    Only the window maxima that were positive pass a gradient, so the work is one small
    update per such position instead of a full correlation. Each map first lists those
    positions without a branch: which windows pass is as random as the dropout, and a branch
    on each window mispredicted often enough to cost 7-8% of the kernel.
    """
    N, K, Po, Qo = dpool.shape
    C, Lp = xpf.shape[1], xpf.shape[2]
    H, W = dx.shape[2], dx.shape[3]
    top, left = pads[0], pads[1]
    fh, row = wcl.shape[1], wcl.shape[2]  # row = FW * C
    T = dw_part.shape[0]
    gs, zero = dpool.dtype.type(gscale), dpool.dtype.type(0)
    for t in prange(T):
        dwn = dw_part[t]
        xn = xcl_part[t]
        dxn = dxcl_part[t]
        where = np.empty(Po * Qo, np.int64)  # the map's passing positions and their gradients
        grad = np.empty(Po * Qo, dpool.dtype)
        for n in range(t * N // T, (t + 1) * N // T):
            for c in range(C):
                xr = xpf[n, c]
                for i in range(Lp):
                    xn[i * C + c] = xr[i]
            dxn[:] = 0
            for k in range(K):
                an, gn = arg[n, k].reshape(-1), dpool[n, k].reshape(-1)
                count, g_sum = 0, zero
                for i in range(Po * Qo):
                    a = an[i]
                    kept = a >= 0
                    g = gn[i] * (gs if kept else zero)
                    where[count] = a  # written every time, kept only if count moves on
                    grad[count] = g
                    g_sum += g
                    count += 1 if kept else 0
                for i in range(count):
                    a, g = where[i], grad[i]
                    for p in range(fh):
                        # unsigned offsets: Numba then skips its negative-index check
                        start = np.uint64((a + p * wp) * C)
                        for u in range(np.uint64(row)):
                            dwn[k, p, u] += g * xn[start + u]
                        for u in range(np.uint64(row)):
                            dxn[start + u] += g * wcl[k, p, u]
                db_part[t, k] += g_sum
            for c in range(C):
                for i in range(H):
                    base = ((i + top) * wp + left) * C + c
                    for j in range(W):
                        dx[n, c, i, j] = dxn[base + j * C]
