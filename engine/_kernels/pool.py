"""Numba kernels for pooling and its gradients.

They trust their arguments (engine/pool.py checks them). Each parallel loop runs over
(n, c) planes, and a thread writes only its own plane, so overlapping windows add their
gradients without races. `kind`: 0 max, 1 average, 2 min, 3 sum, 4 L2.
"""

import numpy as np
from numba import njit, prange

MAX, AVG, MIN, SUM, L2 = 0, 1, 2, 3, 4


@njit(cache=True, parallel=True, nogil=True)
def pool_forward(x, fh, fw, sh, sw, kind, out, arg):
    """out: (N, C, Ho, Wo); arg: (N, C, Ho, Wo) flat index p*fw+q of the max/min in its window
    (the first one in row-major order on ties)."""
    N, C = x.shape[0], x.shape[1]
    Ho, Wo = out.shape[2], out.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t % C
        for i in range(Ho):
            for j in range(Wo):
                r0 = i * sh
                c0 = j * sw
                best = x[n, c, r0, c0]
                where = 0
                acc = best * 0
                for p in range(fh):
                    for q in range(fw):
                        v = x[n, c, r0 + p, c0 + q]
                        if kind == MAX:
                            if v > best:
                                best = v
                                where = p * fw + q
                        elif kind == MIN:
                            if v < best:
                                best = v
                                where = p * fw + q
                        elif kind == L2:
                            acc += v * v
                        else:
                            acc += v
                if kind == MAX or kind == MIN:
                    out[n, c, i, j] = best
                    arg[n, c, i, j] = where
                elif kind == AVG:
                    out[n, c, i, j] = acc / (fh * fw)
                elif kind == L2:
                    out[n, c, i, j] = np.sqrt(acc)
                else:
                    out[n, c, i, j] = acc


@njit(cache=True, parallel=True, nogil=True)
def pool_backward(dy, x, out, arg, fh, fw, sh, sw, kind, dx):
    """dx: (N, C, H, W), zeroed; each window sends dy back to its inputs and overlaps add."""
    N, C = dx.shape[0], dx.shape[1]
    Ho, Wo = dy.shape[2], dy.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t % C
        for i in range(Ho):
            for j in range(Wo):
                g = dy[n, c, i, j]
                r0 = i * sh
                c0 = j * sw
                if kind == MAX or kind == MIN:
                    a = arg[n, c, i, j]
                    dx[n, c, r0 + a // fw, c0 + a % fw] += g
                elif kind == L2:
                    norm = out[n, c, i, j]
                    if norm > 0:
                        for p in range(fh):
                            for q in range(fw):
                                dx[n, c, r0 + p, c0 + q] += g * x[n, c, r0 + p, c0 + q] / norm
                else:
                    share = g / (fh * fw) if kind == AVG else g
                    for p in range(fh):
                        for q in range(fw):
                            dx[n, c, r0 + p, c0 + q] += share
