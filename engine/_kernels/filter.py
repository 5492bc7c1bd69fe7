"""Numba kernel for stride-1 2D cross-correlation of large images with few filters.

Filtering one photo (one image, one or three channels, one to a few kernels) leaves the batch
loop with nothing to share out, so this kernel splits the work by blocks of output rows
instead: each thread writes its own rows, so nothing races, and one 512x512 image keeps both
cores busy.

Each block first copies the input rows it reads, zero-padded, into a small buffer of its own
(it stays in the core's cache; the whole padded image is never built). After that every pass
runs along a whole output row with no border checks.

Register blocking, so that each loaded value does more than one multiply-add:
- one pass adds up to six taps of one kernel row, out[j] += w0*x[j] + w1*x[j+1] + ..., so the
  output is loaded and stored once per six taps instead of once per tap;
- with dilation 1, output rows come in pairs: input row r meets kernel row p in output row
  r - p and kernel row p - 1 in output row r - p + 1, so one pass over r feeds both;
- with two or more filters, two filters share those passes too (four output rows per pass).
The number of taps in a pass is a branch outside the column loop, so each branch has a fixed
body that LLVM vectorises; a kernel row wider than six taps takes several passes.

These trust their arguments: engine/conv.py checks shapes and values first. The same code
compiles for float32 (summed in float32) and float64 (summed in float64).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _taps_in_pass(remaining):
    """How many of the remaining taps of a kernel row the next pass takes (at most six):
    seven become 4 + 3 rather than 6 + 1, since a one-tap pass costs nearly a full pass."""
    if remaining <= 6:
        return remaining
    if remaining == 7:
        return 4
    return 6


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _row_pass(o, xr, wr, q, m, dw):
    """o[j] += sum_{u<m} wr[q+u] * xr[j + (q+u)*dw] for every j.

    o: (Wo,) output row; xr: (Wo + (FW-1)*dw,) padded input row; wr: (FW,) kernel row.
    """
    L = o.shape[0]
    # Slices that start at the tap's column make the index a plain loop counter, so Numba
    # drops its negative-index check and LLVM vectorises the loop.
    s = q * dw
    x0 = xr[s:s + L]
    w0 = wr[q]
    if m == 1:
        for j in range(L):
            o[j] += w0 * x0[j]
    elif m == 2:
        x1 = xr[s + dw:s + dw + L]
        w1 = wr[q + 1]
        for j in range(L):
            o[j] += w0 * x0[j] + w1 * x1[j]
    elif m == 3:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        w1, w2 = wr[q + 1], wr[q + 2]
        for j in range(L):
            o[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j]
    elif m == 4:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        w1, w2, w3 = wr[q + 1], wr[q + 2], wr[q + 3]
        for j in range(L):
            o[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j] + w3 * x3[j]
    elif m == 5:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        x4 = xr[s + 4 * dw:s + 4 * dw + L]
        w1, w2, w3, w4 = wr[q + 1], wr[q + 2], wr[q + 3], wr[q + 4]
        for j in range(L):
            o[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j] + w3 * x3[j] + w4 * x4[j]
    else:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        x4 = xr[s + 4 * dw:s + 4 * dw + L]
        x5 = xr[s + 5 * dw:s + 5 * dw + L]
        w1, w2, w3, w4, w5 = wr[q + 1], wr[q + 2], wr[q + 3], wr[q + 4], wr[q + 5]
        for j in range(L):
            o[j] += (w0 * x0[j] + w1 * x1[j] + w2 * x2[j]
                     + w3 * x3[j] + w4 * x4[j] + w5 * x5[j])


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _row_pass2(oa, ob, xr, wa, wb, q, m, dw):
    """Two output rows that read the same input row with different kernel rows:
    oa[j] += sum_{u<m} wa[q+u] * xr[j + (q+u)*dw], and ob likewise with wb.

    Each input value loaded serves two multiply-adds: both sums are formed before either is
    stored, since a store to oa between two reads of xr would make LLVM read xr again (the
    arrays might overlap, as far as it knows).
    """
    L = oa.shape[0]
    s = q * dw
    x0 = xr[s:s + L]
    a0, b0 = wa[q], wb[q]
    if m == 1:
        for j in range(L):
            sa = oa[j] + a0 * x0[j]
            sb = ob[j] + b0 * x0[j]
            oa[j] = sa
            ob[j] = sb
    elif m == 2:
        x1 = xr[s + dw:s + dw + L]
        a1, b1 = wa[q + 1], wb[q + 1]
        for j in range(L):
            sa = oa[j] + a0 * x0[j] + a1 * x1[j]
            sb = ob[j] + b0 * x0[j] + b1 * x1[j]
            oa[j] = sa
            ob[j] = sb
    elif m == 3:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        a1, a2 = wa[q + 1], wa[q + 2]
        b1, b2 = wb[q + 1], wb[q + 2]
        for j in range(L):
            sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j]
            sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
            oa[j] = sa
            ob[j] = sb
    elif m == 4:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        a1, a2, a3 = wa[q + 1], wa[q + 2], wa[q + 3]
        b1, b2, b3 = wb[q + 1], wb[q + 2], wb[q + 3]
        for j in range(L):
            sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j]
            sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j] + b3 * x3[j]
            oa[j] = sa
            ob[j] = sb
    elif m == 5:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        x4 = xr[s + 4 * dw:s + 4 * dw + L]
        a1, a2, a3, a4 = wa[q + 1], wa[q + 2], wa[q + 3], wa[q + 4]
        b1, b2, b3, b4 = wb[q + 1], wb[q + 2], wb[q + 3], wb[q + 4]
        for j in range(L):
            sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j] + a4 * x4[j]
            sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j] + b3 * x3[j] + b4 * x4[j]
            oa[j] = sa
            ob[j] = sb
    else:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        x4 = xr[s + 4 * dw:s + 4 * dw + L]
        x5 = xr[s + 5 * dw:s + 5 * dw + L]
        a1, a2, a3, a4, a5 = wa[q + 1], wa[q + 2], wa[q + 3], wa[q + 4], wa[q + 5]
        b1, b2, b3, b4, b5 = wb[q + 1], wb[q + 2], wb[q + 3], wb[q + 4], wb[q + 5]
        for j in range(L):
            sa = oa[j] + (a0 * x0[j] + a1 * x1[j] + a2 * x2[j]
                          + a3 * x3[j] + a4 * x4[j] + a5 * x5[j])
            sb = ob[j] + (b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
                          + b3 * x3[j] + b4 * x4[j] + b5 * x5[j])
            oa[j] = sa
            ob[j] = sb


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _row_pass4(oa, ob, oc, od, xr, wa, wb, wc, wd, q, m, dw):
    """Four output rows that read the same input row: two rows of one filter (kernel rows wa
    and wb) and the same two rows of the next filter (wc and wd); one load feeds four sums.
    m is 3, 5 or 6 (see _pass4)."""
    L = oa.shape[0]
    s = q * dw
    x0 = xr[s:s + L]
    a0, b0, c0, d0 = wa[q], wb[q], wc[q], wd[q]
    if m == 3:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        a1, a2 = wa[q + 1], wa[q + 2]
        b1, b2 = wb[q + 1], wb[q + 2]
        c1, c2 = wc[q + 1], wc[q + 2]
        d1, d2 = wd[q + 1], wd[q + 2]
        for j in range(L):
            sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j]
            sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
            sc = oc[j] + c0 * x0[j] + c1 * x1[j] + c2 * x2[j]
            sd = od[j] + d0 * x0[j] + d1 * x1[j] + d2 * x2[j]
            oa[j] = sa
            ob[j] = sb
            oc[j] = sc
            od[j] = sd
    elif m == 5:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        x4 = xr[s + 4 * dw:s + 4 * dw + L]
        a1, a2, a3, a4 = wa[q + 1], wa[q + 2], wa[q + 3], wa[q + 4]
        b1, b2, b3, b4 = wb[q + 1], wb[q + 2], wb[q + 3], wb[q + 4]
        c1, c2, c3, c4 = wc[q + 1], wc[q + 2], wc[q + 3], wc[q + 4]
        d1, d2, d3, d4 = wd[q + 1], wd[q + 2], wd[q + 3], wd[q + 4]
        for j in range(L):
            sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j] + a4 * x4[j]
            sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j] + b3 * x3[j] + b4 * x4[j]
            sc = oc[j] + c0 * x0[j] + c1 * x1[j] + c2 * x2[j] + c3 * x3[j] + c4 * x4[j]
            sd = od[j] + d0 * x0[j] + d1 * x1[j] + d2 * x2[j] + d3 * x3[j] + d4 * x4[j]
            oa[j] = sa
            ob[j] = sb
            oc[j] = sc
            od[j] = sd
    else:
        x1 = xr[s + dw:s + dw + L]
        x2 = xr[s + 2 * dw:s + 2 * dw + L]
        x3 = xr[s + 3 * dw:s + 3 * dw + L]
        x4 = xr[s + 4 * dw:s + 4 * dw + L]
        x5 = xr[s + 5 * dw:s + 5 * dw + L]
        a1, a2, a3, a4, a5 = wa[q + 1], wa[q + 2], wa[q + 3], wa[q + 4], wa[q + 5]
        b1, b2, b3, b4, b5 = wb[q + 1], wb[q + 2], wb[q + 3], wb[q + 4], wb[q + 5]
        c1, c2, c3, c4, c5 = wc[q + 1], wc[q + 2], wc[q + 3], wc[q + 4], wc[q + 5]
        d1, d2, d3, d4, d5 = wd[q + 1], wd[q + 2], wd[q + 3], wd[q + 4], wd[q + 5]
        for j in range(L):
            sa = oa[j] + (a0 * x0[j] + a1 * x1[j] + a2 * x2[j]
                          + a3 * x3[j] + a4 * x4[j] + a5 * x5[j])
            sb = ob[j] + (b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
                          + b3 * x3[j] + b4 * x4[j] + b5 * x5[j])
            sc = oc[j] + (c0 * x0[j] + c1 * x1[j] + c2 * x2[j]
                          + c3 * x3[j] + c4 * x4[j] + c5 * x5[j])
            sd = od[j] + (d0 * x0[j] + d1 * x1[j] + d2 * x2[j]
                          + d3 * x3[j] + d4 * x4[j] + d5 * x5[j])
            oa[j] = sa
            ob[j] = sb
            oc[j] = sc
            od[j] = sd


@njit(cache=True, nogil=True)
def _pass4(oa, ob, oc, od, xr, wa, wb, wc, wd, q, m, dw):
    """_row_pass4 for the passes of 3x3, 5x5 and 11x11 kernels (3, 5, and 6 + 5 taps), with m
    as a constant in each call (see _pass2); two _pass2 calls for other tap counts."""
    if m == 3:
        _row_pass4(oa, ob, oc, od, xr, wa, wb, wc, wd, q, 3, dw)
    elif m == 5:
        _row_pass4(oa, ob, oc, od, xr, wa, wb, wc, wd, q, 5, dw)
    elif m == 6:
        _row_pass4(oa, ob, oc, od, xr, wa, wb, wc, wd, q, 6, dw)
    else:
        _pass2(oa, ob, xr, wa, wb, q, m, dw)
        _pass2(oc, od, xr, wc, wd, q, m, dw)


@njit(cache=True, nogil=True)
def _pass2(oa, ob, xr, wa, wb, q, m, dw):
    """_row_pass2 with the tap count m written out as a constant in each call: Numba then
    compiles one version of _row_pass2 per tap count, with the other branches removed, which
    ran 1.2 to 2 times faster than one version that branches on m at run time (but each
    version adds about a second to the first, uncached compilation)."""
    if m == 1:
        _row_pass2(oa, ob, xr, wa, wb, q, 1, dw)
    elif m == 2:
        _row_pass2(oa, ob, xr, wa, wb, q, 2, dw)
    elif m == 3:
        _row_pass2(oa, ob, xr, wa, wb, q, 3, dw)
    elif m == 4:
        _row_pass2(oa, ob, xr, wa, wb, q, 4, dw)
    elif m == 5:
        _row_pass2(oa, ob, xr, wa, wb, q, 5, dw)
    else:
        _row_pass2(oa, ob, xr, wa, wb, q, 6, dw)


@njit(cache=True, nogil=True)
def _fill_block(x, n, first, top, left, buf):
    """buf[c, r, left + s] = x[n, c, first + r - top, s], zero where that falls outside x.

    buf: (C, rows, Wp) the padded input rows of one block of output rows.
    """
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    rows, wp = buf.shape[1], buf.shape[2]
    for c in range(C):
        for r in range(rows):
            src = first + r - top
            br = buf[c, r]
            if src < 0 or src >= H:
                for j in range(wp):
                    br[j] = 0
                continue
            for j in range(left):
                br[j] = 0
            for j in range(left + W, wp):
                br[j] = 0
            xr = x[n, c, src]
            dst = br[left:left + W]
            for j in range(W):
                dst[j] = xr[j]


@njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})
def filter_forward(x, w, b, top, left, dh, dw, rows_per_task, out):
    """out[n, k, i, j] = b[k] + sum_{c,p,q} w[k, c, p, q] * x[n, c, i + p*dh - top, j + q*dw - left],
    where taps outside x count as zero (zero padding of `top` rows and `left` columns; the
    padding after the image follows from out's shape).

    x: (N, C, H, W) unpadded input; w: (K, C, FH, FW); b: (K,); out: (N, K, Ho, Wo), written
    completely (it may arrive uninitialised). Parallel over blocks of rows_per_task output rows
    of each image; a block computes its rows for every filter from one buffer of input rows.
    """
    N, C = x.shape[0], x.shape[1]
    K, FH, FW = w.shape[0], w.shape[2], w.shape[3]
    Ho, Wo = out.shape[2], out.shape[3]
    wp = Wo + (FW - 1) * dw
    blocks = (Ho + rows_per_task - 1) // rows_per_task
    for task in prange(N * blocks):
        n = task // blocks
        i0 = (task % blocks) * rows_per_task
        i1 = min(i0 + rows_per_task, Ho)
        buf = np.empty((C, i1 - i0 + (FH - 1) * dh, wp), dtype=x.dtype)
        _fill_block(x, n, i0, top, left, buf)
        k = 0
        while k < K:
            if dh == 1 and k + 1 < K and i1 - i0 >= 2:
                # Two filters and two rows at a time (an odd last row is done below).
                for i in range(i0, i1 - 1, 2):
                    oa = out[n, k, i]
                    ob = out[n, k, i + 1]
                    oc = out[n, k + 1, i]
                    od = out[n, k + 1, i + 1]
                    bk, bk1 = b[k], b[k + 1]
                    for j in range(Wo):
                        oa[j] = bk
                        ob[j] = bk
                        oc[j] = bk1
                        od[j] = bk1
                    for c in range(C):
                        for t in range(FH + 1):
                            xr = buf[c, i - i0 + t]
                            q = 0
                            while q < FW:
                                m = _taps_in_pass(FW - q)
                                if t == 0:
                                    _pass2(oa, oc, xr, w[k, c, 0], w[k + 1, c, 0], q, m, dw)
                                elif t == FH:
                                    _pass2(ob, od, xr, w[k, c, FH - 1], w[k + 1, c, FH - 1], q, m, dw)
                                else:
                                    _pass4(oa, ob, oc, od, xr, w[k, c, t], w[k, c, t - 1],
                                           w[k + 1, c, t], w[k + 1, c, t - 1], q, m, dw)
                                q += m
                if (i1 - i0) % 2 == 1:
                    for kk in range(k, k + 2):
                        o = out[n, kk, i1 - 1]
                        bk = b[kk]
                        for j in range(Wo):
                            o[j] = bk
                        for c in range(C):
                            for p in range(FH):
                                xr = buf[c, i1 - 1 - i0 + p]
                                wr = w[kk, c, p]
                                q = 0
                                while q < FW:
                                    m = _taps_in_pass(FW - q)
                                    _row_pass(o, xr, wr, q, m, dw)
                                    q += m
                k += 2
                continue
            bk = b[k]
            i = i0
            while i < i1:
                if dh == 1 and i + 1 < i1:
                    # Rows i and i+1 together: buffer row i-i0+t meets kernel row t in row i
                    # and kernel row t-1 in row i+1.
                    oa = out[n, k, i]
                    ob = out[n, k, i + 1]
                    for j in range(Wo):
                        oa[j] = bk
                        ob[j] = bk
                    for c in range(C):
                        for t in range(FH + 1):
                            xr = buf[c, i - i0 + t]
                            q = 0
                            while q < FW:
                                m = _taps_in_pass(FW - q)
                                if t == 0:
                                    _row_pass(oa, xr, w[k, c, 0], q, m, dw)
                                elif t == FH:
                                    _row_pass(ob, xr, w[k, c, FH - 1], q, m, dw)
                                else:
                                    _pass2(oa, ob, xr, w[k, c, t], w[k, c, t - 1], q, m, dw)
                                q += m
                    i += 2
                else:
                    o = out[n, k, i]
                    for j in range(Wo):
                        o[j] = bk
                    for c in range(C):
                        for p in range(FH):
                            xr = buf[c, i - i0 + p * dh]
                            wr = w[k, c, p]
                            q = 0
                            while q < FW:
                                m = _taps_in_pass(FW - q)
                                _row_pass(o, xr, wr, q, m, dw)
                                q += m
                    i += 1
            k += 1
