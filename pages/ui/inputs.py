"""Numbers typed by a learner: a list ("0, 1, 2"), a grid ("0 -1 0; -1 5 -1; 0 -1 0") or a set of
settings to try ("1e-4, 1e-3"). Each parser returns the numbers or raises ValueError with a
sentence that quotes the bad entry (cut short, so a pasted essay does not fill the page)."""

import math

import numpy as np

LIMIT = 1e6  # numbers a lesson can draw and add up without overflowing float32 sums


def _quote(token):
    return f"'{token[:20]}…'" if len(token) > 24 else f"'{token}'"


def numbers(text, what, *, max_count=None, positive=False, whole=False, limit=LIMIT, example="0, 1, 2"):
    """The numbers in text, separated by commas, semicolons or spaces, in order: [float | int].

    what names them in messages ("the signal x"); max_count bounds how many; positive and whole
    require numbers above 0 and whole numbers (returned as int); limit bounds their size;
    example is what the messages suggest typing.
    """
    tokens = str(text).replace(",", " ").replace(";", " ").split()
    if not tokens:
        raise ValueError(f"type at least one number for {what}, e.g. {example}")
    if max_count is not None and len(tokens) > max_count:
        raise ValueError(f"{what} has {len(tokens)} numbers; keep it to {max_count}")
    values = []
    for token in tokens:
        try:
            value = float(token)
        except ValueError:
            raise ValueError(f"{_quote(token)} in {what} is not a number; type numbers only, "
                             f"e.g. {example}") from None
        if not math.isfinite(value) or abs(value) > limit:
            raise ValueError(f"{what}: keep the numbers between -{limit:,.0f} and {limit:,.0f}, not {_quote(token)}")
        if positive and value <= 0:
            raise ValueError(f"{what} must be positive numbers, not {_quote(token)}")
        if whole:
            if value != int(value):
                raise ValueError(f"{what} must be whole numbers, not {_quote(token)}")
            value = int(value)
        values.append(value)
    return values


def number_list(text, what, max_count=40):
    """A signal or a 1D kernel: numbers in order, as a float64 array (n,)."""
    return np.array(numbers(text, what, max_count=max_count), dtype=np.float64)


def number_grid(text, what="the kernel", max_side=15):
    """A square grid: rows separated by ';' or new lines, numbers by spaces or commas.

    Returns a float32 array (n, n); the values are checked in float64 first, so a huge number is
    refused rather than overflowing.
    """
    rows = [r for r in str(text).replace("\n", ";").split(";") if r.strip()]
    if not rows:
        raise ValueError(f"type {what} as rows of numbers, e.g. 0 -1 0; -1 5 -1; 0 -1 0")
    if len(rows) > max_side:
        raise ValueError(f"keep {what} at most {max_side} x {max_side}")
    values = [numbers(r, what, max_count=max_side, example="0 -1 0; -1 5 -1; 0 -1 0") for r in rows]
    if any(len(r) != len(values) for r in values):
        raise ValueError(f"{what} must be square: the same number of values in every row, "
                         "as many rows as columns")
    return np.array(values, dtype=np.float64).astype(np.float32)


def choices(text, what, whole=False, example="0.0001, 0.001, 0.01"):
    """Settings to try, such as "1e-4, 1e-3, 1e-2": positive, sorted, without repeats."""
    return sorted(set(numbers(text, what, positive=True, whole=whole, limit=math.inf, example=example)))


def format_choices(values):
    """The inverse of choices(): "0.0001, 0.001, 0.01" as short as %g writes them."""
    return ", ".join(f"{v:g}" for v in values)
