"""Questions to check yourself, made from random settings; each knows its answer and why."""

from dataclasses import dataclass

import numpy as np

from engine import conv2d, conv_output_size
from engine.pool import max_pool2d_argmax


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    answer: str
    explanation: str
    grid: np.ndarray = None      # numbers to show with the question, if any
    kernel: np.ndarray = None

    def check(self, reply):
        """True when the reply matches the answer (spaces and case ignored; numbers compared as numbers)."""
        given = str(reply).strip().lower().replace(" ", "")
        want = self.answer.lower().replace(" ", "")
        try:
            return abs(float(given) - float(want)) < 1e-9
        except ValueError:
            return given == want


def output_size(rng):
    n = int(rng.integers(5, 33))
    f = int(rng.choice([1, 3, 5, 7]))
    f = min(f, n)
    s = int(rng.integers(1, 4))
    p = int(rng.integers(0, 3))
    r = conv_output_size(n, f, s, p)
    note = "" if r.fits else " (the windows do not fit exactly: floor drops the remainder)"
    return Question("output size", f"An {n} x {n} input, a {f} x {f} kernel, stride {s}, padding {p}. "
                    "How wide is the output?", str(r.size), r.formula + note)


def window_value(rng):
    x = rng.integers(0, 4, (5, 5)).astype(np.float64)
    k = rng.integers(-1, 2, (3, 3)).astype(np.float64)
    i, j = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    out = conv2d(x[None, None], k[None, None])[0, 0]
    return Question("value under the window",
                    f"Cross-correlate the grid with the kernel (no padding, stride 1). What is output ({i}, {j})?",
                    f"{out[i, j]:g}", f"Multiply the 3 x 3 window starting at row {i}, column {j} by the kernel "
                    f"and add the nine products: {out[i, j]:g}.", grid=x, kernel=k)


def max_pool_gradient(rng):
    x = rng.permutation(16).reshape(4, 4).astype(np.float64)
    rows, cols = max_pool2d_argmax(x[None, None], 2)
    i, j = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    r, c = int(rows[0, 0, i, j]), int(cols[0, 0, i, j])
    return Question("max-pool gradient",
                    f"2 x 2 max pooling with stride 2. Which input cell (row,col) receives the gradient of "
                    f"output ({i}, {j})?",
                    f"{r},{c}", f"The window's largest value, {x[r, c]:g}, sits at ({r}, {c}); max pooling sends "
                    "the whole gradient there and nothing to the other three.", grid=x)


def parameter_count(rng):
    f = int(rng.choice([1, 3, 5]))
    d = int(rng.choice([1, 3, 8, 16]))
    k = int(rng.choice([4, 8, 10, 32]))
    return Question("parameters", f"A convolution layer with {k} filters of {f} x {f} on a {d}-channel input. "
                    "How many parameters (weights and biases)?", str(f * f * d * k + k),
                    f"F·F·D·K + K = {f}·{f}·{d}·{k} + {k} = {f * f * d * k + k}.")


MAKERS = {"output size": output_size, "value under the window": window_value,
          "max-pool gradient": max_pool_gradient, "parameters": parameter_count}


def make_question(kind, seed):
    """A question of this kind from a seeded random generator: the same seed, the same question."""
    if kind not in MAKERS:
        raise ValueError(f"unknown kind of question {kind!r}; choose one of {', '.join(MAKERS)}")
    return MAKERS[kind](np.random.default_rng(seed))
