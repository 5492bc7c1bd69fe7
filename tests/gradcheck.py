"""Numerical gradients for the float64 gradient checks.

The check follows the lecture's chain rule: for a function f and an upstream gradient df
(same shape as f's output), the gradient of sum(f(x) * df) with respect to x is estimated
with central differences, (f(x+h) - f(x-h)) . df / 2h, one entry of x at a time.
"""

import numpy as np


def numerical_gradient(f, x, df, h=1e-6):
    """d/dx sum(f(x) * df), estimated entry by entry; x is changed in place and restored."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.sum(f(x) * df)
        x[i] = old - h
        minus = np.sum(f(x) * df)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """max |a - b| / max(|a|, |b|), with a floor so that two near-zero arrays compare as equal."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-8)
    return float(np.abs(a - b).max(initial=0.0) / scale)


def assert_gradients_close(analytic, numeric, tol=1e-6):
    err = relative_error(analytic, numeric)
    assert err < tol, f"relative error {err:.2e} is above {tol:.0e}"
