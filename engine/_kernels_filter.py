"""Numba kernel for stride-1 2D cross-correlation of large images with few filters.

Filtering one photo (one image, one or three channels, one kernel) leaves the batch and filter
loops with nothing to share out, so this kernel splits the work by blocks of output rows
instead: every thread writes its own rows, so nothing races, and one 512x512 image keeps both
cores busy.

The padding is never copied: a tap that falls on a padding row is skipped, and along a row
each pass runs contiguously over the columns where all its taps land inside the image; the
few border columns are done one by one with a check.

Register blocking: one pass over an output row adds up to six taps of one kernel row at once,
out[j] += w0*x[j+s0] + w1*x[j+s1] + ..., so the output value is loaded and stored once per
six multiply-adds instead of once per tap. The number of taps in a pass is a branch outside
the column loop, so each branch has a fixed body that LLVM vectorises. A kernel row wider
than six taps takes several passes.

These trust their arguments: engine/conv.py checks shapes and values first. The same code
compiles for float32 (summed in float32) and float64 (summed in float64).
"""

from numba import njit, prange

MAX_TAPS = 6  # taps of one kernel row added per pass


@njit(cache=True, nogil=True)
def _taps_in_pass(remaining):
    """How many of the remaining taps of a kernel row the next pass takes (at most MAX_TAPS):
    seven become 4 + 3 rather than 6 + 1, since a one-tap pass costs nearly a full pass."""
    if remaining <= 6:
        return remaining
    if remaining == 7:
        return 4
    return 6


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _row_pass(o, xr, wr, q, m, dw, left):
    """o[j] += sum_{u<m} wr[q+u] * xr[j + (q+u)*dw - left], for taps that land inside xr.

    o: (Wo,) output row; xr: (W,) input row; wr: (FW,) kernel row.
    """
    Wo = o.shape[0]
    W = xr.shape[0]
    s0 = q * dw - left            # column shift of the first tap in this pass
    s1 = (q + m - 1) * dw - left  # and of the last one
    ja = min(max(0, -s0), Wo)     # [ja, jb): every tap of the pass lands inside the row
    jb = max(min(Wo, W - s1), ja)
    L = jb - ja
    if L > 0:
        os = o[ja:jb]
        # Slices that start at the first column make the index a plain loop counter, so Numba
        # drops its negative-index check and LLVM vectorises the loop.
        x0 = xr[ja + s0:ja + s0 + L]
        w0 = wr[q]
        if m == 1:
            for j in range(L):
                os[j] += w0 * x0[j]
        elif m == 2:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            w1 = wr[q + 1]
            for j in range(L):
                os[j] += w0 * x0[j] + w1 * x1[j]
        elif m == 3:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            w1, w2 = wr[q + 1], wr[q + 2]
            for j in range(L):
                os[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j]
        elif m == 4:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            x3 = xr[ja + s0 + 3 * dw:ja + s0 + 3 * dw + L]
            w1, w2, w3 = wr[q + 1], wr[q + 2], wr[q + 3]
            for j in range(L):
                os[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j] + w3 * x3[j]
        elif m == 5:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            x3 = xr[ja + s0 + 3 * dw:ja + s0 + 3 * dw + L]
            x4 = xr[ja + s0 + 4 * dw:ja + s0 + 4 * dw + L]
            w1, w2, w3, w4 = wr[q + 1], wr[q + 2], wr[q + 3], wr[q + 4]
            for j in range(L):
                os[j] += w0 * x0[j] + w1 * x1[j] + w2 * x2[j] + w3 * x3[j] + w4 * x4[j]
        else:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            x3 = xr[ja + s0 + 3 * dw:ja + s0 + 3 * dw + L]
            x4 = xr[ja + s0 + 4 * dw:ja + s0 + 4 * dw + L]
            x5 = xr[ja + s0 + 5 * dw:ja + s0 + 5 * dw + L]
            w1, w2, w3, w4, w5 = wr[q + 1], wr[q + 2], wr[q + 3], wr[q + 4], wr[q + 5]
            for j in range(L):
                os[j] += (w0 * x0[j] + w1 * x1[j] + w2 * x2[j]
                          + w3 * x3[j] + w4 * x4[j] + w5 * x5[j])
    # The border columns, where some tap of the pass falls on the padding.
    for j in range(ja):
        _border_column(o, xr, wr, q, m, dw, left, j)
    for j in range(jb, Wo):
        _border_column(o, xr, wr, q, m, dw, left, j)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _row_pass2(o0, o1, xr, wa, wb, q, m, dw, left):
    """Two output rows that read the same input row with different kernel rows:
    o0[j] += sum_{u<m} wa[q+u] * xr[j + (q+u)*dw - left], and o1 likewise with wb.
    Each input value loaded serves two multiply-adds: both sums are formed before either is
    stored, since a store to o0 between two reads of xr would make LLVM read xr again (the
    arrays might overlap, as far as it knows)."""
    Wo = o0.shape[0]
    W = xr.shape[0]
    s0 = q * dw - left
    s1 = (q + m - 1) * dw - left
    ja = min(max(0, -s0), Wo)
    jb = max(min(Wo, W - s1), ja)
    L = jb - ja
    if L > 0:
        oa = o0[ja:jb]
        ob = o1[ja:jb]
        x0 = xr[ja + s0:ja + s0 + L]
        a0, b0 = wa[q], wb[q]
        if m == 1:
            for j in range(L):
                sa = oa[j] + a0 * x0[j]
                sb = ob[j] + b0 * x0[j]
                oa[j] = sa
                ob[j] = sb
        elif m == 2:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            a1, b1 = wa[q + 1], wb[q + 1]
            for j in range(L):
                sa = oa[j] + a0 * x0[j] + a1 * x1[j]
                sb = ob[j] + b0 * x0[j] + b1 * x1[j]
                oa[j] = sa
                ob[j] = sb
        elif m == 3:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            a1, a2 = wa[q + 1], wa[q + 2]
            b1, b2 = wb[q + 1], wb[q + 2]
            for j in range(L):
                sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j]
                sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
                oa[j] = sa
                ob[j] = sb
        elif m == 4:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            x3 = xr[ja + s0 + 3 * dw:ja + s0 + 3 * dw + L]
            a1, a2, a3 = wa[q + 1], wa[q + 2], wa[q + 3]
            b1, b2, b3 = wb[q + 1], wb[q + 2], wb[q + 3]
            for j in range(L):
                sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j]
                sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j] + b3 * x3[j]
                oa[j] = sa
                ob[j] = sb
        elif m == 5:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            x3 = xr[ja + s0 + 3 * dw:ja + s0 + 3 * dw + L]
            x4 = xr[ja + s0 + 4 * dw:ja + s0 + 4 * dw + L]
            a1, a2, a3, a4 = wa[q + 1], wa[q + 2], wa[q + 3], wa[q + 4]
            b1, b2, b3, b4 = wb[q + 1], wb[q + 2], wb[q + 3], wb[q + 4]
            for j in range(L):
                sa = oa[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j] + a4 * x4[j]
                sb = ob[j] + b0 * x0[j] + b1 * x1[j] + b2 * x2[j] + b3 * x3[j] + b4 * x4[j]
                oa[j] = sa
                ob[j] = sb
        else:
            x1 = xr[ja + s0 + dw:ja + s0 + dw + L]
            x2 = xr[ja + s0 + 2 * dw:ja + s0 + 2 * dw + L]
            x3 = xr[ja + s0 + 3 * dw:ja + s0 + 3 * dw + L]
            x4 = xr[ja + s0 + 4 * dw:ja + s0 + 4 * dw + L]
            x5 = xr[ja + s0 + 5 * dw:ja + s0 + 5 * dw + L]
            a1, a2, a3, a4, a5 = wa[q + 1], wa[q + 2], wa[q + 3], wa[q + 4], wa[q + 5]
            b1, b2, b3, b4, b5 = wb[q + 1], wb[q + 2], wb[q + 3], wb[q + 4], wb[q + 5]
            for j in range(L):
                sa = oa[j] + (a0 * x0[j] + a1 * x1[j] + a2 * x2[j]
                              + a3 * x3[j] + a4 * x4[j] + a5 * x5[j])
                sb = ob[j] + (b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
                              + b3 * x3[j] + b4 * x4[j] + b5 * x5[j])
                oa[j] = sa
                ob[j] = sb
    for j in range(ja):
        _border_column(o0, xr, wa, q, m, dw, left, j)
        _border_column(o1, xr, wb, q, m, dw, left, j)
    for j in range(jb, Wo):
        _border_column(o0, xr, wa, q, m, dw, left, j)
        _border_column(o1, xr, wb, q, m, dw, left, j)


@njit(cache=True, nogil=True)
def _border_column(o, xr, wr, q, m, dw, left, j):
    """o[j] += the taps q .. q+m-1 of the kernel row wr that land inside the input row xr."""
    W = xr.shape[0]
    for u in range(m):
        s = j + (q + u) * dw - left
        if s >= 0 and s < W:
            o[j] += wr[q + u] * xr[s]

@njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})
def filter_forward(x, w, b, top, left, dh, dw, rows_per_task, out):
    """out[n, k, i, j] = b[k] + sum_{c,p,q} w[k, c, p, q] * x[n, c, i + p*dh - top, j + q*dw - left],
    where taps outside x count as zero (zero padding of `top` rows and `left` columns; the
    padding after the image follows from out's shape).

    x: (N, C, H, W) unpadded input; w: (K, C, FH, FW); b: (K,); out: (N, K, Ho, Wo), written
    completely (it may arrive uninitialised). Parallel over blocks of rows_per_task output rows
    of each (image, filter) pair.
    """
    N, C, H = x.shape[0], x.shape[1], x.shape[2]
    K, FH, FW = w.shape[0], w.shape[2], w.shape[3]
    Ho, Wo = out.shape[2], out.shape[3]
    blocks = (Ho + rows_per_task - 1) // rows_per_task
    for task in prange(N * K * blocks):
        n = task // (K * blocks)
        k = (task // blocks) % K
        i0 = (task % blocks) * rows_per_task
        i1 = min(i0 + rows_per_task, Ho)
        i = i0
        while i < i1:
            bk = b[k]
            if dh == 1 and i + 1 < i1:
                # Rows i and i+1 together: input row i+t-top meets kernel row t in row i
                # and kernel row t-1 in row i+1.
                o0 = out[n, k, i]
                o1 = out[n, k, i + 1]
                for j in range(Wo):
                    o0[j] = bk
                    o1[j] = bk
                for c in range(C):
                    for t in range(FH + 1):
                        r = i + t - top
                        if r < 0 or r >= H:
                            continue
                        xr = x[n, c, r]
                        q = 0
                        while q < FW:
                            m = _taps_in_pass(FW - q)
                            if t == 0:
                                _row_pass(o0, xr, w[k, c, 0], q, m, dw, left)
                            elif t == FH:
                                _row_pass(o1, xr, w[k, c, FH - 1], q, m, dw, left)
                            else:
                                _row_pass2(o0, o1, xr, w[k, c, t], w[k, c, t - 1], q, m, dw, left)
                            q += m
                i += 2
                continue
            o = out[n, k, i]
            for j in range(Wo):
                o[j] = bk
            for c in range(C):
                for p in range(FH):
                    r = i + p * dh - top
                    if r < 0 or r >= H:
                        continue  # a padding row adds nothing
                    xr = x[n, c, r]
                    wr = w[k, c, p]
                    q = 0
                    while q < FW:
                        m = _taps_in_pass(FW - q)
                        _row_pass(o, xr, wr, q, m, dw, left)
                        q += m
            i += 1
