"""Check-yourself questions, made from settings or a seeded random generator.

Each generator returns a Question with its text, the correct answer, an explanation and
whatever grid it shows; `check(question, response)` says whether a typed answer is right.
Every answer is computed by the engine's own ops, never typed in.

    >>> q = output_size_question(n=7, f=3, stride=2, padding=0)
    >>> q.answer, check(q, "3")
    (3, True)
"""

import re
from dataclasses import dataclass, field

import numpy as np

KINDS = ("output size", "value under the window", "max-pool gradient", "parameter count")


@dataclass
class Question:
    kind: str
    text: str
    answer: object          # int, or (row, col) for the max-pool gradient
    explanation: str
    grids: dict = field(default_factory=dict)   # name -> 2-D array to show
    highlight: tuple = ()                       # (row, col) cells of the first grid to outline
    answer_format: str = "a whole number"


def _rng(seed):
    return np.random.default_rng(None if seed is None else int(seed))


def output_size_question(n=None, f=None, stride=None, padding=None, seed=None):
    """What is the output width for an n x n input, an f x f kernel, this stride and padding?"""
    from engine import conv_output_size

    rng = _rng(seed)
    for _ in range(100):
        nn_ = int(rng.integers(5, 33)) if n is None else int(n)
        ff = int(rng.choice([1, 3, 5, 7])) if f is None else int(f)
        ss = int(rng.integers(1, 4)) if stride is None else int(stride)
        pp = int(rng.integers(0, 3)) if padding is None else int(padding)
        try:
            res = conv_output_size(nn_, ff, ss, pp)
            break
        except ValueError:
            if None not in (n, f, stride, padding):
                raise
    text = (f"An input of {nn_}x{nn_} pixels is convolved with a {ff}x{ff} kernel, stride {ss}, "
            f"padding {pp}. How wide is the output?")
    expl = f"{res.formula}."
    if not res.fits:
        expl += " The last window does not land exactly on the last column, so the floor drops the leftover."
    return Question("output size", text, int(res.size), expl)


def window_value_question(size=5, f=3, seed=None, row=None, col=None):
    """The value of the feature map at one window position (cross-correlation, no flip)."""
    import engine

    rng = _rng(seed)
    if not 2 <= f <= size:
        raise ValueError(f"the kernel ({f}x{f}) must be at least 2x2 and fit in the {size}x{size} input")
    x = rng.integers(0, 4, (size, size)).astype(np.float64)
    w = rng.integers(-1, 2, (f, f)).astype(np.float64)
    out = engine.conv2d(x[None, None], w[None, None])[0, 0]
    i = int(rng.integers(0, out.shape[0])) if row is None else int(row)
    j = int(rng.integers(0, out.shape[1])) if col is None else int(col)
    if not (0 <= i < out.shape[0] and 0 <= j < out.shape[1]):
        raise ValueError(f"the output is {out.shape[0]}x{out.shape[1]}: pick a window inside it")
    window = x[i:i + f, j:j + f]
    terms = " + ".join(f"{int(a)}·({int(b)})" if b < 0 else f"{int(a)}·{int(b)}" for a, b in zip(window.ravel(), w.ravel()) if a and b) or "0"
    text = (f"The kernel slides over the input without flipping (cross-correlation), stride 1, no padding. "
            f"What is the output at row {i}, column {j} (counting from 0), the outlined window?")
    expl = f"Multiply each input in the window by the kernel entry on top of it and add: {terms} = {int(out[i, j])}."
    cells = tuple((i + a, j + b) for a in range(f) for b in range(f))
    return Question("value under the window", text, int(round(out[i, j])), expl,
                    {"input": x, "kernel": w}, cells)


def maxpool_gradient_question(size=4, pool=2, seed=None, row=None, col=None):
    """Which input cell receives the gradient of one max-pool output (pool x pool, stride pool)?"""
    import engine

    rng = _rng(seed)
    if pool < 2 or size < pool:
        raise ValueError(f"a {pool}x{pool} pool needs an input of at least {pool}x{pool} and a size of at least 2")
    # distinct values so the maximum is never tied
    x = rng.permutation(size * size).reshape(size, size).astype(np.float64)
    out = engine.max_pool2d(x[None, None], pool)[0, 0]
    i = int(rng.integers(0, out.shape[0])) if row is None else int(row)
    j = int(rng.integers(0, out.shape[1])) if col is None else int(col)
    dy = np.zeros_like(out)
    dy[i, j] = 1.0
    dx = engine.max_pool2d_backward(dy[None, None], x[None, None], pool)[0, 0]
    r, c = (int(v) for v in np.argwhere(dx != 0)[0])
    text = (f"A {pool}x{pool} max-pool with stride {pool} is applied to this input. The output at row {i}, "
            f"column {j} receives gradient 1. Which input cell (row, column), counting from 0, gets it?")
    expl = (f"The window covers rows {i * pool}-{i * pool + pool - 1} and columns {j * pool}-{j * pool + pool - 1}; "
            f"its maximum {int(x[r, c])} sits at ({r}, {c}). Max-pooling passes the whole gradient to the "
            "input that won and zero to the others.")
    cells = tuple((i * pool + a, j * pool + b) for a in range(pool) for b in range(pool))
    return Question("max-pool gradient", text, (r, c), expl, {"input": x}, cells, "row, column")


def parameter_count_question(in_ch=None, out_ch=None, f=None, seed=None):
    """How many weights and biases does a conv layer with these settings have?"""
    from engine import nn

    rng = _rng(seed)
    c = int(rng.choice([1, 3, 8, 16])) if in_ch is None else int(in_ch)
    k = int(rng.choice([4, 8, 10, 16, 32])) if out_ch is None else int(out_ch)
    ff = int(rng.choice([1, 3, 5])) if f is None else int(f)
    layer = nn.Conv2D(c, k, ff, seed=0)
    count = int(sum(p.size for p in layer.params.values()))
    text = f"A convolution layer has {k} filters of size {ff}x{ff} over an input with {c} channel{'s' if c > 1 else ''}. How many parameters (weights and biases) does it learn?"
    expl = f"Each filter has {ff}·{ff}·{c} = {ff * ff * c} weights and one bias: ({ff * ff * c} + 1)·{k} = {count}."
    return Question("parameter count", text, count, expl)


GENERATORS = {
    "output size": output_size_question,
    "value under the window": window_value_question,
    "max-pool gradient": maxpool_gradient_question,
    "parameter count": parameter_count_question,
}


def random_question(kind=None, seed=None):
    """A question of the given kind (or a random kind) from a seeded generator."""
    rng = _rng(seed)
    kind = kind or KINDS[int(rng.integers(0, len(KINDS)))]
    if kind not in GENERATORS:
        raise ValueError(f"the question kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return GENERATORS[kind](seed=int(rng.integers(0, 2**31)))


def parse(question, response):
    """The learner's typed answer as the question's type; raises ValueError with a hint."""
    text = str(response).strip()
    if isinstance(question.answer, tuple):
        nums = re.findall(r"-?\d+", text)
        if len(nums) != 2:
            raise ValueError("type the cell as two whole numbers, row then column, e.g. 1, 2")
        return int(nums[0]), int(nums[1])
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise ValueError(f"type {question.answer_format}, e.g. 12") from None
    if not value.is_integer():
        raise ValueError(f"the answer is {question.answer_format}")
    return int(value)


def check(question, response):
    """True when the response equals the answer; raises ValueError for a response that is not one."""
    return parse(question, response) == question.answer
