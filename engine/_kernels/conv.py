"""Numba kernels for 2D cross-correlation and its gradients.

These trust their arguments: engine/conv.py checks shapes and values first. Inputs arrive
already padded. Every parallel loop gives each thread rows of the output that no other
thread writes, so nothing races. The innermost loop runs along an output row with a fixed
kernel tap, which LLVM vectorises.
"""

from numba import njit, prange


@njit(cache=True, parallel=True, nogil=True)
def corr2d_forward(xp, w, sh, sw, dh, dw, out):
    """out[n, k, i, j] = sum_{c,p,q} w[k, c, p, q] * xp[n, c, i*sh + p*dh, j*sw + q*dw].

    xp: (N, C, Hp, Wp) padded input; w: (K, C, FH, FW); out: (N, K, Ho, Wo), zeroed.
    Parallel over output rows, so one image with one filter still uses every core.
    """
    N, C = xp.shape[0], xp.shape[1]
    K, FH, FW = w.shape[0], w.shape[2], w.shape[3]
    Ho, Wo = out.shape[2], out.shape[3]
    for t in prange(N * K * Ho):
        n = t // (K * Ho)
        k = (t // Ho) % K
        i = t % Ho
        row = out[n, k, i]
        for c in range(C):
            for p in range(FH):
                xrow = xp[n, c, i * sh + p * dh]
                for q in range(FW):
                    wv = w[k, c, p, q]
                    off = q * dw
                    for j in range(Wo):
                        row[j] += wv * xrow[j * sw + off]


@njit(cache=True, parallel=True, nogil=True)
def corr2d_backward_input(dy, w, sh, sw, dh, dw, dxp):
    """dxp[n, c, i*sh + p*dh, j*sw + q*dw] += w[k, c, p, q] * dy[n, k, i, j].

    dy: (N, K, Ho, Wo); w: (K, C, FH, FW); dxp: (N, C, Hp, Wp), zeroed (padded gradient).
    Parallel over (n, c): each thread owns the plane dxp[n, c].
    """
    N, K, Ho, Wo = dy.shape
    C, FH, FW = w.shape[1], w.shape[2], w.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t % C
        for k in range(K):
            for i in range(Ho):
                dyrow = dy[n, k, i]
                for p in range(FH):
                    dxrow = dxp[n, c, i * sh + p * dh]
                    for q in range(FW):
                        wv = w[k, c, p, q]
                        off = q * dw
                        for j in range(Wo):
                            dxrow[j * sw + off] += wv * dyrow[j]


@njit(cache=True, parallel=True, nogil=True)
def corr2d_backward_weight(dy, xp, sh, sw, dh, dw, dwt):
    """dwt[k, c, p, q] = sum_{n,i,j} dy[n, k, i, j] * xp[n, c, i*sh + p*dh, j*sw + q*dw].

    dy: (N, K, Ho, Wo); xp: (N, C, Hp, Wp); dwt: (K, C, FH, FW), zeroed.
    Parallel over (k, c): each thread owns dwt[k, c], so the batch sum never races.
    """
    N, K, Ho, Wo = dy.shape
    C = xp.shape[1]
    FH, FW = dwt.shape[2], dwt.shape[3]
    for t in prange(K * C):
        k = t // C
        c = t % C
        for p in range(FH):
            for q in range(FW):
                acc = dwt[k, c, p, q]
                off = q * dw
                for n in range(N):
                    for i in range(Ho):
                        dyrow = dy[n, k, i]
                        xrow = xp[n, c, i * sh + p * dh]
                        for j in range(Wo):
                            acc += dyrow[j] * xrow[j * sw + off]
                dwt[k, c, p, q] = acc


# ------------------------------------------------------------------ stride 1, "wide" rows
# With stride 1 every output row is a shifted copy of input rows, so each (image, channel)
# plane can be handled as one long flat row: output j of the wide row (length Ho * Wp, the
# padded width) reads input j + p*dh*Wp + q*dw. The last Wp - Wo columns of every wide row
# are thrown away (or, for gradients, set to zero), and in exchange the innermost loop is
# hundreds of contiguous values long, which LLVM vectorises well. The loops index a slice
# (xs = xr[off:off + L]; xs[j]) so that the index is a plain loop counter: Numba then skips
# its negative-index check, which would otherwise stop the vectorisation.

@njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})
def corr2d_forward_wide(xpf, w, dh, dw, wp, outw):
    """outw[n, k, j] = sum_{c,p,q} w[k,c,p,q] * xpf[n, c, j + p*dh*wp + q*dw].

    xpf: (N, C, Hp*Wp + tail) flat padded planes (tail zeros so the last taps stay inside);
    w: (K, C, FH, FW); outw: (N, K, Ho*Wp), zeroed. Parallel over (n, k).
    """
    N, C = xpf.shape[0], xpf.shape[1]
    K, FH, FW = w.shape[0], w.shape[2], w.shape[3]
    L = outw.shape[2]
    for t in prange(N * K):
        n = t // K
        k = t % K
        o = outw[n, k]
        for c in range(C):
            xr = xpf[n, c]
            for p in range(FH):
                for q in range(FW):
                    wv = w[k, c, p, q]
                    off = p * dh * wp + q * dw
                    xs = xr[off:off + L]
                    for j in range(L):
                        o[j] += wv * xs[j]


@njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})
def corr2d_backward_input_wide(dyw, w, dh, dw, wp, dxpf):
    """dxpf[n, c, j + p*dh*wp + q*dw] += w[k,c,p,q] * dyw[n, k, j], dyw zero in the thrown-away
    columns. dyw: (N, K, Ho*Wp); dxpf: (N, C, Hp*Wp + tail), zeroed. Parallel over (n, c)."""
    N, K, L = dyw.shape
    C, FH, FW = w.shape[1], w.shape[2], w.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t % C
        d = dxpf[n, c]
        for k in range(K):
            g = dyw[n, k]
            for p in range(FH):
                for q in range(FW):
                    wv = w[k, c, p, q]
                    off = p * dh * wp + q * dw
                    ds = d[off:off + L]
                    for j in range(L):
                        ds[j] += wv * g[j]


@njit(cache=True, parallel=True, nogil=True, fastmath={"reassoc", "contract"})
def corr2d_backward_weight_wide(dyw, xpf, dh, dw, wp, dwt):
    """dwt[k, c, p, q] = sum_{n, j} dyw[n, k, j] * xpf[n, c, j + p*dh*wp + q*dw].

    Parallel over (k, c): each thread owns dwt[k, c], so the sum over the batch never races.
    """
    N, K, L = dyw.shape
    C = xpf.shape[1]
    FH, FW = dwt.shape[2], dwt.shape[3]
    for t in prange(K * C):
        k = t // C
        c = t % C
        for p in range(FH):
            for q in range(FW):
                off = p * dh * wp + q * dw
                acc = dwt[k, c, p, q]
                for n in range(N):
                    g = dyw[n, k]
                    xs = xpf[n, c, off:off + L]
                    for j in range(L):
                        acc += g[j] * xs[j]
                dwt[k, c, p, q] = acc


@njit(cache=True, nogil=True, inline="always")
def pad_plane(img, top, left, wp, o):
    """o = the plane img: (H, W) zero-padded (top rows, left columns) in rows of wp values,
    flattened, with zeros after it: o: (L,) with L >= (top + H) * wp. Writes every value once."""
    H, W = img.shape
    L = o.shape[0]
    zero = o.dtype.type(0)
    for i in range(top * wp):
        o[i] = zero
    for r in range(H):
        base = (top + r) * wp
        for j in range(left):
            o[base + j] = zero
        row = img[r]
        dst = o[base + left:base + left + W]
        for j in range(W):
            dst[j] = row[j]
        for j in range(base + left + W, base + wp):
            o[j] = zero
    for i in range((top + H) * wp, L):
        o[i] = zero


@njit(cache=True, parallel=True, nogil=True)
def pad_flat(x, top, left, wp, out):
    """out[n, c] = pad_plane of the image x[n, c]: x: (N, C, H, W); out: (N, C, L).

    One pass that writes every value once: faster than zero-filling a fresh array and then
    copying the images into it (0.2 ms for a batch of 256 8x14x14 maps).
    """
    N, C = x.shape[0], x.shape[1]
    for nc in prange(N * C):
        n, c = nc // C, nc % C
        pad_plane(x[n, c], top, left, wp, out[n, c])
